"""Observations: one figure of one metric, for one region and period."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, Func, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from metrics.formatting import Qualifier, format_change, format_points_difference
from metrics.links import record_url
from metrics.models.publication import (
    LockVersioned,
    PublicationState,
    Publishable,
    PublishableQuerySet,
    correction_constraints,
)
from metrics.periods import Period, PeriodType
from metrics.statements import MISSING_NOTE, Basis
from metrics.translation import Translated

# Reported changes are rounded to 0.1 % and levels to a few digits, so a
# recomputed change can differ by a little without anything being wrong.
YOY_TOLERANCE = Decimal("0.2")
ONE_DECIMAL = Decimal("0.1")


class YearEarlier(Func):
    """
    The same calendar day one year earlier, in SQL, as `periods.year_earlier()`
    computes it in Python: the day before the following day a year back, so
    that month ends stay month ends (29 Feb 2020 -> 28 Feb 2019, 28 Feb 2021
    -> 29 Feb 2020) on every database.
    """

    output_field = models.DateField()

    def as_sqlite(self, compiler, connection, **extra_context):
        template = "date(%(expressions)s, '+1 day', '-1 year', '-1 day')"
        return self.as_sql(compiler, connection, template=template, **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        template = (
            "((%(expressions)s + INTERVAL '1 day') - INTERVAL '1 year' - INTERVAL '1 day')::date"
        )
        return self.as_sql(compiler, connection, template=template, **extra_context)


class ObservationQuerySet(PublishableQuerySet):
    def within(self, scope):
        """Observations of the regions a RegionScope covers."""
        return self.filter(scope.q("region__path"))

    def in_region(self, region):
        """Observations of the region and every region below it."""
        return self.filter(region__path__startswith=region.path)

    def for_list(self):
        """What a table of observations shows, in a fixed number of queries."""
        return self.select_related("metric", "region", "source")

    def with_prior_year(self, *, published_only: bool = True):
        """
        Annotate the value of the same metric, region and period a year
        earlier (`prior_year_value`), when it is a plain figure.
        """
        earlier = Observation.objects.filter(
            revision_of__isnull=True,  # the partial unique index answers this
            metric=OuterRef("metric"),
            region=OuterRef("region"),
            period_type=OuterRef("period_type"),
            period_start=YearEarlier(OuterRef("period_start")),
            period_end=YearEarlier(OuterRef("period_end")),
            value__isnull=False,
            value_qualifier__in=[Qualifier.EXACT, Qualifier.APPROXIMATELY],
        )
        if published_only:
            earlier = earlier.published()
        # "quoted" sorts after "derived" and "inferred": descending, a
        # reported figure is preferred to one worked out beside it.
        earlier = earlier.order_by("-basis")
        return self.annotate(prior_year_value=Subquery(earlier.values("value")[:1]))

    def preferred(self, *, published_only: bool = True):
        """
        One figure per metric, region and period: a derived or inferred
        figure is left out where a reported one of the same period exists.
        """
        reported = Observation.objects.filter(
            revision_of__isnull=True,
            metric=OuterRef("metric"),
            region=OuterRef("region"),
            period_start=OuterRef("period_start"),
            period_end=OuterRef("period_end"),
            basis=Basis.QUOTED,
        )
        if published_only:
            reported = reported.published()
        return self.exclude(~Q(basis=Basis.QUOTED) & Exists(reported))

    def latest_per_metric_in(self, region):
        """The region's latest figure of each metric, among this queryset's."""
        from metrics.models import Metric

        # One index probe per metric (a few dozen), newest first; comparing
        # every figure of the region with every other would read them all.
        latest = (
            self.filter(region=region, metric=OuterRef("pk"))
            .order_by("-period_end", "-period_start", "-basis", "-pk")
            .values("pk")[:1]
        )
        return self.filter(pk__in=Metric.objects.annotate(latest=Subquery(latest)).values("latest"))

    def latest_first(self):
        return self.order_by("-period_end", "-period_start")


def attach_comparisons(observations, *, published_only: bool = True):
    """
    Set `prior_year_value` (as `with_prior_year()` annotates it) and
    `national_change` (the country's reported change for the same metric and
    period) on each observation, in two queries for any number of figures.
    A page of a long list then pays only for its own rows: SQL subqueries in
    the select list would also run for every row it skips.
    """
    from metrics.models import Region

    observations = list(observations)
    if not observations:
        return observations
    prior_keys = {
        o.pk: (o.metric_id, o.region_id, o.period_type, *o.period.prior_year().bounds())
        for o in observations
    }
    wanted = set(prior_keys.values())
    earlier = Observation.objects.canonical().filter(
        metric_id__in={key[0] for key in wanted},
        region_id__in={key[1] for key in wanted},
        period_type__in={key[2] for key in wanted},
        period_start__in={key[3] for key in wanted},
        period_end__in={key[4] for key in wanted},
        value__isnull=False,
        value_qualifier__in=[Qualifier.EXACT, Qualifier.APPROXIMATELY],
    )
    national = Observation.objects.canonical().filter(
        region__in=Region.objects.filter(level=Region.Level.COUNTRY),
        metric_id__in={o.metric_id for o in observations},
        period_start__in={o.period_start for o in observations},
    )
    if published_only:
        earlier, national = earlier.published(), national.published()
    priors = {
        row[:5]: row[5]
        for row in earlier.order_by("basis").values_list(
            "metric_id", "region_id", "period_type", "period_start", "period_end", "value"
        )
        if row[:5] in wanted
    }
    # Ascending, "quoted" comes last and so wins over a derived national figure.
    changes = {
        row[:3]: row[3]
        for row in national.order_by("basis").values_list(
            "metric_id", "period_start", "period_end", "yoy_change"
        )
        if row[3] is not None
    }
    for o in observations:
        o.prior_year_value = priors.get(prior_keys[o.pk])
        o.national_change = changes.get((o.metric_id, o.period_start, o.period_end))
    return observations


def prefer_reported(observations):
    """
    The observations without those a reported figure of the same metric,
    region and period makes redundant, in their order: what a chart or a
    map draws, one point per period.
    """
    observations = list(observations)
    reported = {o.cell for o in observations if o.basis == Basis.QUOTED}
    return [o for o in observations if o.basis == Basis.QUOTED or o.cell not in reported]


class ObservationManager(models.Manager.from_queryset(ObservationQuerySet)):
    def get_by_natural_key(
        self, metric_slug, region_code, period_start, period_end, basis=Basis.QUOTED
    ):
        return self.get(
            basis=basis,
            revision_of__isnull=True,
            metric__slug=metric_slug,
            region__code=region_code,
            period_start=period_start,
            period_end=period_end,
        )


class Observation(Publishable, LockVersioned):
    """
    A figure as a source reported it: a level, a year-on-year change, or both.

    The value is kept in base units (yuan, not billions) with the qualifier
    the source used ("more than 30 million"). The quoted sentence ties it to
    its source; derived figures (such as a national growth rate worked out
    from "14.3 percentage points higher") say how they were derived.
    """

    # The composite indexes below lead with metric and with region, so the
    # foreign keys need no index of their own (fewer indexes, faster loads).
    metric = models.ForeignKey(
        "metrics.Metric",
        verbose_name=_("metric"),
        on_delete=models.PROTECT,
        related_name="observations",
        db_index=False,
    )
    region = models.ForeignKey(
        "metrics.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="observations",
        db_index=False,
    )
    period_type = models.CharField(_("period type"), max_length=16, choices=PeriodType)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    value = models.DecimalField(
        _("value"),
        max_digits=24,
        decimal_places=6,
        null=True,
        blank=True,
        help_text=_("In base units: 10.77 billion yuan is 10770000000."),
    )
    value_qualifier = models.CharField(
        _("qualifier"), max_length=16, choices=Qualifier, default=Qualifier.EXACT
    )
    yoy_change = models.DecimalField(
        _("reported year-on-year change (%)"),
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
    )
    source = models.ForeignKey(
        "metrics.Source",
        verbose_name=_("source"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="observations",
    )
    source_quote = models.TextField(
        _("quoted source sentence"),
        blank=True,
        help_text=_("The sentence of the source that states this figure, word for word."),
    )
    basis = models.CharField(
        _("how we know it"),
        max_length=16,
        choices=Basis,
        default=Basis.QUOTED,
        help_text=_(
            "Quoted: the source states this figure. Derived: worked out from figures it "
            "states. Inferred: the department's reading, which the source does not state."
        ),
    )
    basis_note = models.TextField(
        _("working or reasoning"),
        blank=True,
        help_text=_("How a derived figure was worked out, or why an inferred one is assumed."),
    )
    note_en = models.TextField(_("note (English)"), blank=True)
    note_zh = models.TextField(_("note (Chinese)"), blank=True)
    note = Translated()

    objects = ObservationManager()

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        ordering = ["-period_end", "-id"]
        constraints = [
            models.UniqueConstraint(
                # A reported figure and one derived from another source's
                # statement may stand side by side, so that they can be
                # compared; two of the same kind may not.
                fields=["metric", "region", "period_start", "period_end", "basis"],
                condition=Q(revision_of__isnull=True),
                name="observation_one_per_metric_region_period",
                violation_error_message=_(
                    "There is already an observation of this metric for this region and "
                    "period, known the same way."
                ),
            ),
            *correction_constraints("observation"),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="observation_period_end_after_start",
                violation_error_message=_("The period cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=False) | Q(yoy_change__isnull=False),
                name="observation_value_or_change",
                violation_error_message=_("Enter a value, a year-on-year change, or both."),
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=False) | Q(value_qualifier=Qualifier.EXACT),
                name="observation_qualifier_needs_value",
                violation_error_message=_("A qualifier applies to a value; enter the value."),
            ),
            models.CheckConstraint(
                condition=~Q(publication_state=PublicationState.PUBLISHED)
                | (Q(source__isnull=False) & ~Q(source_quote="")),
                name="observation_published_cites_source",
                violation_error_message=_(
                    "A published observation cites its source and quotes its sentence."
                ),
            ),
        ]
        # Each index serves a page's filter and its sort (see bench/explain.py):
        # a region's series, a metric's figures newest first or by value or
        # change, and the newest figures of all (the admin's list).
        indexes = [
            models.Index(
                fields=["region", "metric", "-period_end"], name="observation_region_series"
            ),
            models.Index(
                fields=["metric", "publication_state", "-period_end", "-period_start"],
                name="observation_metric_recent",
            ),
            models.Index(
                fields=["metric", "publication_state", "value"], name="observation_metric_value"
            ),
            models.Index(
                fields=["metric", "publication_state", "yoy_change"],
                name="observation_metric_change",
            ),
            models.Index(
                fields=["publication_state", "-period_end", "-id"], name="observation_state_recent"
            ),
            models.Index(fields=["-period_end", "-id"], name="observation_recent"),
            # The feeds' order: the latest publication or correction first.
            models.Index(
                Coalesce("revised_at", "published_at").desc(),
                name="observation_feed",
                condition=Q(publication_state="published"),
            ),
        ]

    def __str__(self):
        # In the reader's language: the admin names records by it (titles, choices, links).
        return f"{self.metric.name}, {self.region.name}, {self.period.label()}"

    def get_absolute_url(self):
        return record_url("metrics:observation-detail", self.pk)

    def natural_key(self):
        key = (
            self.metric.slug,
            self.region.code,
            self.period_start.isoformat(),
            self.period_end.isoformat(),
        )
        # A reported figure keeps the short key that fixtures have always used.
        return key if self.basis == Basis.QUOTED else (*key, self.basis)

    natural_key.dependencies = ["metrics.metric", "metrics.region"]

    # The workflow's view of a figure: which fields say which figure it is,
    # where it lies, and what must be public before it is.
    identity_fields = ("metric", "region", "period_type", "period_start", "period_end")
    region_path = "region__path"

    def public_dependencies(self) -> list:
        return [self.metric, self.source]

    def start_correction(self) -> None:
        """A correction quotes the sentence its own figure rests on, not the old one's."""
        self.source_quote = ""

    def as_published_in(self, content: dict) -> "Observation":
        """This figure as an earlier published version's content had it (not saved)."""
        figure = Observation(
            metric=self.metric,
            region=self.region,
            period_type=self.period_type,
            period_start=self.period_start,
            period_end=self.period_end,
        )
        for name in ("value", "yoy_change"):
            raw = content.get(name)
            setattr(figure, name, Decimal(raw) if raw not in (None, "") else None)
        for name in ("value_qualifier", "source_quote", "basis_note", "note_en", "note_zh"):
            setattr(figure, name, content.get(name) or "")
        # Versions published before figures had a basis kept their working here.
        figure.basis_note = figure.basis_note or content.get("derivation") or ""
        figure.basis = content.get("basis") or (
            Basis.DERIVED if content.get("is_derived") else Basis.QUOTED
        )
        figure.value_qualifier = figure.value_qualifier or Qualifier.EXACT
        return figure

    def clean(self):
        errors = {}
        if self.period_start and self.period_end and self.period_type:
            errors.update(self.period.errors())
        if self.value is None and self.value_qualifier != Qualifier.EXACT:
            errors["value_qualifier"] = _("A qualifier applies to a value; enter the value.")
        if self.metric_id and self.value is not None and self.metric.is_share:
            if not (0 <= self.value <= 100):
                errors["value"] = _("A share of a whole lies between 0 and 100 percent.")
        errors.update(self.statement_problems())
        if errors:
            raise ValidationError(errors)

    def statement_problems(self) -> dict[str, str]:
        """What the figure's basis lacks: a derived or inferred figure says how."""
        if self.basis != Basis.QUOTED and not self.basis_note.strip():
            return {"basis_note": str(MISSING_NOTE[Basis(self.basis)])}
        return {}

    @property
    def cell(self) -> tuple:
        """The metric, region and period this figure is a value of."""
        return (self.metric_id, self.region_id, self.period_start, self.period_end)

    @property
    def is_derived(self) -> bool:
        return self.basis == Basis.DERIVED

    @property
    def is_quoted(self) -> bool:
        return self.basis == Basis.QUOTED

    @property
    def period(self) -> Period:
        return Period(self.period_type, self.period_start, self.period_end)

    @property
    def period_label(self) -> str:
        return self.period.label()

    @property
    def formatted_value(self) -> str:
        """The value in its metric's display scale, with its qualifier."""
        return self.metric.format_value(self.value, self.value_qualifier)

    @property
    def formatted_change(self) -> str:
        return format_change(self.yoy_change)

    @property
    def computed_change(self) -> Decimal | None:
        """
        Year-on-year change worked out from last year's value, when both are
        plain figures. Needs `with_prior_year()`.
        """
        prior = getattr(self, "prior_year_value", None)
        if prior in (None, 0) or self.value is None:
            return None
        if self.value_qualifier not in (Qualifier.EXACT, Qualifier.APPROXIMATELY):
            return None
        change = (self.value - prior) / abs(prior) * 100
        return change.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)

    @property
    def formatted_computed_change(self) -> str:
        return format_change(self.computed_change)

    @property
    def change_mismatch(self) -> bool:
        """The reported change disagrees with the one computed from the levels."""
        computed = self.computed_change
        if computed is None or self.yoy_change is None:
            return False
        return abs(computed - self.yoy_change) > YOY_TOLERANCE

    @property
    def national_gap(self) -> Decimal | None:
        """Points above (+) or below (-) the national change. Needs `attach_comparisons()`."""
        national = getattr(self, "national_change", None)
        if national is None or self.yoy_change is None or self.region.level == "country":
            return None
        return self.yoy_change - national

    @property
    def formatted_national_gap(self) -> str:
        return format_points_difference(self.national_gap)


