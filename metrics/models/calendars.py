"""
Release calendars: which figures the department expects, for which regions
and periods, and by when.

A statistics office publishes its calendar ahead ("the half-year's online
retail sales on 16 July"); where it does not, staff state the rhythm they
expect (a period type and a lag after each period ends) and say it is
inferred, and why. A figure is *overdue* when its due date has passed and
no figure for that metric, region and period is published: a draft or a
figure in review does not count, the public cannot see it.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from metrics.models.indicators import Metric
from metrics.models.regions import Region
from metrics.models.sources import Source
from metrics.periods import Period, PeriodType

# Periods a calendar can repeat: the others have no rhythm.
REPEATING = [
    PeriodType.MONTH,
    PeriodType.QUARTER,
    PeriodType.HALF_YEAR,
    PeriodType.YEAR,
    PeriodType.YEAR_TO_DATE,
]
# "Due soon": within this many days.
DUE_SOON_DAYS = 14


class Basis(models.TextChoices):
    """How we know a calendar: the publisher stated it, or staff inferred it."""

    STATED = "stated", _("stated by the publisher")
    INFERRED = "inferred", _("inferred")


class ReleaseCalendarQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class ReleaseCalendar(models.Model):
    """
    The figures of a metric expected for a region (or for each region of a
    level below it), period after period, each due a number of days after
    its period ends, or on a date the publisher set (ReleaseDate).
    """

    metric = models.ForeignKey(
        Metric, verbose_name=_("metric"), on_delete=models.CASCADE, related_name="calendars"
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.CASCADE, related_name="calendars"
    )
    level = models.CharField(
        _("for each region at level"),
        max_length=16,
        choices=Region.Level,
        blank=True,
        help_text=_(
            "Empty: figures for the region itself. A level: a figure for each region at "
            "that level below it (each city of a province, say)."
        ),
    )
    period_type = models.CharField(
        _("period type"), max_length=16, choices=[(t.value, t.label) for t in REPEATING]
    )
    first_period_start = models.DateField(
        _("first period starts"), help_text=_("The first period the calendar expects.")
    )
    last_period_end = models.DateField(
        _("last period ends"),
        null=True,
        blank=True,
        help_text=_("Empty: the calendar goes on."),
    )
    lag_days = models.PositiveSmallIntegerField(
        _("due days after the period ends"),
        default=30,
        help_text=_("Unless a release date is set for the period."),
    )
    basis = models.CharField(_("basis"), max_length=16, choices=Basis, default=Basis.INFERRED)
    reasoning_en = models.TextField(
        _("reasoning or reference (English)"),
        blank=True,
        help_text=_("Where the publisher states it, or why we expect it."),
    )
    reasoning_zh = models.TextField(_("reasoning or reference (Chinese)"), blank=True)
    source = models.ForeignKey(
        Source,
        verbose_name=_("source"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calendars",
    )
    active = models.BooleanField(_("active"), default=True)

    objects = ReleaseCalendarQuerySet.as_manager()

    class Meta:
        verbose_name = _("release calendar")
        verbose_name_plural = _("release calendars")
        ordering = ["metric__name_en", "region__path", "level"]

    def __str__(self):
        below = f" ({self.get_level_display()})" if self.level else ""
        return f"{self.metric.name}, {self.region.name}{below}: {self.get_period_type_display()}"

    @property
    def reasoning(self) -> str:
        from metrics.translation import is_chinese

        return (self.reasoning_zh if is_chinese() else "") or self.reasoning_en

    def clean(self):
        errors = {}
        if self.basis == Basis.INFERRED and not self.reasoning_en.strip():
            errors["reasoning_en"] = _("Say why the calendar is expected: it is inferred.")
        if self.last_period_end and self.last_period_end < self.first_period_start:
            errors["last_period_end"] = _("The last period cannot end before the first starts.")
        if self.level and self.region_id:
            levels = list(Region.Level)
            if levels.index(self.level) <= levels.index(self.region.level):
                errors["level"] = _("Choose a level below the region's own.")
        if errors:
            raise ValidationError(errors)

    def periods(self, until: date):
        """The calendar's periods from its first, those ending on or before `until`."""
        end = min(until, self.last_period_end) if self.last_period_end else until
        start = self.first_period_start
        year, month = start.year, start.month
        while True:
            period = _period(self.period_type, year, month)
            if period.end > end:
                return
            if period.start >= start or self.period_type == PeriodType.YEAR_TO_DATE:
                yield period
            year, month = _next(self.period_type, year, month)

    def regions(self) -> list[Region]:
        """The regions the calendar expects figures for."""
        if not self.level:
            return [self.region]
        return list(Region.objects.in_region(self.region).filter(level=self.level))


