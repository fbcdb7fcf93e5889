"""
The overview for leadership: programs counted by kind, status and region,
each outcome's standing against its target, figures overdue by region and
(for staff) the review queue by age.

Every count comes with the address of the records behind it, and every
computation costs a fixed number of queries whatever the number of
programs, outcomes or records waiting. The public page (programs.views.
OverviewView) counts published records only; the admin home
(config.admin.PolicyAdminSite.index) counts what the user's regions cover.
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Exists, OuterRef, Subquery
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from metrics.charts import Bar, BarChart
from metrics.models import (
    Observation,
    PublicationState,
    Region,
    ReviewStep,
    attach_violations,
    expected_figures,
)
from metrics.workflow.scope import RegionScope
from programs.models import Outcome, Program
from programs.models.programs import MAP_PROGRAMS

# The public page lists this many outcomes a page; the admin home shows the first ones.
OUTCOMES_PER_PAGE = 100
STAFF_OUTCOMES_SHOWN = 100
# A link that lists records by their ids holds at most this many: past it,
# the count links to the whole list it was taken from.
MAX_LINKED_IDS = 200

STANDING_RULE = _(
    "How an outcome's standing is judged: a straight path runs from the baseline, at the end "
    "of its period, to the target on its target date. On track: the latest published figure "
    "has covered at least the share of the way from baseline to target that the path had "
    "covered by the end of that figure's period. At risk: it has covered at least half that "
    "share. Off track: less than half. For an outcome meant to lower a figure the way runs "
    "downward, so a fall counts as progress. Without a baseline, a target, a target date or "
    "a published figure newer than the baseline there is no standing. Year-to-date figures "
    "are compared as published, without annualising."
)


class Standing(models.TextChoices):
    """Where an outcome stands against the straight path from its baseline to its target."""

    OFF_TRACK = "off_track", _("Off track")
    AT_RISK = "at_risk", _("At risk")
    ON_TRACK = "on_track", _("On track")
    NO_DATA = "no_data", _("No data")


# Okabe-Ito colours, each at least 3:1 against white; the label says it in words too.
STANDING_COLOURS = {
    Standing.ON_TRACK: "#009E73",
    Standing.AT_RISK: "#8a6d00",
    Standing.OFF_TRACK: "#D55E00",
    Standing.NO_DATA: "#6b6b6b",
}


def _percent(share: Decimal) -> Decimal:
    return (share * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class OutcomeStanding:
    """
    An outcome with its latest published figure and its standing: the share
    of the way to the target covered (`progress`, percent) against the share
    the straight path expects by the end of that figure's period (`expected`,
    percent, and `expected_value` on the metric's own scale).
    """

    outcome: Outcome
    latest: Observation | None
    standing: Standing
    progress: Decimal | None = None
    expected: Decimal | None = None
    expected_value: Decimal | None = None
    reason: str = ""

    @classmethod
    def assess(cls, outcome: Outcome, latest: Observation | None) -> "OutcomeStanding":
        """Judge the outcome by STANDING_RULE; without what it needs, say what is missing."""
        if reason := cls.missing(outcome, latest):
            return cls(outcome, latest, Standing.NO_DATA, reason=reason)
        start, due = outcome.baseline_period_end, outcome.target_date
        elapsed = min((latest.period_end - start).days, (due - start).days)
        share = Decimal(elapsed) / Decimal((due - start).days)
        expected = _percent(share)
        # (target - baseline) is negative for a decrease: a fall is progress,
        # and the expected value lies below the baseline.
        expected_value = (
            outcome.baseline_value + (outcome.target_value - outcome.baseline_value) * share
        )
        # Compared as shown (rounded to 0.1 %), so the page never contradicts itself.
        progress = outcome.progress(latest)
        if progress >= expected:
            standing = Standing.ON_TRACK
        elif progress * 2 >= expected:
            standing = Standing.AT_RISK
        else:
            standing = Standing.OFF_TRACK
        return cls(outcome, latest, standing, progress, expected, expected_value)

    @staticmethod
    def missing(outcome: Outcome, latest: Observation | None) -> str:
        """Why the outcome has no standing, or "" when it has one."""
        if outcome.target_value is None or outcome.target_date is None:
            return str(_("No target is set."))
        if outcome.baseline_value is None or outcome.baseline_period_end is None:
            return str(_("No baseline is set."))
        if outcome.target_value == outcome.baseline_value:
            return str(_("The target equals the baseline."))
        if outcome.target_date <= outcome.baseline_period_end:
            return str(_("The target date is not after the baseline."))
        if latest is None or latest.value is None:
            return str(_("No figure is published yet."))
        if latest.period_end <= outcome.baseline_period_end:
            return str(_("No published figure is newer than the baseline."))
        return ""

    @property
    def expected_display(self) -> str:
        """The value the straight path expects at the latest figure's period end."""
        if self.expected_value is None:
            return ""
        return self.outcome.metric.format_value(self.expected_value)


