"""What programs aim for (outcomes) and what they did (activities)."""

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Prefetch, Q
from django.utils.translation import gettext_lazy as _

from metrics.charts import Reference
from metrics.models import LockVersioned, Observation
from metrics.periods import Period, PeriodType
from metrics.statements import StatedBases
from metrics.translation import Translated, name_order


class ProgramPartQuerySet(models.QuerySet):
    def within(self, scope):
        """Records of the programs a RegionScope covers."""
        from programs.models import Program

        if scope.is_everywhere:
            return self
        return self.filter(program__in=Program.objects.within(scope))


class OutcomeQuerySet(ProgramPartQuerySet):
    def within(self, scope):
        return super().within(scope).filter(scope.q("region__path"))

    def for_public(self):
        return self.select_related("metric", "region").order_by(
            name_order("metric__name"), "region__path"
        )


class OutcomeManager(models.Manager.from_queryset(OutcomeQuerySet)):
    def get_by_natural_key(self, program_slug, metric_slug, region_code):
        return self.get(
            program__slug=program_slug, metric__slug=metric_slug, region__code=region_code
        )


class Outcome(StatedBases, LockVersioned):
    """
    A figure a program is meant to move: a metric in a region, from a
    baseline towards a target. Progress is computed from the latest
    published observation, never stored.
    """

    class Effect(models.TextChoices):
        INCREASE = "increase", _("Increase")
        DECREASE = "decrease", _("Decrease")

    stated = {"link": _("link between program and outcome")}

    program = models.ForeignKey(
        "programs.Program",
        verbose_name=_("program"),
        on_delete=models.CASCADE,
        related_name="outcomes",
    )
    metric = models.ForeignKey(
        "metrics.Metric",
        verbose_name=_("metric"),
        on_delete=models.PROTECT,
        related_name="outcomes",
    )
    region = models.ForeignKey(
        "metrics.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="outcomes",
    )
    effect = models.CharField(
        _("intended effect"), max_length=16, choices=Effect, default=Effect.INCREASE
    )
    baseline_value = models.DecimalField(
        _("baseline value"), max_digits=24, decimal_places=6, null=True, blank=True
    )
    baseline_period_type = models.CharField(
        _("baseline period type"), max_length=16, choices=PeriodType, blank=True
    )
    baseline_period_start = models.DateField(_("baseline period start"), null=True, blank=True)
    baseline_period_end = models.DateField(_("baseline period end"), null=True, blank=True)
    target_value = models.DecimalField(
        _("target value"), max_digits=24, decimal_places=6, null=True, blank=True
    )
    target_period_type = models.CharField(
        _("target period type"),
        max_length=16,
        choices=PeriodType,
        blank=True,
        help_text=_("Leave empty when the target is a date rather than a period."),
    )
    target_period_start = models.DateField(_("target period start"), null=True, blank=True)
    target_date = models.DateField(_("target date or period end"), null=True, blank=True)
    rationale_en = models.TextField(_("rationale (English)"), blank=True)
    rationale_zh = models.TextField(_("rationale (Chinese)"), blank=True)

    rationale = Translated()

    objects = OutcomeManager()

    class Meta:
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")
        ordering = ["program_id", "metric__name_en"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "metric", "region"],
                name="outcome_once_per_program_metric_region",
                violation_error_message=_(
                    "The program already has an outcome for this metric and region."
                ),
            ),
            models.CheckConstraint(
                condition=Q(baseline_period_end__isnull=True)
                | Q(baseline_period_start__isnull=True)
                | Q(baseline_period_end__gte=F("baseline_period_start")),
                name="outcome_baseline_period_order",
                violation_error_message=_("The baseline period cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(target_date__isnull=True)
                | Q(target_period_start__isnull=True)
                | Q(target_date__gte=F("target_period_start")),
                name="outcome_target_period_order",
                violation_error_message=_("The target period cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(target_value__isnull=True) | Q(target_date__isnull=False),
                name="outcome_target_has_date",
                violation_error_message=_("A target needs the date or period it is due by."),
            ),
        ]

    def __str__(self):
        return f"{self.get_effect_display()} {self.metric} – {self.region.name}"

    def natural_key(self):
        return (self.program.slug, self.metric.slug, self.region.code)

    natural_key.dependencies = ["programs.program", "metrics.metric", "metrics.region"]

    workflow_owner = "program"
    region_path = "region__path"

    def clean(self):
        errors = {}
        if self.baseline_value is not None and not self.baseline_period_end:
            errors["baseline_period_end"] = _("Say which period the baseline is for.")
        baseline = self.baseline_period
        if baseline is not None:
            errors.update(
                {f"baseline_{name}": message for name, message in baseline.errors().items()}
            )
        target = self.target_period
        if target is not None and (target_errors := target.errors()):
            errors["target_date"] = next(iter(target_errors.values()))
        if self.target_period_type and not self.target_period_start:
            errors["target_period_start"] = _("A target period needs its start.")
        if (
            self.baseline_value is not None
            and self.target_value is not None
            and self.target_value != self.baseline_value
        ):
            rising = self.target_value > self.baseline_value
            if rising != (self.effect == self.Effect.INCREASE):
                errors["target_value"] = _(
                    "The target moves the other way from the intended effect."
                )
        if errors:
            raise ValidationError(errors)

    @property
    def baseline_period(self) -> Period | None:
        if not (
            self.baseline_period_type and self.baseline_period_start and self.baseline_period_end
        ):
            return None
        return Period(
            self.baseline_period_type, self.baseline_period_start, self.baseline_period_end
        )

    @property
    def target_period(self) -> Period | None:
        if not (self.target_period_type and self.target_period_start and self.target_date):
            return None
        return Period(self.target_period_type, self.target_period_start, self.target_date)

    @property
    def baseline_display(self) -> str:
        """The baseline figure with its period: "25.6% (2019)"."""
        if self.baseline_value is None:
            return ""
        value = self.metric.format_value(self.baseline_value)
        period = self.baseline_period
        return f"{value} ({period.label()})" if period else value

    @property
    def target_display(self) -> str:
        """The target figure with its period or due date."""
        if self.target_value is None:
            return ""
        value = self.metric.format_value(self.target_value)
        period = self.target_period
        due = period.label() if period else self.target_date.isoformat()
        return f"{value} ({due})"

    def chart_references(self) -> list[Reference]:
        """The baseline and target, as levels its chart draws (metrics.charts)."""
        references = []
        if self.baseline_value is not None:
            references.append(
                Reference(
                    name=str(_("Baseline")),
                    value=self.baseline_value,
                    when=self.baseline_period_end,
                    detail=self.baseline_display,
                )
            )
        if self.target_value is not None:
            references.append(
                Reference(
                    name=str(_("Target")),
                    value=self.target_value,
                    when=self.target_date,
                    detail=self.target_display,
                )
            )
        return references

    @staticmethod
    def latest_in(series: list[Observation]) -> Observation | None:
        """The latest figure with a value in a series ordered oldest first."""
        with_values = [observation for observation in series if observation.value is not None]
        return with_values[-1] if with_values else None

    def progress(self, latest: Observation | None) -> Decimal | None:
        """
        Share of the way from baseline to target that the latest figure has
        covered, in percent: (latest - baseline) / (target - baseline) x 100.
        None without a baseline, a target or a later figure.
        """
        if latest is None or latest.value is None:
            return None
        if self.baseline_value is None or self.target_value is None:
            return None
        if self.target_value == self.baseline_value:
            return None
        if self.baseline_period_end and latest.period_end <= self.baseline_period_end:
            return None
        share = (latest.value - self.baseline_value) / (self.target_value - self.baseline_value)
        return (share * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


class ActivityQuerySet(ProgramPartQuerySet):
    def for_public(self):
        """Activities with their regions, source and published results only."""
        return (
            self.select_related("source")
            .prefetch_related(
                "regions",
                Prefetch(
                    "results",
                    queryset=Observation.objects.published().select_related("metric", "region"),
                ),
            )
            .order_by("start_date", "pk")
        )


class ActivityManager(models.Manager.from_queryset(ActivityQuerySet)):
    def get_by_natural_key(self, program_slug, start_date, title_en):
        return self.get(program__slug=program_slug, start_date=start_date, title_en=title_en)


class Activity(LockVersioned):
    """
    Something a program did on given dates, such as a series of livestreams.
    Its reported results are observations of metrics.
    """

    class Kind(models.TextChoices):
        LIVESTREAM_EVENTS = "livestream_events", _("Livestreaming events")
        TRADE_FAIR = "trade_fair", _("Trade fair or promotion")
        TRAINING = "training", _("Training")
        SIGNING = "signing", _("Agreement signing")
        CONSTRUCTION = "construction", _("Construction or opening")
        OTHER = "other", _("Other")

    class Venue(models.TextChoices):
        FARMLAND = "farmland", _("Farmland")
        WORKSHOP = "workshop", _("Workshop")
        TOURIST_ATTRACTION = "tourist_attraction", _("Tourist attraction")
        STUDIO = "studio", _("Studio")
        MARKET = "market", _("Market")
        FACTORY = "factory", _("Factory")
        OTHER = "other", _("Other")

    program = models.ForeignKey(
        "programs.Program",
        verbose_name=_("program"),
        on_delete=models.CASCADE,
        related_name="activities",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    title_en = models.CharField(_("title (English)"), max_length=250)
    title_zh = models.CharField(_("title (Chinese)"), max_length=250, blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    regions = models.ManyToManyField(
        "metrics.Region", verbose_name=_("regions"), related_name="activities", blank=True
    )
    event_count = models.PositiveIntegerField(_("number of events"), null=True, blank=True)
    venue_types = models.JSONField(_("venue types"), default=list, blank=True)
    participants_en = models.CharField(_("participants (English)"), max_length=250, blank=True)
    participants_zh = models.CharField(_("participants (Chinese)"), max_length=250, blank=True)
    participant_count = models.PositiveIntegerField(
        _("number of participants"), null=True, blank=True
    )
    source = models.ForeignKey(
        "metrics.Source",
        verbose_name=_("source"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
    )
    source_quote = models.TextField(_("quoted source sentence"), blank=True)
    results = models.ManyToManyField(
        "metrics.Observation",
        verbose_name=_("reported results"),
        related_name="activities",
        blank=True,
    )

    title = Translated()
    description = Translated()
    participants = Translated()

    objects = ActivityManager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["program_id", "start_date"]
        # The admin's date drill-down asks for the first and last start date.
        indexes = [models.Index(fields=["start_date"], name="activity_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="activity_end_after_start",
                violation_error_message=_("An activity cannot end before it starts."),
            ),
            models.UniqueConstraint(
                fields=["program", "start_date", "title_en"],
                name="activity_unique_title_per_day",
                violation_error_message=_(
                    "The program already has an activity with this title starting that day."
                ),
            ),
        ]

    def __str__(self):
        return self.title

    def natural_key(self):
        return (self.program.slug, self.start_date.isoformat(), self.title_en)

    workflow_owner = "program"
    region_path = "program__regions__path"

    natural_key.dependencies = ["programs.program"]

    def clean(self):
        venues = self.venue_types
        if not isinstance(venues, list) or not set(venues) <= set(self.Venue.values):
            raise ValidationError(
                {
                    "venue_types": _("Choose venue types from the list: %(choices)s.")
                    % {"choices": ", ".join(self.Venue.values)}
                }
            )

    @property
    def venue_labels(self) -> list[str]:
        return [str(self.Venue(venue).label) for venue in self.venue_types]

    @property
    def period(self) -> Period:
        return Period(PeriodType.CUSTOM, self.start_date, self.end_date)
