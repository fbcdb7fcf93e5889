"""
The overview for leadership: programs by kind, status and region, each
outcome's standing against its target by the stated rule, figures overdue
by region and, on the admin home, the review queue by age. Every number
links to the records it counts; the queries do not grow with the records.
"""

import re
from datetime import date, timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from metrics.models import Basis, PublicationState, Region, ReleaseCalendar
from metrics.periods import Period
from programs.models import Outcome, Program
from programs.overview import STANDING_RULE, OutcomeStanding, Standing
from tests.factories import (
    MetricFactory,
    ObservationFactory,
    OutcomeFactory,
    ProgramFactory,
    RegionFactory,
    ReviewStepFactory,
    SuperuserFactory,
)
from tests.staff.conftest import client_for, make_staff

pytestmark = pytest.mark.django_db

OVERVIEW = "/overview/"
RULE = escape(str(STANDING_RULE))


def page(client, url=OVERVIEW) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def rows(html: str) -> list[str]:
    """The text of each table row, tags removed."""
    return [
        " ".join(unescape(re.sub(r"<[^>]+>", " ", row)).split())
        for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)
    ]


def row_of(html: str, title: str) -> str:
    found = [row for row in rows(html) if title in row]
    assert len(found) == 1, f"{title!r} in {len(found)} rows"
    return found[0]


def linked_count(html: str, href: str) -> int:
    """The number a link to `href` shows (the table's, not the chart's)."""
    numbers = re.findall(
        rf'<td data-label="[^"]*"><a href="{re.escape(escape(href))}">(\d+)</a></td>', html
    )
    assert numbers, f"no count links to {href}"
    return int(numbers[0])


def section(html: str, element_id: str) -> str:
    """The element with this id, up to the first closing tag of its kind (none may nest in it)."""
    start = html.index(f'id="{element_id}"')
    tag = html[html.rindex("<", 0, start) + 1 :].split(maxsplit=1)[0]
    return html[start : html.index(f"</{tag}>", start)]


def overview_of(admin_html: str) -> str:
    """The admin home's overview, up to the sidebar of recent actions."""
    start = admin_html.index('id="overview"')
    end = admin_html.find('id="content-related"', start)
    return admin_html[start : end if end > 0 else None]


# --- Outcomes with known standings ------------------------------------------------------------
#
# OutcomeFactory: from 8 billion (2019) to 20 billion by 2022-12-31. A figure
# for 2020 ends 366 of the path's 1,096 days after the baseline: the straight
# path expects 33.4 % of the way by then (12.01 billion).


def outcome_with_figure(title: str, value: str | None, *, period=None, **fields) -> Outcome:
    program = ProgramFactory(published=True, title_en=title)
    outcome = OutcomeFactory(program=program, **fields)
    if value is not None:
        ObservationFactory(
            published=True,
            metric=outcome.metric,
            region=outcome.region,
            period=period or Period.year(2020),
            value=Decimal(value),
        )
    return outcome


@pytest.fixture
def standings(db):
    """One published program per standing, a decrease among them, and a draft one."""
    outcome_with_figure("Ahead of the path", "13000000000")  # 41.7 % of the way
    outcome_with_figure("Behind but moving", "10500000000")  # 20.8 %: at least half of 33.4
    outcome_with_figure("Barely moved", "9000000000")  # 8.3 %
    share = {"metric": MetricFactory(share=True), "effect": Outcome.Effect.DECREASE}
    path = {"baseline_value": Decimal(40), "target_value": Decimal(20)}
    outcome_with_figure("Falling as planned", "30", **share, **path)  # 50 % of the way down
    outcome_with_figure("Rising instead", "45", **share, **path)  # -25 %
    outcome_with_figure("Without a target", "13000000000", target_value=None, target_date=None)
    outcome_with_figure("Nothing newer", "9000000000", period=Period.year(2019))
    outcome_with_figure("Never reported", None)
    draft = ProgramFactory(title_en="Draft with an outcome")
    OutcomeFactory(program=draft)


def test_each_outcome_stands_where_the_rule_puts_it(client, standings):
    html = page(client)
    expected = {
        "Ahead of the path": "On track",
        "Behind but moving": "At risk",
        "Barely moved": "Off track",
        "Falling as planned": "On track",
        "Rising instead": "Off track",
        "Without a target": "No data",
        "Nothing newer": "No data",
        "Never reported": "No data",
    }
    for title, standing in expected.items():
        assert f" {standing}" in row_of(html, title), title
    assert "Draft with an outcome" not in html