def outcome_standings(programs, scope: RegionScope | None = None) -> list[OutcomeStanding]:
    """
    The standing of every outcome of `programs` (of those a RegionScope
    covers, given one), worst first, then by program and metric. Two
    queries for any number of outcomes: the outcomes with the key of their
    latest published figure, then those figures. The latest figure is the
    one Outcome.latest_in picks from a series: the latest period with a value.
    """
    latest = (
        Observation.objects.published()
        .filter(metric=OuterRef("metric"), region=OuterRef("region"), value__isnull=False)
        .order_by("-period_end", "-period_start", "-pk")
        .values("pk")[:1]
    )
    outcomes = Outcome.objects.all() if scope is None else Outcome.objects.within(scope)
    outcomes = list(
        outcomes.filter(program__in=programs.order_by().values("pk"))
        .select_related("program", "metric", "region")
        .annotate(latest_pk=Subquery(latest))
    )
    figures = Observation.objects.select_related("metric", "region").in_bulk(
        {outcome.latest_pk for outcome in outcomes if outcome.latest_pk is not None}
    )
    order = list(Standing)
    rows = [OutcomeStanding.assess(outcome, figures.get(outcome.latest_pk)) for outcome in outcomes]
    return sorted(
        rows,
        key=lambda row: (
            order.index(row.standing),
            row.outcome.program.title,
            row.outcome.metric.name,
            row.outcome.region.path,
        ),
    )


# --- Counts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """A count on the overview: what it counts, its label, the number, the records behind it."""

    key: str
    label: str
    count: int
    url: str = ""
    colour: str = "#0072B2"


def linked(tallies: Iterable[Tally], url_for: Callable[[Tally], str]) -> list[Tally]:
    """The tallies, each with the address `url_for` gives it."""
    return [replace(tally, url=url_for(tally)) for tally in tallies]


def tally_chart(title: str, tallies: list[Tally]) -> BarChart:
    """The tallies as a bar chart, each bar linking where its number does."""
    return BarChart(
        title=str(title),
        bars=[Bar(tally.label, tally.count, tally.url, tally.colour) for tally in tallies],
    )


def programs_by(programs, field_name: str) -> list[Tally]:
    """How many of `programs` have each value of a choice field (kind, status): one query."""
    choices = Program._meta.get_field(field_name).choices
    counts = dict(
        programs.order_by()
        .values_list(field_name)
        .annotate(count=models.Count("pk"))
        .values_list(field_name, "count")
    )
    return [Tally(value, str(label), counts.get(value, 0)) for value, label in choices]


def overview_region() -> Region | None:
    """The region whose parts the overview counts: the province the site maps."""
    return (
        Region.objects.map_root() or Region.objects.filter(code=settings.HOME_REGION_CODE).first()
    )


def regions_below(province: Region | None, scope: RegionScope | None = None) -> list[Region]:
    """The regions right below `province` that share ground with the scope (all without one)."""
    if province is None:
        return []
    children = list(province.children.order_by("path"))
    if scope is None or scope.is_everywhere:
        return children
    return [
        child
        for child in children
        if scope.contains(child) or any(path.startswith(child.path) for path in scope.paths)
    ]