@dataclass
class NationalComparison:
    """
    A region's figure against the country's for the same metric and period:
    the reported national figure the gap is measured from, and, when a
    source only stated its region's lead ("14.3 points higher than the
    national growth rate"), the national figure derived from that statement
    with what the checks found when it met the reported one.
    """

    figure: Observation
    reported: Observation | None
    derived: Observation | None
    conflicts: list[str]

    @property
    def gap(self) -> Decimal | None:
        if self.reported is None or None in (self.figure.yoy_change, self.reported.yoy_change):
            return None
        return self.figure.yoy_change - self.reported.yoy_change

    @property
    def formatted_gap(self) -> str:
        return format_points_difference(self.gap)


def national_comparison(figure: Observation) -> NationalComparison | None:
    """The comparison a published regional figure's page shows, or None (two queries at most)."""
    from metrics.models.regions import Region
    from metrics.models.validation import violations_by_observation

    if figure.region.level == Region.Level.COUNTRY or figure.yoy_change is None:
        return None
    national = list(
        Observation.objects.published()
        .filter(
            region__level=Region.Level.COUNTRY,
            metric_id=figure.metric_id,
            period_start=figure.period_start,
            period_end=figure.period_end,
            yoy_change__isnull=False,
        )
        .select_related("metric", "region", "source")
    )
    reported = next((o for o in national if o.basis == Basis.QUOTED), None)
    derived = next((o for o in national if o.basis != Basis.QUOTED), None)
    if reported is None and derived is None:
        return None
    conflicts = violations_by_observation([derived]).get(derived.pk, []) if derived else []
    return NationalComparison(figure, reported, derived, conflicts)
