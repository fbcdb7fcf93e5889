"""Cross-metric consistency checks over the same region and period."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from metrics.formatting import Qualifier, Unit, format_number
from metrics.models.observations import Observation
from metrics.models.publication import (
    LockVersioned,
    PublicationState,
    Publishable,
    PublishableQuerySet,
    correction_constraints,
)
from metrics.translation import Translated


class ValidationRuleQuerySet(PublishableQuerySet):
    def active(self):
        """Rules switched on, without proposed corrections of them."""
        return (
            self.canonical()
            .filter(is_active=True)
            .select_related("subject", "reference", "denominator")
        )

    def for_staff(self):
        """The rules staff check figures against: every active rule not withdrawn."""
        return self.active().exclude(publication_state=PublicationState.WITHDRAWN)


class ValidationRuleManager(models.Manager.from_queryset(ValidationRuleQuerySet)):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class ValidationRule(Publishable, LockVersioned):
    """
    A check that figures of several metrics agree for the same region and period.

    "At most": the subject never exceeds the reference (rural online sales
    <= all online sales). "Ratio": the subject, a percentage, equals
    reference / denominator x 100 within a tolerance in percentage points.
    """

    class Kind(models.TextChoices):
        AT_MOST = "at_most", _("Subject is at most the reference")
        RATIO = "ratio", _("Subject equals reference / denominator × 100")

    slug = models.SlugField(_("identifier"), max_length=80, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    subject = models.ForeignKey(
        "metrics.Metric",
        verbose_name=_("subject metric"),
        on_delete=models.PROTECT,
        related_name="rules_as_subject",
    )
    reference = models.ForeignKey(
        "metrics.Metric",
        verbose_name=_("reference metric (numerator of a ratio)"),
        on_delete=models.PROTECT,
        related_name="rules_as_reference",
    )
    denominator = models.ForeignKey(
        "metrics.Metric",
        verbose_name=_("denominator metric"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rules_as_denominator",
    )
    tolerance = models.DecimalField(
        _("tolerance"),
        max_digits=9,
        decimal_places=3,
        default=Decimal(0),
        help_text=_("For a ratio, in percentage points; for “at most”, in the metrics’ unit."),
    )
    description_en = models.TextField(_("description (English)"), blank=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    name = Translated()
    description = Translated()

    objects = ValidationRuleManager()

    class Meta:
        verbose_name = _("validation rule")
        verbose_name_plural = _("validation rules")
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="ratio", denominator__isnull=False)
                | Q(kind="at_most", denominator__isnull=True),
                name="validationrule_denominator_for_ratio_only",
                violation_error_message=_("A ratio rule needs a denominator; other rules do not."),
            ),
            models.CheckConstraint(
                condition=Q(tolerance__gte=0),
                name="validationrule_tolerance_not_negative",
                violation_error_message=_("The tolerance cannot be negative."),
            ),
            *correction_constraints("validationrule"),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)

    identity_fields = ("slug",)
    is_shared_reference = True

    def public_dependencies(self) -> list:
        return self._metrics()

    def scope_inherited_from(self) -> list:
        """A rule marks the figures of its metrics: it belongs where they are used."""
        metrics = self._metrics()
        if self.revision_of_id:
            metrics += self.revision_of.scope_inherited_from()
        return metrics

    def _metrics(self) -> list:
        names = ("subject", "reference", "denominator")
        return [getattr(self, name) for name in names if getattr(self, f"{name}_id")]

    def clean(self):
        if not (self.subject_id and self.reference_id):
            return
        if self.kind == self.Kind.AT_MOST and self.subject.unit != self.reference.unit:
            raise ValidationError({"reference": _("Compare metrics measured in the same unit.")})
        if self.kind == self.Kind.RATIO:
            if self.subject.unit != Unit.PERCENT:
                raise ValidationError({"subject": _("The subject of a ratio is a percentage.")})
            if self.denominator_id and self.denominator.unit != self.reference.unit:
                raise ValidationError(
                    {"denominator": _("Numerator and denominator need the same unit.")}
                )

    @property
    def metric_ids(self) -> set[int]:
        return {self.subject_id, self.reference_id} | ({self.denominator_id} - {None})

    def check_figures(self, figures: dict[int, Observation]) -> "Violation | None":
        """Check one region and period's observations, keyed by metric id."""
        subject = figures.get(self.subject_id)
        reference = figures.get(self.reference_id)
        if subject is None or reference is None:
            return None
        if self.kind == self.Kind.AT_MOST:
            if subject.value > reference.value + self.tolerance:
                return Violation(self, subject, [reference], expected=reference.value)
            return None
        denominator = figures.get(self.denominator_id)
        if denominator is None or denominator.value == 0:
            return None
        expected = (reference.value / denominator.value * 100).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )
        if abs(subject.value - expected) > self.tolerance:
            return Violation(self, subject, [reference, denominator], expected=expected)
        return None


