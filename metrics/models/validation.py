"""
Consistency checks over figures: a small vocabulary of rule kinds that staff
configure in the admin, each with its tolerance and its message in both
languages.

Each kind says which figures it looks at together (its `Grouping`):
bounds, ratios and derived-versus-reported rules compare the figures of one
region and period; a sum of parts compares a region's figure with those of
the regions directly below it for the same metric and period; continuity
follows one region's year-to-date figures of a metric through a calendar
year. `find_violations` reads the figures a grouping needs once, ordered so
that each group's figures come together, and checks group by group: memory
stays flat however many figures there are.
"""

import string
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Q
from django.utils import translation
from django.utils.functional import cached_property, lazy
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from metrics.formatting import Qualifier, Unit, format_change, format_figure
from metrics.models.observations import Observation
from metrics.models.publication import (
    LockVersioned,
    PublicationState,
    Publishable,
    PublishableQuerySet,
    correction_constraints,
)
from metrics.translation import Translated

# Figures qualified "more than" or "less than" cannot prove a violation.
PLAIN = [Qualifier.EXACT, Qualifier.APPROXIMATELY]
# Amounts that add up across regions and through a year.
ADDITIVE_UNITS = {Unit.YUAN, Unit.US_DOLLAR, Unit.COUNT}

# Which metrics each kind uses beside its subject (the constraints and clean() agree).
NEEDS_REFERENCE = ["at_most", "at_least", "ratio", "derived"]
SUBJECT_ONLY = ["sum_of_parts", "continuity"]

# What a message template may say, and what each placeholder stands for.
PLACEHOLDERS = {
    "subject": _("the subject metric"),
    "value": _("the figure checked"),
    "basis": _("how that figure is known: derived or inferred"),
    "expected": _(
        "what it should agree with: the reference figure, the computed ratio, the sum of "
        "the parts, the reported figure or the earlier year-to-date figure"
    ),
    "reference": _("what that is: the reference metric, the regions below or the earlier period"),
    "denominator": _("the denominator metric of a ratio"),
    "source": _("who reports the figure it is compared with"),
    "difference": _("how far apart the two are"),
    "tolerance": _("the rule's tolerance"),
    "region": _("the region"),
    "period": _("the period"),
}


def _placeholder_help() -> str:
    return format_html(
        "{}<ul>{}</ul>",
        gettext("Leave a message blank for the kind's standard one. Placeholders:"),
        format_html_join(
            "", "<li><code>{{{}}}</code>: {}</li>", ((k, v) for k, v in PLACEHOLDERS.items())
        ),
    )


# What the admin tells staff writing a message, in their language.
placeholder_help = lazy(_placeholder_help, str)()


def template_errors(template: str) -> str | None:
    """Why a message template cannot be used, or None."""
    try:
        fields = [name for _text, name, _spec, _conv in string.Formatter().parse(template)]
    except ValueError:
        return gettext("Write placeholders in single braces, e.g. {value}; a lone brace breaks it.")
    unknown = [name for name in fields if name is not None and name not in PLACEHOLDERS]
    if unknown:
        return gettext("Unknown placeholder %(unknown)s. Use: %(known)s.") % {
            "unknown": ", ".join(f"{{{name}}}" for name in unknown),
            "known": ", ".join(f"{{{name}}}" for name in PLACEHOLDERS),
        }
    return None


def render_template(template: str, values: dict[str, str]) -> str:
    """
    Fill a staff-written template. A placeholder it does not know stays
    visible as written, and a template that does not parse is shown as is:
    a message is never lost to a typo.
    """
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        return template
    out = []
    for text, name, spec, conversion in parts:
        out.append(text)
        if name is None:
            continue
        if name in values:
            try:
                out.append(format(values[name], spec or ""))
                continue
            except ValueError:
                pass
        conversion = f"!{conversion}" if conversion else ""
        spec = f":{spec}" if spec else ""
        out.append("{" + name + conversion + spec + "}")
    return "".join(out)


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