def test_a_row_shows_its_progress_against_what_the_path_expects(client, standings):
    html = page(client)
    ahead = row_of(html, "Ahead of the path")
    assert "41.7 %" in ahead and "33.4 %" in ahead
    assert "(12.007 billion yuan)" in ahead  # the path's value at the end of 2020
    falling = row_of(html, "Falling as planned")
    assert "50.0 %" in falling and "33.4 %" in falling
    # Why an outcome has no standing, in words.
    assert "No target is set." in row_of(html, "Without a target")
    assert "No published figure is newer than the baseline." in row_of(html, "Nothing newer")
    assert "No figure is published yet." in row_of(html, "Never reported")
    assert RULE in html


def test_a_draft_figure_does_not_move_a_standing(client, standings):
    outcome = Outcome.objects.get(program__title_en="Barely moved")
    ObservationFactory(
        metric=outcome.metric,
        region=outcome.region,
        period=Period.year(2021),
        value=Decimal("19000000000"),
    )
    assert " Off track" in row_of(page(client), "Barely moved")


def test_exactly_on_the_path_is_on_track_and_half_of_it_at_risk():
    outcome = OutcomeFactory.build(
        baseline_value=Decimal(0),
        baseline_period_end=date(2019, 12, 31),
        target_value=Decimal(100),
        target_date=date(2021, 12, 31),
    )
    figure = ObservationFactory.build(period=Period.year(2020), value=Decimal("50.1"))
    on_path = OutcomeStanding.assess(outcome, figure)  # the path: 366 of 731 days, 50.1 %
    assert (on_path.standing, on_path.expected) == (Standing.ON_TRACK, Decimal("50.1"))
    figure.value = Decimal("25.05")
    assert OutcomeStanding.assess(outcome, figure).standing == Standing.AT_RISK
    figure.value = Decimal("25")
    assert OutcomeStanding.assess(outcome, figure).standing == Standing.OFF_TRACK


def test_a_figure_after_the_target_date_is_judged_against_the_whole_way():
    outcome = OutcomeFactory.build()  # 8 to 20 billion by 2022
    figure = ObservationFactory.build(period=Period.year(2024), value=Decimal("19000000000"))
    late = OutcomeStanding.assess(outcome, figure)
    assert (late.standing, late.expected) == (Standing.AT_RISK, Decimal("100.0"))


def test_standing_counts_link_to_the_outcomes_they_count(client, standings):
    html = page(client)
    assert linked_count(html, "?standing=on_track#outcomes") == 2
    assert linked_count(html, "?standing=at_risk#outcomes") == 1
    assert linked_count(html, "?standing=off_track#outcomes") == 2
    assert linked_count(html, "?standing=no_data#outcomes") == 3
    off_track = page(client, OVERVIEW + "?standing=off_track")
    table = section(off_track, "outcomes")
    assert "Barely moved" in table and "Rising instead" in table
    assert "Ahead of the path" not in table and "Never reported" not in table


# --- The demo -----------------------------------------------------------------------------------


def test_the_demo_shows_every_published_program_with_its_outcomes_standing(client, shanxi):
    html = page(client)
    assert RULE in html
    table = section(html, "outcomes")
    with_outcomes = Program.objects.published().filter(outcomes__isnull=False).distinct()
    assert with_outcomes.count() == 3
    for program in with_outcomes:
        for outcome in program.outcomes.all():
            row = row_of(
                table,
                f"{program.title_en} {outcome.get_effect_display()}: "
                f"{outcome.metric.name_en} — {outcome.region.name_en}",
            )
            # The demo's outcomes name no target: no standing, and the page says why.
            assert "No data No target is set." in row
        assert f'href="{program.get_absolute_url()}"' in table
    # Programs without an outcome are named, so every program is accounted for.
    for program in Program.objects.published().filter(outcomes__isnull=True):
        assert escape(program.title_en) in table


