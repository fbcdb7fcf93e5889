"""
The data-quality page (/admin/quality/): what staff must look at, each
entry linked to its record, within the user's own regions.
"""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from metrics import quality
from metrics.models import Observation, PublicationState, QualityCheck, ReleaseCalendar
from metrics.periods import Period
from tests.factories import MetricFactory, ObservationFactory, SourceFactory
from tests.staff.conftest import draft_observation, draft_program
from tests.test_admin import url

pytestmark = pytest.mark.django_db

QUALITY = "/admin/quality/"


def change_link(observation) -> str:
    return f'href="{url(Observation, "change", observation.pk)}"'


@pytest.fixture
def mismatch(demo):
    """Xiangfen's Jan-Jun 2020 sales are 'up 23.7 %' on a year that was 900 million: 36.7 %."""
    draft_observation(
        demo, demo.county, period=Period.year_to_date(2019, 6), value=Decimal("900000000")
    )
    return draft_observation(
        demo,
        demo.county,
        period=Period.year_to_date(2020, 6),
        value=Decimal("1230000000"),
        yoy_change=Decimal("23.7"),
    )


@pytest.fixture
def outlier(demo):
    """Six Jan-Jun figures of one county's series, the last ten times the others."""
    metric = MetricFactory(slug="county-parcels", name_en="Parcels delivered")
    values = ["100", "102", "98", "101", "99", "1000"]
    figures = [
        ObservationFactory(
            metric=metric,
            region=demo.county,
            period=Period.year_to_date(2015 + n, 6),
            value=Decimal(value),
            yoy_change=None,
        )
        for n, value in enumerate(values)
    ]
    return figures[-1]


@pytest.fixture
def waiting(demo, linfen_program):
    observation = draft_observation(
        demo, demo.county, period=Period.year_to_date(2021, 3), publication_state="in_review"
    )
    linfen_program.publication_state = PublicationState.IN_REVIEW
    linfen_program.save()
    return observation, linfen_program


def waiting_records(response) -> list:
    return [record for _opts, record in response.context["in_review"]]


def test_a_source_waiting_for_review_is_listed_too(reviewer_client, demo):
    source = SourceFactory(publication_state=PublicationState.IN_REVIEW, published_at=None)
    response = reviewer_client.get(QUALITY)
    assert source in waiting_records(response)
    assert f'href="{url(type(source), "review", source.pk)}"' in response.content.decode()


def test_the_page_is_linked_from_the_admin_index(linfen_client):
    assert f'href="{QUALITY}"' in linfen_client.get(reverse("admin:index")).content.decode()


def test_the_seeds_rule_violation(reviewer_client, demo):
    response = reviewer_client.get(QUALITY)
    assert response.status_code == 200
    [violation] = response.context["violations"]
    assert violation.rule.slug == "rural-share-matches-sales"
    html = response.content.decode()
    assert violation.rule.name_en in html
    share = Observation.objects.get(
        metric__slug="rural-share-of-online-retail-sales", period_end=date(2020, 6, 30)
    )
    assert share in violation.observations
    for observation in violation.observations:
        assert change_link(observation) in html


def test_a_reported_change_that_disagrees_with_the_levels(linfen_client, mismatch):
    response = linfen_client.get(QUALITY)
    [shown] = response.context["mismatches"]
    assert shown == mismatch
    assert shown.computed_change == Decimal("36.7")
    html = response.content.decode()
    assert change_link(mismatch) in html
    assert shown.formatted_computed_change in html


def test_an_outlier(linfen_client, outlier):
    response = linfen_client.get(QUALITY)
    [item] = response.context["outliers"]
    assert item.observation == outlier
    assert item.median == Decimal("100.5")
    assert change_link(outlier) in response.content.decode()


