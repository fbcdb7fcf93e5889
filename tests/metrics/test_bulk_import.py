"""The bulk import of large statistics releases: all rows or none, as fast as COPY allows."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from metrics.bulk_import import BulkImportError, import_observations, read_rows
from metrics.models import Observation, PublicationState, Region
from tests.factories import ObservationFactory, SuperuserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def importer(db):
    """An account that may import anywhere (a superuser, bound by the policy's states)."""
    return SuperuserFactory(username="importer")


HEADER = "region,metric,period,value,unit,yoy_change,qualifier,source,quote\n"


def rows(text, header=HEADER):
    return read_rows(io.StringIO(header + text))


def test_a_release_is_imported_as_drafts_in_base_units(shanxi, importer):
    result = import_observations(
        rows(
            "141021,online-retail-sales,2020年1-6月,1.5,亿元,12.5,,,Quwo figure\n"
            "Quwo County,Online retail sales,Jan-May 2020,1.2,亿元,,,,\n"
            "141022,livestream-campaign-sales,2020-05-01/2020-05-09,超过300万元,,,,,\n"
        ),
        user=importer,
    )
    assert (result.rows, result.created, result.updated) == (3, 3, 0)
    quwo = Observation.objects.get(region__code="141021", period_end="2020-06-30")
    assert quwo.value == Decimal("150000000")
    assert quwo.yoy_change == Decimal("12.5")
    assert quwo.publication_state == PublicationState.DRAFT
    campaign = Observation.objects.get(
        region__code="141022", metric__slug="livestream-campaign-sales"
    )
    assert campaign.value == Decimal("3000000") and campaign.value_qualifier == "more_than"


def test_chinese_headers_are_understood(shanxi, importer):
    header = "地区,指标,统计期,数值,单位,同比(%)\n"
    result = import_observations(
        rows("临汾市,网络零售额,2020年1-3月,20,亿元,3.1\n", header), user=importer
    )
    assert result.created == 1
    assert Observation.objects.get(region__code="141000", period_end="2020-03-31").value == Decimal(
        "2000000000"
    )


def test_one_bad_row_writes_nothing_and_every_problem_is_named_by_line(shanxi, importer):
    before = Observation.objects.count()
    with pytest.raises(BulkImportError) as refused:
        import_observations(
            rows(
                "141021,online-retail-sales,2020年1-6月,1.5,亿元,,,,\n"
                "999999,online-retail-sales,2020年1-6月,1.5,亿元,,,,\n"
                "141022,no-such-metric,2020年1-6月,1.5,亿元,,,,\n"
                "141023,online-retail-sales,sometime,1.5,亿元,,,,\n"
                "141024,rural-share-of-online-retail-sales,2020年1-6月,150,%,,,,\n"
                "141025,online-retail-sales,2020年1-6月,1.5,furlongs,,,,\n"
            ),
            user=importer,
        )
    assert Observation.objects.count() == before
    assert [line for line, _message in refused.value.errors] == [3, 4, 5, 6, 7]
    messages = dict(refused.value.errors)
    assert "999999" in messages[3]
    assert "no-such-metric" in messages[4]
    assert "sometime" in messages[5]
    assert "between 0 and 100" in messages[6]
    assert "furlongs" in messages[7]


def test_duplicates_and_published_figures_are_refused(shanxi, importer):
    published = Observation.objects.get(metric__slug="online-retail-sales", region__code="140000")
    with pytest.raises(BulkImportError) as refused:
        import_observations(
            rows(
                "141021,online-retail-sales,H1 2021,1,亿元,,,,\n"
                "141021,online-retail-sales,H1 2021,2,亿元,,,,\n"
                "140000,online-retail-sales,Jan-Jun 2020,99,亿元,,,,\n"
            ),
            user=importer,
        )
    messages = dict(refused.value.errors)
    assert "2 rows" in messages[2]
    assert messages[4] == (
        "“Online retail sales, Shanxi, Jan–Jun 2020” is published: propose a correction, "
        "which goes through review."
    )
    published.refresh_from_db()
    assert published.value == Decimal("10770000000")


def test_drafts_are_updated_in_place(shanxi, importer):
    draft = ObservationFactory(
        metric=shanxi_metric("online-retail-sales"),
        region=Region.objects.get(code="141021"),
        value=Decimal("1"),
    )
    result = import_observations(
        rows("141021,online-retail-sales,Jan-Jun 2020,2,亿元,,,,\n"), user=importer
    )
    assert (result.created, result.updated) == (0, 1)
    draft.refresh_from_db()
    assert draft.value == Decimal("200000000")
    assert draft.lock_version == 1  # an open form on it can no longer save over it
    assert draft.authors == [importer.pk]  # so the importer does not publish it


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        (
            PublicationState.IN_REVIEW,
            "is in review: it stays as the reviewer saw it until a reviewer publishes it or "
            "returns it to draft.",
        ),
        (PublicationState.WITHDRAWN, "is withdrawn: a reviewer reopens it as a draft first."),
    ],
)
def test_a_figure_in_review_or_withdrawn_is_left_as_it_is(shanxi, importer, state, reason):
    """Reproduction: COPY's ON CONFLICT turned in-review and withdrawn figures back to draft."""
    figure = ObservationFactory(
        metric=shanxi_metric("online-retail-sales"),
        region=Region.objects.get(code="141021"),
        value=Decimal("99900000000"),
        publication_state=state,
    )
    before = Observation.objects.values().get(pk=figure.pk)
    with pytest.raises(BulkImportError) as refused:
        import_observations(
            rows("141021,online-retail-sales,Jan-Jun 2020,1234,亿元,,,,edited while in review\n"),
            user=importer,
        )
    assert refused.value.errors == [(2, f"“{figure}” {reason}")]
    assert Observation.objects.values().get(pk=figure.pk) == before