def test_the_demo_counts_link_to_the_program_list_so_filtered(client, shanxi):
    html = page(client)
    published = Program.objects.published()
    for kind in Program.Kind.values:
        assert linked_count(html, f"/programs/?kind={kind}") == published.filter(kind=kind).count()
    for status in Program.Status.values:
        count = published.filter(status=status).count()
        assert linked_count(html, f"/programs/?status={status}") == count
    assert linked_count(html, "/programs/?region=141000") == 1  # Linfen: its campaign
    assert linked_count(html, "/programs/?region=140100") == 0  # Taiyuan
    # Most run province-wide: the province's own count says so, and lists them.
    assert '<a href="/programs/?region=140000">9 programs</a>' in html
    # Following a count lists those programs and no others.
    listed = page(client, "/programs/?kind=digital_transformation")
    for program in published:
        shown = escape(program.title_en) in listed
        assert shown == (program.kind == Program.Kind.DIGITAL_TRANSFORMATION), program.slug


def test_the_overview_is_in_the_main_navigation(client, shanxi):
    html = page(client, "/")
    assert f'<a href="{reverse("programs:overview")}"' in html


# --- Overdue figures ----------------------------------------------------------------------------


def yearly_calendar(metric, region):
    """2020 to 2022, each year's figure due 30 days after it ends: all past now."""
    return ReleaseCalendar.objects.create(
        metric=metric,
        region=region,
        period_type="year",
        first_period_start=date(2020, 1, 1),
        last_period_end=date(2022, 12, 31),
        lag_days=30,
        basis=Basis.INFERRED,
        reasoning_en="Yearly, as the bureau has published before.",
    )


def test_overdue_figures_are_counted_by_region_and_link_to_the_region(client):
    region = RegionFactory(name_en="Orchard City")
    metric = MetricFactory()
    yearly_calendar(metric, region)
    ObservationFactory(published=True, metric=metric, region=region, period=Period.year(2020))
    ObservationFactory(metric=metric, region=region, period=Period.year(2021))  # a draft
    # A calendar of a metric the public cannot see is not counted, even as a number.
    hidden = RegionFactory(name_en="Hidden City")
    yearly_calendar(MetricFactory(draft=True), hidden)

    html = page(client)
    assert linked_count(html, region.get_absolute_url()) == 2  # 2021 and 2022
    assert "Hidden City" not in html


# --- Queries ------------------------------------------------------------------------------------


def programs_with_outcomes(count: int, region: Region):
    for index in range(count):
        outcome = outcome_with_figure(f"Scaled program {index}", "12000000000", region=region)
        outcome.program.regions.set([region])


def test_the_page_costs_the_same_queries_for_2_and_10_programs(client, settings):
    settings.PUBLIC_PART_CACHE_SECONDS = 0
    region = RegionFactory()
    programs_with_outcomes(2, region)
    with CaptureQueriesContext(connection) as few:
        page(client)
    programs_with_outcomes(8, region)
    with CaptureQueriesContext(connection) as many:
        html = page(client)
    assert html.count("Scaled program") >= 10
    assert len(many) == len(few)


# --- The admin home -----------------------------------------------------------------------------


@pytest.fixture
def regions(shanxi):
    return {
        region.code: region
        for region in Region.objects.filter(code__in=["140000", "140100", "141000", "141023"])
    }


def in_review(record, *, waited: timedelta):
    """Put a record in review as if submitted `waited` ago."""
    type(record)._base_manager.filter(pk=record.pk).update(
        publication_state=PublicationState.IN_REVIEW
    )
    ReviewStepFactory(record=record, at=timezone.now() - waited)
    return record


@pytest.fixture
def waiting(regions):
    """A Linfen program waiting two days, a Taiyuan one ten days, a Linfen county figure an hour."""
    linfen = in_review(
        ProgramFactory(regions=[regions["141000"]], title_en="Linfen orchard livestreams"),
        waited=timedelta(days=2),
    )
    taiyuan = in_review(
        ProgramFactory(regions=[regions["140100"]], title_en="Taiyuan night-market campaign"),
        waited=timedelta(days=10),
    )
    figure = in_review(
        ObservationFactory(region=regions["141023"], period=Period.year(2021)),
        waited=timedelta(hours=1),
    )
    return linfen, taiyuan, figure


def queue_row(html: str, kind: str) -> list[tuple[str, str]]:
    """(link, number) of each cell of the review queue's row for a kind of record."""
    queue = section(html, "review-queue")
    row = re.search(rf"<tr><th scope=\"row\">{kind}</th>(.*?)</tr>", queue, re.S)
    assert row, f"no row for {kind}"
    return re.findall(r'<td>(?:<a href="([^"]*)">)?(\d+)', row.group(1))