class ReleaseDate(models.Model):
    """A date the publisher set for one period's figures: it replaces the calendar's lag."""

    calendar = models.ForeignKey(
        ReleaseCalendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="dates"
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    due_on = models.DateField(_("released on"))

    class Meta:
        verbose_name = _("release date")
        verbose_name_plural = _("release dates")
        ordering = ["period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "period_start", "period_end"], name="release_date_per_period"
            )
        ]

    def __str__(self):
        return f"{self.period_start}–{self.period_end}: {self.due_on}"


def _period(period_type: str, year: int, month: int) -> Period:
    match period_type:
        case PeriodType.MONTH:
            return Period.month(year, month)
        case PeriodType.QUARTER:
            return Period.quarter(year, (month - 1) // 3 + 1)
        case PeriodType.HALF_YEAR:
            return Period.half_year(year, 1 if month <= 6 else 2)
        case PeriodType.YEAR:
            return Period.year(year)
        case _:
            return Period.year_to_date(year, month)


def _next(period_type: str, year: int, month: int) -> tuple[int, int]:
    step = {
        PeriodType.MONTH: 1,
        PeriodType.YEAR_TO_DATE: 1,
        PeriodType.QUARTER: 3,
        PeriodType.HALF_YEAR: 6,
        PeriodType.YEAR: 12,
    }[period_type]
    if period_type == PeriodType.QUARTER:
        month = (month - 1) // 3 * 3 + 1
    elif period_type == PeriodType.HALF_YEAR:
        month = 1 if month <= 6 else 7
    elif period_type == PeriodType.YEAR:
        month = 1
    index = year * 12 + month - 1 + step
    return divmod(index, 12)[0], divmod(index, 12)[1] + 1


@dataclass(frozen=True)
class ExpectedFigure:
    """One figure a calendar expects: what, where, for when, and whether it is late."""

    calendar: ReleaseCalendar
    region: Region
    period: Period
    due: date
    overdue: bool

    @property
    def metric(self) -> Metric:
        return self.calendar.metric

    @property
    def key(self) -> str:
        """The same for the same expected figure whenever it is computed: reminders key on it."""
        return (
            f"{self.calendar.metric.slug}/{self.region.code}/{self.period.type}/"
            f"{self.period.start:%Y-%m-%d}/{self.period.end:%Y-%m-%d}"
        )


def expected_figures(
    *, today: date, regions=None, soon_days: int = DUE_SOON_DAYS
) -> list[ExpectedFigure]:
    """
    Figures due by `today + soon_days` with no published figure: overdue
    when their due date is past. `regions`, a queryset, keeps those of these
    regions (an editor's). Queries: the calendars with their dates, the
    regions of level calendars, and one read of the published figures.
    """
    from metrics.models.observations import Observation

    horizon = today + timedelta(days=soon_days)
    calendars = list(
        ReleaseCalendar.objects.active()
        .select_related("metric", "region")
        .prefetch_related("dates")
    )
    allowed = None if regions is None else set(regions.values_list("pk", flat=True))
    candidates = []
    for calendar in calendars:
        set_dates = {(d.period_start, d.period_end): d.due_on for d in calendar.dates.all()}
        # Periods ending by the horizon can be due by it (none is due before it ends).
        periods = list(calendar.periods(until=horizon))
        for region in calendar.regions():
            if allowed is not None and region.pk not in allowed:
                continue
            for period in periods:
                due = set_dates.get((period.start, period.end)) or period.end + timedelta(
                    days=calendar.lag_days
                )
                if due <= horizon:
                    candidates.append(ExpectedFigure(calendar, region, period, due, due < today))
    if not candidates:
        return []
    published = set(
        Observation.objects.published()
        .filter(
            metric_id__in={c.calendar.metric_id for c in candidates},
            region_id__in={c.region.pk for c in candidates},
        )
        .values_list("metric_id", "region_id", "period_type", "period_start", "period_end")
    )
    missing = [
        c
        for c in candidates
        if (c.calendar.metric_id, c.region.pk, c.period.type, c.period.start, c.period.end)
        not in published
    ]
    return sorted(missing, key=lambda c: (c.due, c.region.path, c.calendar.metric.name_en))
