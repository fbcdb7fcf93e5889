"""The bulk import of large statistics releases: all rows or none, as fast as COPY allows."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from metrics.bulk_import import BulkImportError, import_observations, read_rows
from metrics.models import Observation, PublicationState, Region
from tests.factories import ObservationFactory

pytestmark = pytest.mark.django_db

HEADER = "region,metric,period,value,unit,yoy_change,qualifier,source,quote\n"


def rows(text, header=HEADER):
    return read_rows(io.StringIO(header + text))


def test_a_release_is_imported_as_drafts_in_base_units(shanxi):
    result = import_observations(
        rows(
            "141021,online-retail-sales,2020年1-6月,1.5,亿元,12.5,,,Quwo figure\n"
            "Quwo County,Online retail sales,Jan-May 2020,1.2,亿元,,,,\n"
            "141022,livestream-campaign-sales,2020-05-01/2020-05-09,超过300万元,,,,,\n"
        )
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


def test_chinese_headers_are_understood(shanxi):
    header = "地区,指标,统计期,数值,单位,同比(%)\n"
    result = import_observations(rows("临汾市,网络零售额,2020年1-3月,20,亿元,3.1\n", header))
    assert result.created == 1
    assert Observation.objects.get(region__code="141000", period_end="2020-03-31").value == Decimal(
        "2000000000"
    )


def test_one_bad_row_writes_nothing_and_every_problem_is_named_by_line(shanxi):
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
            )
        )
    assert Observation.objects.count() == before
    assert [line for line, _message in refused.value.errors] == [3, 4, 5, 6, 7]
    messages = dict(refused.value.errors)
    assert "999999" in messages[3]
    assert "no-such-metric" in messages[4]
    assert "sometime" in messages[5]
    assert "between 0 and 100" in messages[6]
    assert "furlongs" in messages[7]


def test_duplicates_and_published_figures_are_refused(shanxi):
    published = Observation.objects.get(metric__slug="online-retail-sales", region__code="140000")
    with pytest.raises(BulkImportError) as refused:
        import_observations(
            rows(
                "141021,online-retail-sales,H1 2021,1,亿元,,,,\n"
                "141021,online-retail-sales,H1 2021,2,亿元,,,,\n"
                "140000,online-retail-sales,Jan-Jun 2020,99,亿元,,,,\n"
            )
        )
    messages = dict(refused.value.errors)
    assert "2 rows" in messages[2]
    assert "published" in messages[4]
    published.refresh_from_db()
    assert published.value == Decimal("10770000000")


def test_drafts_are_updated_in_place(shanxi):
    draft = ObservationFactory(
        metric=shanxi_metric("online-retail-sales"),
        region=Region.objects.get(code="141021"),
        value=Decimal("1"),
    )
    result = import_observations(rows("141021,online-retail-sales,Jan-Jun 2020,2,亿元,,,,\n"))
    assert (result.created, result.updated) == (0, 1)
    draft.refresh_from_db()
    assert draft.value == Decimal("200000000")
    assert draft.lock_version == 1  # an open form on it can no longer save over it


def shanxi_metric(slug):
    from metrics.models import Metric

    return Metric.objects.get(slug=slug)


def test_dry_run_writes_nothing(shanxi):
    before = Observation.objects.count()
    result = import_observations(
        rows("141021,online-retail-sales,2020年1-6月,1.5,亿元,,,,\n"), dry_run=True
    )
    assert result.rows == 1
    assert Observation.objects.count() == before


def test_the_command_imports_within_the_users_regions(shanxi, tmp_path, django_user_model):
    from metrics.models import RegionAssignment

    editor = django_user_model.objects.create_user("linfen", is_staff=True)
    RegionAssignment.objects.create(user=editor, region=Region.objects.get(code="141000"))
    release = tmp_path / "release.csv"
    release.write_text(HEADER + "140100,online-retail-sales,2020年1-6月,1.5,亿元,,,,\n")
    with pytest.raises(CommandError, match="1 invalid row"):
        call_command("import_observations", str(release), user="linfen", verbosity=0)
    release.write_text(HEADER + "141021,online-retail-sales,2020年1-6月,1.5,亿元,,,,\n")
    out = io.StringIO()
    call_command("import_observations", str(release), user="linfen", stdout=out)
    assert "1 rows 1 new, 0 updated" in out.getvalue()