def test_a_reviewer_sees_the_review_queue_by_age(regions, waiting):
    client = client_for(make_staff("reviewer", regions["140000"]))
    html = page(client, "/admin/")
    # Under a day, 1-3 days, 3-7 days, over 7 days, all.
    programs = queue_row(html, "Programs")
    assert [number for _link, number in programs] == ["0", "1", "0", "1", "2"]
    assert [number for _link, number in queue_row(html, "Observations")][:2] == ["1", "0"]
    # The count of programs waiting 1-3 days opens the list of exactly that one.
    changelist = page(client, unescape(programs[1][0]))
    assert "Linfen orchard livestreams" in changelist
    assert "Taiyuan night-market campaign" not in changelist
    older = page(client, unescape(programs[3][0]))
    assert "Taiyuan night-market campaign" in older and "Linfen orchard" not in older


def test_a_record_put_in_review_without_a_recorded_step_is_counted_apart(regions, waiting):
    ObservationFactory(
        region=regions["141023"],
        period=Period.year(2022),
        publication_state=PublicationState.IN_REVIEW,
    )
    html = page(client_for(make_staff("reviewer", regions["140000"])), "/admin/")
    assert '<th scope="col">Not recorded</th>' in html
    assert [number for _link, number in queue_row(html, "Observations")] == [
        "1",
        "0",
        "0",
        "0",
        "1",
        "2",
    ]
    assert [number for _link, number in queue_row(html, "Programs")][-2:] == ["0", "2"]


def test_an_editor_sees_only_their_regions(regions, waiting):
    ProgramFactory(published=True, regions=[regions["140100"]], title_en="Taiyuan published")
    ProgramFactory(published=True, regions=[regions["141000"]], kind=Program.Kind.INDUSTRIAL_PARK)
    client = client_for(make_staff("editor", regions["141000"]))
    html = page(client, "/admin/")
    assert [number for _link, number in queue_row(html, "Programs")] == ["0", "1", "0", "0", "1"]
    overview = overview_of(html)
    region_rows = rows(section(html, "overview-region"))
    # Only Linfen of the province's cities, with its two published programs.
    assert region_rows[1:] == ["Linfen 2"]
    assert "Taiyuan" not in overview
    # The counts link to the admin's lists of those records.
    kind_link = re.search(r'<td>Industrial park</td><td><a href="([^"]*)">1</a>', overview)
    listed = page(client, unescape(kind_link.group(1)))
    assert "Taiyuan published" not in listed
    assert listed.count('class="field-title_en"') == 1


def test_the_admin_home_shows_outcomes_standing_with_the_rule(regions, standings):
    # The factories' programs lie outside Shanxi: a Shanxi reviewer does not count them.
    reviewer_html = page(client_for(make_staff("reviewer", regions["140000"])), "/admin/")
    assert RULE in reviewer_html
    assert "Ahead of the path" not in reviewer_html
    assert "<td>On track</td><td>0</td>" in reviewer_html  # nothing to list: no link

    client = client_for(SuperuserFactory())
    overview = overview_of(page(client, "/admin/"))
    assert " On track" in row_of(overview, "Ahead of the path")
    assert " Off track" in row_of(overview, "Rising instead")
    assert "Draft with an outcome" not in overview
    # The count of outcomes at risk opens the admin's list of that one outcome.
    at_risk = re.search(r'<td>At risk</td><td><a href="([^"]*)">1</a>', overview)
    listed = page(client, unescape(at_risk.group(1)))
    assert "Behind but moving" in listed and "Ahead of the path" not in listed


def test_the_admin_home_costs_the_same_queries_for_2_and_10_waiting(regions):
    client = client_for(make_staff("reviewer", regions["140000"]))

    def programs(count):
        for _index in range(count):
            program = ProgramFactory(regions=[regions["141000"]])
            in_review(program, waited=timedelta(days=4))
            outcome = OutcomeFactory(
                program=ProgramFactory(published=True), region=regions["141000"]
            )
            outcome.program.regions.set([regions["141000"]])

    programs(2)
    page(client, "/admin/")  # the first visit reads what every later one keeps (content types)
    with CaptureQueriesContext(connection) as few:
        page(client, "/admin/")
    programs(8)
    with CaptureQueriesContext(connection) as many:
        html = page(client, "/admin/")
    assert [number for _link, number in queue_row(html, "Programs")][2] == "10"
    assert len(many) == len(few)