class Grouping(Enum):
    """Which figures a kind of rule looks at together."""

    CELL = "cell"  # one region and period, every metric
    FAMILY = "family"  # one metric and period, a region and the regions below it
    SERIES = "series"  # one metric, region and calendar year, year-to-date figures


class ValidationRule(Publishable, LockVersioned):
    """
    A check that figures agree, of one kind from a small vocabulary:

    - bound: the subject is at most (or at least) the reference, e.g. rural
      online sales <= all online sales;
    - ratio: the subject, a percentage, equals reference / denominator x 100;
    - sum of parts: a region's figure against the sum of the same metric's
      figures of the regions directly below it;
    - derived vs reported: a derived or inferred figure against the reported
      figure of the reference metric (the same metric or another);
    - continuity: a cumulative year-to-date series never falls within a year.
    """

    class Kind(models.TextChoices):
        AT_MOST = "at_most", _("Bound: subject at most the reference")
        AT_LEAST = "at_least", _("Bound: subject at least the reference")
        RATIO = "ratio", _("Ratio: subject equals reference ÷ denominator × 100")
        SUM_OF_PARTS = "sum_of_parts", _("Sum of parts: a region against the regions below it")
        DERIVED = "derived", _("Derived vs reported: a derived figure against the reported one")
        CONTINUITY = "continuity", _("Continuity: a year-to-date series never falls")

    slug = models.SlugField(_("identifier"), max_length=80, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    kind = models.CharField(
        _("kind"),
        max_length=16,
        choices=Kind,
        help_text=_(
            "Bound: subject ≤ (or ≥) reference. Ratio: subject % = reference ÷ denominator × "
            "100. Sum of parts: a region's subject figure against the sum of the regions "
            "directly below it. Derived vs reported: a derived or inferred subject figure "
            "against the reported reference figure. Continuity: a cumulative subject never "
            "falls from one year-to-date figure to the next within a year."
        ),
    )
    subject = models.ForeignKey(
        "metrics.Metric",
        verbose_name=_("subject metric"),
        on_delete=models.PROTECT,
        related_name="rules_as_subject",
        help_text=_("Every kind: the metric whose figures are checked."),
    )
    reference = models.ForeignKey(
        "metrics.Metric",
        verbose_name=_("reference metric"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rules_as_reference",
        help_text=_(
            "Bound: the limit. Ratio: the numerator. Derived vs reported: the metric whose "
            "reported figure is the yardstick (it may be the subject itself). Leave empty for "
            "a sum of parts or continuity."
        ),
    )
    denominator = models.ForeignKey(
        "metrics.Metric",
        verbose_name=_("denominator metric"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rules_as_denominator",
        help_text=_("Ratio only; leave empty for every other kind."),
    )
    # Wide enough for amounts in base units: 0.5 billion yuan is 500000000.
    tolerance = models.DecimalField(
        _("tolerance"),
        max_digits=24,
        decimal_places=3,
        default=Decimal(0),
        help_text=_(
            "How far apart figures may be and still agree. Ratio: in percentage points. "
            "Derived vs reported: in percentage points when both figures report a "
            "year-on-year change, else in the metric's unit. Bound, sum of parts and "
            "continuity: in the metric's unit, in base units (yuan, not billions)."
        ),
    )
    message_en = models.TextField(
        _("message (English)"),
        blank=True,
        help_text=_(
            "What staff and readers are told when the rule is broken; blank for the "
            "kind's standard message. Placeholders: {subject}, {value}, {basis}, {expected}, "
            "{reference}, {denominator}, {source}, {difference}, {tolerance}, {region}, "
            "{period}."
        ),
    )
    message_zh = models.TextField(
        _("message (Chinese)"),
        blank=True,
        help_text=_("The same in Chinese; blank to use the English one, as names do."),
    )
    description_en = models.TextField(_("description (English)"), blank=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    name = Translated()
    description = Translated()
    message = Translated()

    objects = ValidationRuleManager()

    class Meta:
        verbose_name = _("validation rule")
        verbose_name_plural = _("validation rules")
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=NEEDS_REFERENCE, reference__isnull=False)
                | Q(kind__in=SUBJECT_ONLY, reference__isnull=True),
                name="validationrule_reference_per_kind",
                violation_error_message=_(
                    "Bounds, ratios and derived-versus-reported rules need a reference "
                    "metric; a sum of parts and continuity take none."
                ),
            ),
            models.CheckConstraint(
                condition=Q(kind="ratio", denominator__isnull=False)
                | (~Q(kind="ratio") & Q(denominator__isnull=True)),
                name="validationrule_denominator_for_ratio_only",
                violation_error_message=_(
                    "A ratio rule needs a denominator; other rules take none."
                ),
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
        errors = {}
        for name in ("message_en", "message_zh"):
            if problem := template_errors(getattr(self, name) or ""):
                errors[name] = problem
        errors.update(self._metric_errors())
        if errors:
            raise ValidationError(errors)

    def _metric_errors(self) -> dict:
        """Per field: the metrics this kind needs, and units that can be compared."""
        if self.kind not in self.Kind.values:
            return {}
        label = self.Kind(self.kind).label
        errors = {}
        if self.kind in NEEDS_REFERENCE and not self.reference_id:
            errors["reference"] = _("This kind of rule (%(kind)s) needs a reference metric.") % {
                "kind": label
            }
        if self.kind in SUBJECT_ONLY and self.reference_id:
            errors["reference"] = _(
                "This kind of rule (%(kind)s) uses no reference metric; leave it empty."
            ) % {"kind": label}
        if (self.kind == self.Kind.RATIO) != bool(self.denominator_id):
            errors["denominator"] = _("A ratio rule needs a denominator; other rules do not.")
        if not self.subject_id or errors:
            return errors
        subject, reference = self.subject, self.reference
        if self.kind in ("at_most", "at_least", "derived") and subject.unit != reference.unit:
            errors["reference"] = _("Compare metrics measured in the same unit.")
        if self.kind == self.Kind.RATIO:
            if subject.unit != Unit.PERCENT:
                errors["subject"] = _("The subject of a ratio is a percentage.")
            elif self.denominator.unit != reference.unit:
                errors["denominator"] = _("Numerator and denominator need the same unit.")
        if self.kind == self.Kind.SUM_OF_PARTS and subject.unit not in ADDITIVE_UNITS:
            errors["subject"] = _(
                "Only amounts add up across regions (yuan, US dollars, counts), not percentages."
            )
        if self.kind == self.Kind.CONTINUITY and not subject.is_cumulative:
            errors["subject"] = _(
                "Continuity checks a metric whose figures are cumulative year to date."
            )
        return errors

    def formatted_tolerance(self) -> str:
        """The tolerance in the unit this kind reads it in: "1 pp", "0.5 billion yuan"."""
        points = format_figure(self.tolerance, unit=Unit.PERCENTAGE_POINTS)
        if self.kind == self.Kind.RATIO:
            return points
        amount = self.subject.format_value(self.tolerance)
        if self.kind == self.Kind.DERIVED:
            return gettext("%(points)s between changes, %(amount)s between values") % {
                "points": points,
                "amount": amount,
            }
        return amount

    @property
    def metric_ids(self) -> set[int]:
        return {self.subject_id, self.reference_id, self.denominator_id} - {None}

    @property
    def grouping(self) -> Grouping:
        if self.kind == self.Kind.SUM_OF_PARTS:
            return Grouping.FAMILY
        if self.kind == self.Kind.CONTINUITY:
            return Grouping.SERIES
        return Grouping.CELL

    # Checks, one per grouping ---------------------------------------------------------

    def check_cell(self, cell: "Cell") -> Iterator["Violation"]:
        """Check one region and period's figures."""
        if self.kind == self.Kind.DERIVED:
            yield from self._check_derived(cell)
            return
        subject = cell.preferred(self.subject_id)
        reference = cell.preferred(self.reference_id)
        if subject is None or reference is None:
            return
        if self.kind == self.Kind.AT_MOST:
            if subject.value > reference.value + self.tolerance:
                yield Violation(
                    self, subject, [reference], reference.value, subject.value - reference.value
                )
            return
        if self.kind == self.Kind.AT_LEAST:
            if subject.value < reference.value - self.tolerance:
                yield Violation(
                    self, subject, [reference], reference.value, reference.value - subject.value
                )
            return
        denominator = cell.preferred(self.denominator_id)
        if denominator is None or denominator.value == 0:
            return
        expected = (reference.value / denominator.value * 100).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )
        if abs(subject.value - expected) > self.tolerance:
            yield Violation(
                self, subject, [reference, denominator], expected, abs(subject.value - expected)
            )

    def _check_derived(self, cell: "Cell") -> Iterator["Violation"]:
        reported = cell.reported(self.reference_id)
        if reported is None:
            return
        for worked_out in cell.worked_out(self.subject_id):
            if worked_out.yoy_change is not None and reported.yoy_change is not None:
                expected, difference = (
                    reported.yoy_change,
                    worked_out.yoy_change - reported.yoy_change,
                )
                changes = True
            elif worked_out.value is not None and reported.value is not None:
                expected, difference = reported.value, worked_out.value - reported.value
                changes = False
            else:
                continue
            if abs(difference) > self.tolerance:
                yield Violation(
                    self,
                    worked_out,
                    [reported],
                    expected,
                    abs(difference),
                    compares_changes=changes,
                )

    def check_family(self, family: "Family") -> Iterator["Violation"]:
        """Check one metric and period's figures of a region against the regions below it."""
        for whole, parts, below in family.wholes_with_parts():
            total = sum((part.value for part in parts), Decimal(0))
            if len(parts) >= below:  # every region below reports: the parts make the whole
                broken = abs(total - whole.value) > self.tolerance
            else:  # some do: together they cannot exceed it
                broken = total > whole.value + self.tolerance
            if broken:
                yield Violation(
                    self, whole, parts, total, abs(total - whole.value), parts_below=below
                )

    def check_series(self, series: list[Observation]) -> Iterator["Violation"]:
        """Check one region's year-to-date figures of the year, in order."""
        for earlier, later in zip(series, series[1:], strict=False):
            if later.value < earlier.value - self.tolerance:
                yield Violation(self, later, [earlier], earlier.value, earlier.value - later.value)


class Cell:
    """The figures of one region and period, several per metric when known several ways."""

    def __init__(self, members: list[Observation]):
        self.by_metric: dict[int, list[Observation]] = {}
        for member in members:
            self.by_metric.setdefault(member.metric_id, []).append(member)

    def preferred(self, metric_id) -> Observation | None:
        """The metric's figure with a value, the reported one where there are several."""
        found = [o for o in self.by_metric.get(metric_id, []) if o.value is not None]
        return next((o for o in found if o.is_quoted), found[0] if found else None)

    def reported(self, metric_id) -> Observation | None:
        return next((o for o in self.by_metric.get(metric_id, []) if o.is_quoted), None)

    def worked_out(self, metric_id) -> list[Observation]:
        """The metric's derived and inferred figures."""
        return [o for o in self.by_metric.get(metric_id, []) if not o.is_quoted]


class Family:
    """One metric and period's figures across regions, with how many regions lie below each."""

    def __init__(self, members: list[Observation], regions_below: dict[int, int]):
        self.regions_below = regions_below
        self.figures: dict[int, Observation] = {}
        for member in members:  # one figure per region, the reported one where there are two
            held = self.figures.get(member.region_id)
            if held is None or (member.is_quoted and not held.is_quoted):
                self.figures[member.region_id] = member

    def wholes_with_parts(self) -> Iterator[tuple[Observation, list[Observation], int]]:
        parts: dict[int, list[Observation]] = {}
        for figure in self.figures.values():
            parts.setdefault(figure.region.parent_id, []).append(figure)
        for region_id, below in parts.items():
            if (whole := self.figures.get(region_id)) is not None:
                below.sort(key=lambda figure: figure.region.path)
                yield whole, below, self.regions_below.get(region_id, 0)


@dataclass
class Violation:
    """A rule that some figures break: the figure checked and the ones it is checked against."""

    rule: ValidationRule
    subject: Observation
    others: list[Observation]
    expected: Decimal
    difference: Decimal = Decimal(0)
    compares_changes: bool = False
    parts_below: int = 0

    @property
    def observations(self) -> list[Observation]:
        return [self.subject, *self.others]

    @property
    def message(self) -> str:
        """The rule's message for the active language, or its kind's standard one."""
        return render_template(self.rule.message or self._default_message(), self.values())

    @cached_property
    def warning(self) -> dict:
        """
        The violation as open data carry it: the rule, its message in both
        languages, and every figure involved (by id), so a reader of one
        figure can find the figures it conflicts with.
        """
        messages = {}
        for suffix, language in (("en", "en"), ("zh", "zh-hans")):
            with translation.override(language):
                messages[f"message_{suffix}"] = self.message
        return {
            "rule": self.rule.slug,
            "kind": self.rule.kind,
            **messages,
            "observations": [observation.pk for observation in self.observations],
        }

    def values(self) -> dict[str, str]:
        """The placeholders' values, written as the reader's language writes figures."""
        rule, subject = self.rule, self.subject
        metric = rule.subject
        if self.compares_changes:
            value = format_change(subject.yoy_change)
            expected = format_change(self.expected)
            unit = Unit.PERCENTAGE_POINTS
        elif rule.kind == ValidationRule.Kind.RATIO:
            value = subject.formatted_value
            expected = format_figure(self.expected, unit=Unit.PERCENT)
            unit = Unit.PERCENTAGE_POINTS
        elif rule.kind == ValidationRule.Kind.SUM_OF_PARTS:
            value = subject.formatted_value
            expected = metric.format_value(self.expected)
            unit = None
        else:  # a figure of its own, written as its metric writes it
            value = subject.formatted_value
            expected = self.others[0].formatted_value
            unit = None

        def amount(number):
            if unit is not None:
                return format_figure(number, unit=unit)
            return metric.format_value(number)

        other = self.others[0] if self.others else None
        return {
            "subject": metric.name,
            "value": value,
            "basis": subject.get_basis_display(),
            "expected": expected,
            "reference": self._reference(),
            "denominator": rule.denominator.name if rule.denominator_id else "",
            "source": (
                other.source.publisher
                if other is not None and other.source_id
                else gettext("the source")
            ),
            "difference": amount(self.difference),
            "tolerance": amount(rule.tolerance),
            "region": subject.region.name,
            "period": subject.period_label,
        }

    def _reference(self) -> str:
        rule = self.rule
        if rule.kind == ValidationRule.Kind.SUM_OF_PARTS:
            if len(self.others) >= self.parts_below:
                return ngettext(
                    "the %(count)d region below", "the %(count)d regions below", len(self.others)
                ) % {"count": len(self.others)}
            return ngettext(
                "the %(count)d of %(below)d regions below that report",
                "the %(count)d of %(below)d regions below that report",
                len(self.others),
            ) % {"count": len(self.others), "below": self.parts_below}
        if rule.kind == ValidationRule.Kind.CONTINUITY:
            return self.others[0].period_label
        return rule.reference.name

    def _default_message(self) -> str:
        kind = ValidationRule.Kind
        match self.rule.kind:
            case kind.AT_MOST:
                return gettext("{subject} ({value}) exceeds {reference} ({expected}).")
            case kind.AT_LEAST:
                return gettext("{subject} ({value}) falls short of {reference} ({expected}).")
            case kind.RATIO:
                return gettext(
                    "{subject} is {value}, but {reference} ÷ {denominator} × 100 = {expected} "
                    "(tolerance ±{tolerance})."
                )
            case kind.SUM_OF_PARTS if len(self.others) >= self.parts_below:
                return gettext(
                    "{subject} of {region} is {value}, but {reference} add up to {expected}: "
                    "{difference} apart (tolerance ±{tolerance})."
                )
            case kind.SUM_OF_PARTS:
                return gettext(
                    "{subject} of {region} is {value}, but {reference} alone add up to "
                    "{expected}: {difference} more (tolerance ±{tolerance})."
                )
            case kind.DERIVED:
                return gettext(
                    "{subject}, {basis}: {value}; {source} reports {expected} ({reference}), "
                    "{difference} apart (tolerance ±{tolerance})."
                )
            case _:
                return gettext(
                    "{subject} falls from {expected} ({reference}) to {value} ({period}), though "
                    "it counts from the start of the year (tolerance ±{tolerance})."
                )


# Reading figures group by group ----------------------------------------------------------


@dataclass(frozen=True)
class Scan:
    """How a grouping reads its figures: which, in what order, and where a group ends."""

    figures: Q
    order: tuple[str, ...]
    key: Callable[[Observation], tuple]


SCANS = {
    Grouping.CELL: Scan(
        # A derived figure may state only a change, which derived-vs-reported compares.
        figures=Q(value__isnull=False) | Q(yoy_change__isnull=False),
        order=("region_id", "period_start", "period_end", "metric_id", "basis"),
        key=lambda o: (o.region_id, o.period_start, o.period_end),
    ),
    Grouping.FAMILY: Scan(
        figures=Q(value__isnull=False),
        order=("metric_id", "period_start", "period_end", "region_id", "basis"),
        key=lambda o: (o.metric_id, o.period_start, o.period_end),
    ),
    Grouping.SERIES: Scan(
        figures=Q(value__isnull=False),
        order=("metric_id", "region_id", "period_end", "basis"),
        key=lambda o: (o.metric_id, o.region_id, o.period_end.year),
    ),
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

    For each grouping the rules need, the figures of their metrics are read
    once, ordered so that a group's figures come together, and checked
    group by group, so memory stays flat however many observations there
    are: one query per grouping in use (and one for the number of regions
    below each region, when a sum of parts is checked). Figures qualified
    "more than" or "less than" cannot prove a violation and are left out.
    """
    rules = list(ValidationRule.objects.published().active() if rules is None else rules)
    base = Observation.objects.all() if observations is None else observations
    for grouping in Grouping:
        if its_rules := [rule for rule in rules if rule.grouping == grouping]:
            yield from _scan(base, grouping, its_rules)


def _scan(base, grouping: Grouping, rules: list[ValidationRule]) -> Iterator[Violation]:
    scan = SCANS[grouping]
    metric_ids = set().union(*(rule.metric_ids for rule in rules))
    rows = (
        base.filter(scan.figures, metric_id__in=metric_ids, value_qualifier__in=PLAIN)
        .select_related("metric", "region", "source")
        .order_by(*scan.order)
    )
    check = _checker(grouping, rules)
    group_key, members = None, []
    for observation in rows.iterator(chunk_size=2000):
        key = scan.key(observation)
        if key != group_key:
            yield from check(members)
            group_key, members = key, []
        members.append(observation)
    yield from check(members)


def _checker(grouping: Grouping, rules: list[ValidationRule]):
    if grouping == Grouping.CELL:

        def check(members):
            if len(members) >= 2:
                cell = Cell(members)
                for rule in rules:
                    yield from rule.check_cell(cell)

    elif grouping == Grouping.FAMILY:
        from metrics.models.regions import Region

        regions_below = dict(
            Region.objects.filter(parent__isnull=False)
            .values_list("parent_id")
            .annotate(count=Count("pk"))
            .order_by()
        )

        def check(members):
            if len(members) < 2:
                return
            family = Family(members, regions_below)
            for rule in rules:
                if rule.subject_id == members[0].metric_id:
                    yield from rule.check_family(family)

    else:

        def check(members):
            if len(members) < 2:
                return
            series = _year_to_date(members)
            for rule in rules:
                if rule.subject_id == members[0].metric_id:
                    yield from rule.check_series(series)

    return check


def _year_to_date(members: list[Observation]) -> list[Observation]:
    """The figures counted from 1 January, one per period end, the reported one first."""
    chosen: dict[date, Observation] = {}
    for member in members:
        if member.period_start != date(member.period_end.year, 1, 1):
            continue
        held = chosen.get(member.period_end)
        if held is None or (member.is_quoted and not held.is_quoted):
            chosen[member.period_end] = member
    return [chosen[end] for end in sorted(chosen)]


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
    """
    return {
        pk: [violation.message for violation in found]
        for pk, found in violations_involving(observations).items()
    }


def open_warnings() -> Iterator[tuple[int, dict]]:
    """
    Every open warning on published figures, once for each figure it
    involves, as (figure id, warning): what the bulk download lists.
    Memory stays flat, as in find_violations().
    """
    for violation in find_violations(Observation.objects.published()):
        warning = violation.warning
        for pk in warning["observations"]:
            yield pk, warning


def violations_involving(observations: list[Observation]) -> dict[int, list[Violation]]:
    """
    The violations the given (published) observations take part in, keyed
    by observation id, each with every figure it involves.
    Reads the rules, and the other figures that can be involved with the
    shown ones, in a fixed number of queries however many are given: the
    same regions and periods; for a sum of parts also the regions above and
    below; for continuity the rest of the shown years.
    """
    if not observations:
        return {}
    from metrics.models.regions import Region
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
    regions = {observation.region_id for observation in observations}
    ends = {observation.period_end for observation in observations}
    groupings = {rule.grouping for rule in rules}
    nearby = Q(region_id__in=regions, period_end__in=ends)
    if Grouping.FAMILY in groupings:
        # The shown regions, the regions they lie in, and the regions below both.
        family = Region.objects.filter(Q(pk__in=regions) | Q(children__in=regions)).values("pk")
        nearby |= Q(period_end__in=ends) & (
            Q(region_id__in=family) | Q(region__parent_id__in=family)
        )
    if Grouping.SERIES in groupings:
        years = Q()
        for year in {end.year for end in ends}:
            years |= Q(period_end__range=(date(year, 1, 1), date(year, 12, 31)))
        nearby |= Q(region_id__in=regions) & years
    shown = {observation.pk for observation in observations}
    involving: dict[int, list[Violation]] = {}
    for violation in find_violations(Observation.objects.published().filter(nearby), rules=rules):
        for observation in violation.observations:
            if observation.pk in shown:
                involving.setdefault(observation.pk, []).append(violation)
    return involving


def attach_violations(observations: Iterable[Observation]) -> list[Observation]:
    """
    Set `open_violations` (the violations each takes part in, as
    violations_involving() finds them) on each of the given published
    observations, and return them as a list: one call for every figure a
    page shows, so that the page marks each flagged figure in a fixed number
    of queries however many it shows.
    """
    observations = list(observations)
    found = violations_involving(observations)
    for observation in observations:
        observation.open_violations = found.get(observation.pk, [])
    return observations


def rules_involving(metric) -> list[ValidationRule]:
    """The published active rules that check figures of the metric."""
    rules = ValidationRule.objects.published().active()
    return [rule for rule in rules if metric.pk in rule.metric_ids]