def programs_by_region(programs, regions: list[Region], province: Region | None) -> list[Tally]:
    """
    How many of `programs` run in each region (in it or below it), while
    they are no more than a map counts (MAP_PROGRAMS); none past that.
    """
    if province is None or not regions:
        return []
    counts = programs.count_in(regions, cap=MAP_PROGRAMS)
    if counts is None:  # more programs than a list counts: not counted by region
        return []
    return [Tally(region.code, region.name, counts.get(region.code, 0)) for region in regions]


def overdue_by_region(figures) -> list[tuple[Region, int]]:
    """How many of these expected figures are overdue in each region, by the region's path."""
    regions, counts = {}, Counter()
    for expected in figures:
        if expected.overdue:
            regions[expected.region.pk] = expected.region
            counts[expected.region.pk] += 1
    return [(region, counts[pk]) for pk, region in sorted(regions.items(), key=lambda i: i[1].path)]


def standing_tallies(rows: list[OutcomeStanding]) -> list[Tally]:
    """How many outcomes stand where."""
    counts = Counter(row.standing for row in rows)
    return [
        Tally(
            standing.value, str(standing.label), counts[standing], colour=STANDING_COLOURS[standing]
        )
        for standing in (Standing.ON_TRACK, Standing.AT_RISK, Standing.OFF_TRACK, Standing.NO_DATA)
    ]


def programs_without_outcomes(programs) -> list[Program]:
    """The programs with no outcome recorded: they have no progress to show."""
    return list(
        programs.filter(~Exists(Outcome.objects.filter(program=OuterRef("pk")))).order_by(
            "title_en"
        )
    )


# --- The review queue ---------------------------------------------------------------------


@dataclass(frozen=True)
class AgeBucket:
    """How long records have been waiting for review: from `least` up to (not including) `most`."""

    key: str
    label: str
    least: timedelta | None
    most: timedelta | None
    colour: str

    def holds(self, age: timedelta | None) -> bool:
        if age is None:
            return self.least is None and self.most is None
        if self.least is None:
            return False
        return age >= self.least and (self.most is None or age < self.most)


AGE_BUCKETS = [
    AgeBucket("day", _("Under a day"), timedelta(0), timedelta(days=1), "#009E73"),
    AgeBucket("days", _("1–3 days"), timedelta(days=1), timedelta(days=3), "#0072B2"),
    AgeBucket("week", _("3–7 days"), timedelta(days=3), timedelta(days=7), "#8a6d00"),
    AgeBucket("older", _("Over 7 days"), timedelta(days=7), None, "#D55E00"),
    # Records put in review without a recorded step (loaded from a fixture, say).
    AgeBucket("unknown", _("Not recorded"), None, None, "#6b6b6b"),
]


@dataclass
class QueueRow:
    """The records of one kind waiting for review, counted by how long they have waited."""

    opts: object  # the model's _meta
    total: Tally
    by_age: list[Tally] = field(default_factory=list)


def review_queue_by_age(waiting: dict, *, now: datetime) -> list[QueueRow]:
    """
    Records waiting for review, `waiting` mapping a model to its queryset of
    them, counted by how long ago they were last submitted for review (their
    latest review step into "in review"). One query per kind of record, and
    one for the content types: constant in the number of records. Each count
    links to the admin list of exactly those records (by their ids, up to
    MAX_LINKED_IDS; past that, to all the kind's records in review).
    """
    content_types = ContentType.objects.get_for_models(*waiting)
    waited = []
    for model, queryset in waiting.items():
        entered = (
            ReviewStep.objects.filter(
                content_type=content_types[model],
                object_id=OuterRef("pk"),
                to_state=PublicationState.IN_REVIEW,
            )
            .order_by("-at", "-pk")
            .values("at")[:1]
        )
        ages = queryset.order_by().annotate(entered=Subquery(entered)).values_list("pk", "entered")
        ids_by_bucket = defaultdict(list)
        for pk, at in ages:
            # A clock set a little ahead must not make an age negative.
            age = max(now - at, timedelta(0)) if at is not None else None
            bucket = next(bucket for bucket in AGE_BUCKETS if bucket.holds(age))
            ids_by_bucket[bucket.key].append(pk)
        if ids_by_bucket:
            waited.append((model._meta, ids_by_bucket))
    # "Not recorded" is a column only when some record has no recorded submission.
    buckets = [
        bucket
        for bucket in AGE_BUCKETS
        if bucket.key != "unknown" or any(ids["unknown"] for _opts, ids in waited)
    ]
    in_review = {"publication_state__exact": PublicationState.IN_REVIEW}
    rows = []
    for opts, ids_by_bucket in waited:
        total = sum(map(len, ids_by_bucket.values()))
        by_age = []
        for bucket in buckets:
            ids = ids_by_bucket[bucket.key]
            url = admin_list_url(opts, in_review, ids)
            by_age.append(Tally(bucket.key, str(bucket.label), len(ids), url, bucket.colour))
        all_url = admin_list_url(opts, in_review)
        total_tally = Tally(opts.model_name, str(opts.verbose_name_plural), total, all_url)
        rows.append(QueueRow(opts, total_tally, by_age))
    return rows


