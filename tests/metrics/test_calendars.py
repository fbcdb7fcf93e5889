"""
Release calendars: which figures are expected for which regions and
periods, when each is due, and which are overdue — due, and not published
(a draft or a figure in review is not what the public can read).
"""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from metrics.models import Region, ReleaseCalendar, ReleaseDate, expected_figures
from metrics.periods import Period
from tests.factories import (
    CountyFactory,
    MetricFactory,
    ObservationFactory,
    ProvinceFactory,
    RegionFactory,
)

pytestmark = pytest.mark.django_db


def calendar(**fields) -> ReleaseCalendar:
    fields.setdefault("metric", MetricFactory())
    fields.setdefault("region", RegionFactory())
    fields.setdefault("period_type", "month")
    fields.setdefault("first_period_start", date(2020, 1, 1))
    fields.setdefault("lag_days", 20)
    fields.setdefault("reasoning_en", "Expected monthly, about three weeks after each month.")
    made = ReleaseCalendar(**fields)
    made.full_clean()
    made.save()
    return made


def labels(expected) -> list[str]:
    return [f"{item.region.code} {item.period.label('en')} {item.due:%m-%d}" for item in expected]


class TestPeriods:
    @pytest.mark.parametrize(
        ("period_type", "first", "expected"),
        [
            ("month", date(2020, 11, 1), ["Nov 2020", "Dec 2020", "Jan 2021"]),
            ("quarter", date(2020, 4, 1), ["Q2 2020", "Q3 2020", "Q4 2020"]),
            ("half_year", date(2020, 1, 1), ["H1 2020", "H2 2020"]),
            ("year", date(2019, 1, 1), ["2019", "2020"]),
            # A new year starts a new cumulation: January alone.
            ("ytd", date(2020, 11, 1), ["Jan–Nov 2020", "Jan–Dec 2020", "Jan 2021"]),
        ],
    )
    def test_each_rhythm(self, period_type, first, expected):
        made = ReleaseCalendar(period_type=period_type, first_period_start=first)
        periods = [period.label("en") for period in made.periods(until=date(2021, 2, 10))]
        assert periods == expected

    def test_a_calendar_stops_at_its_last_period(self):
        made = ReleaseCalendar(
            period_type="quarter",
            first_period_start=date(2020, 1, 1),
            last_period_end=date(2020, 6, 30),
        )
        assert [p.label("en") for p in made.periods(until=date(2030, 1, 1))] == [
            "Q1 2020",
            "Q2 2020",
        ]


class TestExpectedFigures:
    def test_overdue_and_due_soon_and_not_yet(self):
        made = calendar(first_period_start=date(2021, 1, 1), lag_days=20)
        expected = expected_figures(today=date(2021, 3, 15), soon_days=14)
        # January was due on 20 February: overdue; February is due on 20 March: soon;
        # March is not due before 20 April.
        assert labels(expected) == [
            f"{made.region.code} Jan 2021 02-20",
            f"{made.region.code} Feb 2021 03-20",
        ]
        assert [item.overdue for item in expected] == [True, False]

    def test_only_a_published_figure_settles_a_period(self):
        made = calendar(first_period_start=date(2021, 1, 1), last_period_end=date(2021, 3, 31))
        common = {"metric": made.metric, "region": made.region, "yoy_change": None}
        ObservationFactory(published=True, period=Period.month(2021, 1), **common)
        ObservationFactory(publication_state="in_review", period=Period.month(2021, 2), **common)
        ObservationFactory(period=Period.month(2021, 3), **common)  # a draft
        expected = expected_figures(today=date(2021, 12, 1))
        assert [item.period.label("en") for item in expected] == ["Feb 2021", "Mar 2021"]
        assert all(item.overdue for item in expected)

    def test_a_release_date_replaces_the_lag(self):
        made = calendar(
            period_type="half_year",
            first_period_start=date(2020, 1, 1),
            last_period_end=date(2020, 6, 30),
            lag_days=30,
        )
        ReleaseDate.objects.create(
            calendar=made,
            period_start=date(2020, 1, 1),
            period_end=date(2020, 6, 30),
            due_on=date(2020, 7, 16),
        )
        [item] = expected_figures(today=date(2020, 7, 20))
        assert item.due == date(2020, 7, 16) and item.overdue

    def test_a_level_calendar_expects_each_region_at_that_level_and_editors_see_theirs(self):
        province = ProvinceFactory()
        first, second = RegionFactory(parent=province), RegionFactory(parent=province)
        CountyFactory(parent=first)  # a county: not a city, so not expected
        calendar(
            region=province,
            level="prefecture",
            period_type="year",
            first_period_start=date(2020, 1, 1),
            last_period_end=date(2020, 12, 31),
        )
        everywhere = expected_figures(today=date(2021, 6, 1))
        assert sorted(item.region.code for item in everywhere) == sorted([first.code, second.code])
        mine = expected_figures(today=date(2021, 6, 1), regions=Region.objects.in_region(second))
        assert [item.region for item in mine] == [second]
        assert mine[0].key == f"{mine[0].metric.slug}/{second.code}/year/2020-01-01/2020-12-31"

    def test_an_inactive_calendar_expects_nothing(self):
        calendar(active=False)
        assert expected_figures(today=date(2021, 6, 1)) == []


class TestRules:
    def test_an_inferred_calendar_says_why(self):
        with pytest.raises(ValidationError) as raised:
            calendar(reasoning_en="")
        assert "reasoning_en" in raised.value.message_dict

    def test_a_stated_calendar_needs_no_reasoning(self):
        assert calendar(basis="stated", reasoning_en="").pk

    def test_the_level_lies_below_the_region(self):
        city = RegionFactory()
        with pytest.raises(ValidationError) as raised:
            calendar(region=city, level="province")
        assert "level" in raised.value.message_dict


class TestDemo:
    def test_linfen_is_expected_its_half_years_and_shanxi_its_months(self, shanxi):
        linfen = Region.objects.get(code="141000")
        overdue = expected_figures(
            today=date(2026, 11, 30), regions=Region.objects.in_region(linfen)
        )
        assert [(item.metric.slug, item.period.label("en"), item.overdue) for item in overdue] == [
            ("online-retail-sales", "H1 2020", True),
            ("online-retail-sales", "H2 2020", True),
        ]
        everywhere = expected_figures(today=date(2026, 11, 30))
        shanxi_sales = [
            item.period.label("en")
            for item in everywhere
            if item.region.code == "140000" and item.metric.slug == "online-retail-sales"
        ]
        # January–June is published (the article's figure); the rest of 2020 is not.
        assert shanxi_sales == [
            f"Jan–{month} 2020" for month in ("Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
        ]
        assert all(item.calendar.basis == "inferred" for item in everywhere)
        assert all(item.calendar.reasoning_en and item.calendar.reasoning_zh for item in everywhere)
        # The rural share: 2019 is published, 2020 is not.
        assert [
            item.period.label("en")
            for item in everywhere
            if item.metric.slug == "rural-share-of-online-retail-sales"
        ] == ["2020"]