def test_overdue_figures_follow_the_release_calendars(linfen_client, demo):
    # The demo expects each city's online retail sales half-yearly in 2020
    # (an inferred calendar); Linfen has published none.
    response = linfen_client.get(QUALITY)
    overdue = [(item.region.code, item.period.label("en")) for item in response.context["overdue"]]
    assert overdue == [("141000", "H1 2020"), ("141000", "H2 2020")]  # Linfen's only
    # A figure in review is not published: the period stays overdue.
    draft_observation(
        demo, demo.linfen, period=Period.half_year(2020, 1), publication_state="in_review"
    )
    response = linfen_client.get(QUALITY)
    assert len(response.context["overdue"]) == 2
    html = response.content.decode()
    assert "inferred" in html and "half-yearly" in html
    assert 'href="/admin/metrics/releasecalendar/2/change/"' in html


def test_records_waiting_for_review(reviewer_client, waiting):
    observation, program = waiting
    response = reviewer_client.get(QUALITY)
    assert waiting_records(response) == [observation, program]
    html = response.content.decode()
    assert f'href="{url(Observation, "review", observation.pk)}"' in html
    assert f'href="{url(type(program), "review", program.pk)}"' in html
    assert reviewer_client.get(url(Observation, "review", observation.pk)).status_code == 200


def test_a_taiyuan_editor_sees_none_of_linfens_entries(
    taiyuan_client, demo, mismatch, outlier, waiting
):
    taiyuan_waiting = draft_observation(demo, demo.taiyuan, publication_state="in_review")
    taiyuan_program = draft_program(demo.taiyuan, publication_state="in_review")
    response = taiyuan_client.get(QUALITY)
    assert response.status_code == 200
    context = response.context
    assert context["violations"] == []
    assert context["mismatches"] == []
    assert context["outliers"] == []
    assert waiting_records(response) == [taiyuan_waiting, taiyuan_program]
    assert all(item.metric != outlier.metric for item in context["overdue"])
    html = response.content.decode()
    for record in (mismatch, outlier, waiting[0]):
        assert f"/admin/metrics/observation/{record.pk}/" not in html
    assert f"/admin/programs/program/{waiting[1].pk}/" not in html


def test_the_linfen_editor_sees_their_entries_but_not_the_provinces(
    linfen_client, mismatch, outlier, waiting
):
    context = linfen_client.get(QUALITY).context
    assert context["violations"] == []  # the seed's violation is Shanxi's
    assert [item.observation for item in context["outliers"]] == [outlier]
    assert context["mismatches"] == [mismatch]
    assert context["waiting_count"] == 2


def test_anonymous_visitors_are_sent_to_the_login(client):
    response = client.get(QUALITY)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# --- The home page's count ------------------------------------------------------------


class TestHomeWarningCount:
    """Past a size the home page shows the count a scheduled check kept, never counts itself."""

    def test_a_large_site_shows_the_kept_count_only(self, client, shanxi, monkeypatch):
        monkeypatch.setattr(quality, "INLINE_CHECK_LIMIT", 5)
        assert "open data-quality warning" not in client.get("/").content.decode()
        call_command("record_quality_check", stdout=io.StringIO())
        assert "3 open data-quality warnings" in client.get("/").content.decode()

    def test_a_small_site_counts_on_the_page_and_writes_nothing(self, client, shanxi):
        QualityCheck.objects.create(
            pk=1, open_warnings=7, checked_at=timezone.now() - timedelta(hours=1)
        )
        assert "3 open data-quality warnings" in client.get("/").content.decode()
        assert QualityCheck.objects.get().open_warnings == 7


def test_calendars_are_read_by_every_role_and_kept_by_an_administrator(
    linfen_client, admin_client, demo
):
    calendars = "/admin/metrics/releasecalendar/"
    assert linfen_client.get(calendars).status_code == 200
    assert linfen_client.get(calendars + "2/change/").status_code == 200
    # An editor may not add or change one: the policy's refusal, not a hidden button.
    assert linfen_client.get(calendars + "add/").status_code == 403
    refused = linfen_client.post(calendars + "2/change/", {"lag_days": "5"})
    assert refused.status_code == 403
    assert ReleaseCalendar.objects.get(pk=2).lag_days == 30
    assert admin_client.get(calendars + "add/").status_code == 200