def queue_totals(rows: list[QueueRow]) -> list[Tally]:
    """The review queue of every kind together, by age; each total links to the quality page."""
    counts = Counter()
    for row in rows:
        for tally in row.by_age:
            counts[tally.key] += tally.count
    quality = reverse("admin:quality") + "#review"
    return [
        Tally(bucket.key, str(bucket.label), counts[bucket.key], quality, bucket.colour)
        for bucket in AGE_BUCKETS
        if bucket.key != "unknown" or "unknown" in counts
    ]


def admin_list_url(opts, filters: dict, ids: list | None = None) -> str:
    """
    An admin changelist filtered as given, and to these records when they
    are few enough; "" for no records at all (nothing to list).
    """
    if ids is not None and not ids:
        return ""
    query = dict(filters)
    if ids is not None and len(ids) <= MAX_LINKED_IDS:
        query[f"{opts.pk.attname}__in"] = ",".join(str(pk) for pk in sorted(ids))
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return f"{url}?{urlencode(query)}" if query else url


# --- The two pages ------------------------------------------------------------------------


def public_overview(*, today: date, standing: str = "", page=None) -> dict:
    """
    What the public overview shows, published records only: programs by
    kind, status and region (each count linking to the program list so
    filtered), every outcome's standing (paged, optionally of one standing)
    and figures overdue by region, linking to the region pages.
    """
    programs = Program.objects.published()
    program_list = reverse("programs:program-list")

    def filtered(name):
        return lambda tally: f"{program_list}?{urlencode({name: tally.key})}"

    province = overview_region()
    by_kind = linked(programs_by(programs, "kind"), filtered("kind"))
    by_status = linked(programs_by(programs, "status"), filtered("status"))
    by_region = linked(
        programs_by_region(programs, regions_below(province), province), filtered("region")
    )
    # Most programs run province-wide: the regions below do not count them.
    in_province = None
    if province is not None:
        in_province = linked(
            [Tally(province.code, province.name, programs.in_region(province).count())],
            filtered("region"),
        )[0]
    rows = outcome_standings(programs)
    tallies = linked(
        standing_tallies(rows), lambda tally: f"?{urlencode({'standing': tally.key})}#outcomes"
    )
    chosen = standing if standing in Standing.values else ""
    shown = [row for row in rows if row.standing == chosen] if chosen else rows
    # The public sees overdue figures of published metrics only: a calendar
    # of a draft metric must not reveal it, even as a count.
    overdue = overdue_by_region(
        expected
        for expected in expected_figures(today=today)
        if expected.metric.publication_state == PublicationState.PUBLISHED
    )
    outcomes = Paginator(shown, OUTCOMES_PER_PAGE).get_page(page)
    # The page's latest figures, marked with their warnings in one call.
    attach_violations(row.latest for row in outcomes if row.latest is not None)
    overdue_tallies = [
        Tally(region.code, region.name, count, region.get_absolute_url(), "#D55E00")
        for region, count in overdue
    ]
    return {
        "province": province,
        "by_kind": by_kind,
        "by_status": by_status,
        "by_region": by_region,
        "kind_chart": tally_chart(_("Published programs by kind"), by_kind),
        "status_chart": tally_chart(_("Published programs by status"), by_status),
        "region_chart": tally_chart(_("Published programs by region"), by_region),
        "in_province": in_province,
        "program_count": programs.count(),
        "standing_rule": STANDING_RULE,
        "standings": tallies,
        "standing_chart": tally_chart(_("Outcomes by standing"), tallies),
        "standing": Standing(chosen) if chosen else None,
        "outcomes": outcomes,
        "without_outcomes": programs_without_outcomes(programs),
        "without_outcomes_url": f"{program_list}?sort=outcome_count",
        "overdue": overdue_tallies,
        "overdue_chart": tally_chart(_("Overdue figures by region"), overdue_tallies),
        "today": today,
    }