@dataclass
class Violation:
    """A rule that one region and period's figures break."""

    rule: ValidationRule
    subject: Observation
    others: list[Observation]
    expected: Decimal

    @property
    def observations(self) -> list[Observation]:
        return [self.subject, *self.others]

    @property
    def message(self) -> str:
        rule, subject = self.rule, self.subject
        if rule.kind == ValidationRule.Kind.AT_MOST:
            return gettext("%(subject)s (%(value)s) exceeds %(reference)s (%(expected)s).") % {
                "subject": rule.subject.name,
                "value": subject.formatted_value,
                "reference": rule.reference.name,
                "expected": self.others[0].formatted_value,
            }
        return gettext(
            "%(subject)s is %(value)s, but %(reference)s ÷ %(denominator)s × 100 = "
            "%(expected)s%% (tolerance ±%(tolerance)s pp)."
        ) % {
            "subject": rule.subject.name,
            "value": subject.formatted_value,
            "reference": rule.reference.name,
            "denominator": rule.denominator.name,
            "expected": format_number(self.expected),
            "tolerance": format_number(rule.tolerance),
        }


def find_violations(
    observations: models.QuerySet | None = None,
    *,
    rules: Iterable[ValidationRule] | None = None,
) -> Iterator[Violation]:
    """
    Evaluate rules over `observations` (all of them by default): the
    published active rules, unless `rules` names others (staff pages check
    every rule in effect, drafts included).

    Figures are read once, ordered by region and period, and checked group
    by group, so memory stays flat however many observations there are.
    Figures qualified "more than" or "less than" cannot prove a violation
    and are left out.
    """
    rules = list(ValidationRule.objects.published().active() if rules is None else rules)
    if not rules:
        return
    metric_ids = set().union(*(rule.metric_ids for rule in rules))
    base = Observation.objects.all() if observations is None else observations
    rows = (
        base.filter(
            metric_id__in=metric_ids,
            value__isnull=False,
            value_qualifier__in=[Qualifier.EXACT, Qualifier.APPROXIMATELY],
        )
        .select_related("metric", "region", "source")
        .order_by("region_id", "period_start", "period_end", "metric_id")
    )
    group_key, figures = None, {}
    for observation in rows.iterator(chunk_size=2000):
        key = (observation.region_id, observation.period_start, observation.period_end)
        if key != group_key:
            yield from _check(rules, figures)
            group_key, figures = key, {}
        figures[observation.metric_id] = observation
    yield from _check(rules, figures)


def violation_messages(
    observations: models.QuerySet, *, rules: Iterable[ValidationRule] | None = None
) -> dict[int, list[str]]:
    """Messages of the violations among `observations`, keyed by every observation involved."""
    messages: dict[int, list[str]] = {}
    for violation in find_violations(observations, rules=rules):
        for observation in violation.observations:
            messages.setdefault(observation.pk, []).append(violation.message)
    return messages


def violations_by_observation(observations: list[Observation]) -> dict[int, list[str]]:
    """
    Messages of the rules that the given (published) observations take part
    in breaking, keyed by observation id: what a page of figures marks.
    Reads the rules and the other figures of the same regions and periods
    in two queries, however many observations are given.
    """
    if not observations:
        return {}
    from metrics.page_cache import remembered

    shown_metrics = {observation.metric_id for observation in observations}
    # Only rules that check a shown figure's metric can mark one. The rules
    # in force are the same for every page until published content changes.
    published = remembered(
        "published-rules", lambda: list(ValidationRule.objects.published().active())
    )
    rules = [rule for rule in published if shown_metrics & rule.metric_ids]
    if not rules:
        return {}
    nearby = Observation.objects.published().filter(
        region_id__in={observation.region_id for observation in observations},
        period_end__in={observation.period_end for observation in observations},
    )
    shown = {observation.pk for observation in observations}
    messages = violation_messages(nearby, rules=rules)
    return {pk: found for pk, found in messages.items() if pk in shown}


def rules_involving(metric) -> list[ValidationRule]:
    """The published active rules that check figures of the metric."""
    rules = ValidationRule.objects.published().active()
    return [rule for rule in rules if metric.pk in rule.metric_ids]


def _check(rules, figures):
    if len(figures) < 2:
        return
    for rule in rules:
        if (violation := rule.check_figures(figures)) is not None:
            yield violation