def shanxi_metric(slug):
    from metrics.models import Metric

    return Metric.objects.get(slug=slug)


def test_dry_run_writes_nothing(shanxi, importer):
    before = Observation.objects.count()
    result = import_observations(
        rows("141021,online-retail-sales,2020年1-6月,1.5,亿元,,,,\n"), user=importer, dry_run=True
    )
    assert result.rows == 1
    assert Observation.objects.count() == before


def test_the_command_imports_within_the_users_regions(shanxi, tmp_path, django_user_model):
    from django.contrib.auth.models import Group

    from metrics.models import RegionAssignment

    editor = django_user_model.objects.create_user("linfen", is_staff=True)
    editor.groups.add(Group.objects.get(name="editor"))
    RegionAssignment.objects.create(user=editor, region=Region.objects.get(code="141000"))
    release = tmp_path / "release.csv"
    release.write_text(HEADER + "140100,online-retail-sales,2020年1-6月,1.5,亿元,,,,\n")
    with pytest.raises(CommandError, match="1 invalid row"):
        call_command("import_observations", str(release), user="linfen", verbosity=0)
    release.write_text(HEADER + "141021,online-retail-sales,2020年1-6月,1.5,亿元,,,,\n")
    out = io.StringIO()
    call_command("import_observations", str(release), user="linfen", stdout=out)
    assert "1 rows 1 new, 0 updated" in out.getvalue()


def test_the_command_needs_an_account_with_a_role(shanxi, tmp_path, django_user_model):
    django_user_model.objects.create_user("no-role", is_staff=True)
    release = tmp_path / "release.csv"
    release.write_text(HEADER + "141021,online-retail-sales,2020年1-6月,1.5,亿元,,,,\n")
    before = Observation.objects.count()
    with pytest.raises(CommandError, match="1 invalid row"):
        call_command("import_observations", str(release), user="no-role", verbosity=0)
    with pytest.raises(CommandError):
        call_command("import_observations", str(release), verbosity=0)  # --user is required
    assert Observation.objects.count() == before