def staff_overview(*, user, waiting: dict, today: date, now: datetime) -> dict:
    """
    The admin home's overview, within the user's regions: the public
    overview's counts of published programs and outcomes (linking to the
    admin lists of those records), overdue figures by region (linking to
    the data-quality page) and the review queue by age.
    """
    scope = RegionScope.for_user(user)
    programs = Program.objects.published().within(scope)
    program_opts = Program._meta
    published = {"publication_state__exact": PublicationState.PUBLISHED}

    def filtered(name):
        return lambda tally: admin_list_url(
            program_opts, {**published, f"{name}__exact": tally.key}
        )

    province = overview_region()
    regions = regions_below(province, scope)
    subtrees = _subtree_ids(province, regions)
    by_region = linked(
        programs_by_region(programs, regions, province),
        lambda tally: admin_list_url(
            program_opts,
            {**published, "regions__in": ",".join(map(str, subtrees[tally.key]))},
        ),
    )
    by_kind = linked(programs_by(programs, "kind"), filtered("kind"))
    by_status = linked(programs_by(programs, "status"), filtered("status"))
    # As the admin's outcome list shows them: of the user's programs, in the user's regions.
    rows = outcome_standings(programs, scope)
    outcome_ids = defaultdict(list)
    for row in rows:
        outcome_ids[row.standing].append(row.outcome.pk)
    tallies = linked(
        standing_tallies(rows),
        lambda tally: admin_list_url(Outcome._meta, {}, outcome_ids[tally.key]),
    )
    regions_covered = None if scope.is_everywhere else scope.regions()
    quality = reverse("admin:quality") + "#overdue"
    overdue_tallies = [
        Tally(region.code, region.name, count, quality, "#D55E00")
        for region, count in overdue_by_region(
            expected_figures(today=today, regions=regions_covered)
        )
    ]
    queue = review_queue_by_age(waiting, now=now)
    totals = queue_totals(queue)
    return {
        "overview_by_kind": by_kind,
        "overview_by_status": by_status,
        "overview_by_region": by_region,
        "overview_kind_chart": tally_chart(_("Published programs by kind"), by_kind),
        "overview_status_chart": tally_chart(_("Published programs by status"), by_status),
        "overview_region_chart": tally_chart(_("Published programs by region"), by_region),
        "overview_standing_rule": STANDING_RULE,
        "overview_standings": tallies,
        "overview_standing_chart": tally_chart(_("Outcomes by standing"), tallies),
        "overview_outcomes": rows[:STAFF_OUTCOMES_SHOWN],
        "overview_outcome_count": len(rows),
        "overview_overdue": overdue_tallies,
        "overview_overdue_chart": tally_chart(_("Overdue figures by region"), overdue_tallies),
        "review_queue": queue,
        "review_queue_totals": totals,
        "review_queue_buckets": [tally.label for tally in totals],
        "review_queue_chart": tally_chart(_("Records waiting for review, by age"), totals),
    }


def _subtree_ids(province: Region | None, regions: list[Region]) -> dict[str, list[int]]:
    """The ids of each region and of every region below it, by the region's code: one query."""
    if province is None or not regions:
        return {}
    subtrees = {region.code: [] for region in regions}
    for pk, path in Region.objects.in_region(province).values_list("pk", "path"):
        for region in regions:
            # Paths end with "/": a prefix is an ancestor, never a longer code.
            if path.startswith(region.path):
                subtrees[region.code].append(pk)
    return subtrees
