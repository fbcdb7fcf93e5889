"""
Releases from the command line (`manage.py import_observations`), which
takes the admin upload's path, and the one row parser both use.
"""

import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError

from metrics.formatting import Qualifier, Unit
from metrics.models import (
    ImportJob,
    Metric,
    Observation,
    PublicationState,
    Region,
    RegionAssignment,
)
from metrics.releases import ReleaseLookups, parse_figure, parse_release_row, read_release
from tests.factories import ObservationFactory, SuperuserFactory

pytestmark = pytest.mark.django_db

HEADER = "region,metric,period,value,unit,yoy_change,qualifier,source,quote\n"


@pytest.fixture
def importer(db):
    """An account that may import anywhere (a superuser, bound by the policy's states)."""
    return SuperuserFactory(username="importer")


def run(tmp_path, text, user="importer", **options):
    release = tmp_path / "release.csv"
    release.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("import_observations", str(release), user=user, stdout=out, stderr=err, **options)
    return out.getvalue()


def refused(tmp_path, text, user="importer") -> list[str]:
    release = tmp_path / "release.csv"
    release.write_text(text, encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_observations", str(release), user=user, stderr=err, verbosity=0)
    return err.getvalue().splitlines()


def test_a_release_is_imported_as_drafts_in_base_units(shanxi, importer, tmp_path):
    output = run(
        tmp_path,
        HEADER + "141021,online-retail-sales,2020年1-6月,1.5,亿元,12.5,,,Quwo figure\n"
        "Quwo County,Online retail sales,Jan-May 2020,1.2,亿元,,,,\n"
        "141022,livestream-campaign-sales,2020-05-01/2020-05-09,超过300万元,,,,,\n",
    )
    assert "3 rows 3 new, 0 updated" in output
    quwo = Observation.objects.get(region__code="141021", period_end="2020-06-30")
    assert quwo.value == Decimal("150000000")
    assert quwo.yoy_change == Decimal("12.5")
    assert quwo.publication_state == PublicationState.DRAFT
    assert quwo.authors == [importer.pk]
    campaign = Observation.objects.get(
        region__code="141022", metric__slug="livestream-campaign-sales"
    )
    assert campaign.value == Decimal("3000000") and campaign.value_qualifier == "more_than"
    job = ImportJob.objects.get()
    assert (job.state, job.created_by, job.file_name) == ("imported", importer, "release.csv")


def test_one_bad_row_writes_nothing_and_every_problem_is_named_by_line(shanxi, importer, tmp_path):
    before = Observation.objects.count()
    lines = refused(
        tmp_path,
        HEADER + "141021,online-retail-sales,2020年1-6月,1.5,亿元,,,,\n"
        "999999,online-retail-sales,2020年1-6月,1.5,亿元,,,,\n"
        "141022,no-such-metric,2020年1-6月,1.5,亿元,,,,\n"
        "141023,online-retail-sales,sometime,1.5,亿元,,,,\n"
        "141024,rural-share-of-online-retail-sales,2020年1-6月,150,%,,,,\n"
        "141025,online-retail-sales,2020年1-6月,1.5,furlongs,,,,\n",
    )
    assert Observation.objects.count() == before
    assert [line.split(":")[0] for line in lines] == [f"line {n}" for n in (3, 4, 5, 6, 7)]
    assert "999999" in lines[0] and "region" in lines[0]
    assert "no-such-metric" in lines[1]
    assert "sometime" in lines[2]
    assert "between 0 and 100" in lines[3]
    assert "furlongs" in lines[4]


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        (
            PublicationState.IN_REVIEW,
            "is in review: it stays as the reviewer saw it until a reviewer publishes it or "
            "returns it to draft.",
        ),
        (PublicationState.WITHDRAWN, "is withdrawn: a reviewer reopens it as a draft first."),
        (
            PublicationState.PUBLISHED,
            "is published: propose a correction, which goes through review.",
        ),
    ],
)
def test_a_figure_that_is_not_a_draft_is_left_as_it_is(shanxi, importer, tmp_path, state, reason):
    """Reproduction: COPY's ON CONFLICT turned in-review and withdrawn figures back to draft."""
    figure = ObservationFactory(
        metric=Metric.objects.get(slug="online-retail-sales"),
        region=Region.objects.get(code="141021"),
        value=Decimal("99900000000"),
        publication_state=state,
    )
    before = Observation.objects.values().get(pk=figure.pk)
    lines = refused(
        tmp_path,
        HEADER + "141021,online-retail-sales,Jan-Jun 2020,1234,亿元,,,,edited while in review\n",
    )
    assert lines == [f"line 2: “{figure}” {reason}"]
    assert Observation.objects.values().get(pk=figure.pk) == before


def test_drafts_are_updated_in_place(shanxi, importer, tmp_path):
    draft = ObservationFactory(
        metric=Metric.objects.get(slug="online-retail-sales"),
        region=Region.objects.get(code="141021"),
        value=Decimal("1"),
    )
    output = run(tmp_path, HEADER + "141021,online-retail-sales,Jan-Jun 2020,2,亿元,,,,\n")
    assert "0 new, 1 updated" in output
    draft.refresh_from_db()
    assert draft.value == Decimal("200000000")
    assert draft.lock_version == 1


def test_dry_run_writes_nothing(shanxi, importer, tmp_path):
    before = Observation.objects.count()
    output = run(
        tmp_path, HEADER + "141021,online-retail-sales,2020年1-6月,1.5,亿元,,,,\n", dry_run=True
    )
    assert "1 rows checked (dry run)" in output
    assert Observation.objects.count() == before
    assert ImportJob.objects.get().state == ImportJob.State.CANCELLED


def test_the_command_imports_within_the_users_regions(shanxi, tmp_path, django_user_model):
    editor = django_user_model.objects.create_user("linfen", is_staff=True)
    editor.groups.add(Group.objects.get(name="editor"))
    RegionAssignment.objects.create(user=editor, region=Region.objects.get(code="141000"))
    lines = refused(
        tmp_path, HEADER + "140100,online-retail-sales,2020年1-6月,1.5,亿元,,,,\n", user="linfen"
    )
    assert lines == [
        "line 2: region: “Online retail sales, Taiyuan, Jan–Jun 2020” lies outside your regions."
    ]
    output = run(
        tmp_path, HEADER + "141021,online-retail-sales,2020年1-6月,1.5,亿元,,,,\n", user="linfen"
    )
    assert "1 rows 1 new, 0 updated" in output


def test_the_command_needs_an_account_with_a_role(shanxi, tmp_path, django_user_model):
    django_user_model.objects.create_user("no-role", is_staff=True)
    before = Observation.objects.count()
    lines = refused(
        tmp_path, HEADER + "141021,online-retail-sales,2020年1-6月,1.5,亿元,,,,\n", user="no-role"
    )
    assert lines == ["line 2: Your role may not create observations."]
    with pytest.raises(CommandError):
        call_command("import_observations", str(tmp_path / "release.csv"))  # --user is required
    assert Observation.objects.count() == before


# --- The row parser ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        ("107.7", "亿元", (Decimal("10770000000"), Unit.YUAN, Qualifier.EXACT)),
        ("10.77 billion yuan", "", (Decimal("10770000000"), Unit.YUAN, Qualifier.EXACT)),
        ("超过3000万元", "", (Decimal("30000000"), Unit.YUAN, Qualifier.MORE_THAN)),
        ("约2.33", "亿元", (Decimal("233000000"), Unit.YUAN, Qualifier.APPROXIMATELY)),
        ("US$1.54 billion", "", (Decimal("1540000000"), Unit.US_DOLLAR, Qualifier.EXACT)),
        ("1,234", "", (Decimal("1234"), None, Qualifier.EXACT)),
        ("31.3", "%", (Decimal("31.3"), Unit.PERCENT, Qualifier.EXACT)),
        ("", "", (None, None, Qualifier.EXACT)),
    ],
)
def test_figures_as_releases_write_them(value, unit, expected):
    assert parse_figure(value, unit) == expected


@pytest.mark.parametrize("value", ["abc", "12 furlongs", "超过"])
def test_what_is_not_a_figure(value):
    with pytest.raises(ValueError):
        parse_figure(value)


def test_a_row_problem_names_its_line_and_column(shanxi, importer):
    lookups = ReleaseLookups(importer)
    row, problems = parse_release_row(
        7, {"region": "141021", "metric": "online-retail-sales", "period": "2020年1-6月",
            "value": "1.5", "unit": "美元", "yoy_change": "x%"}, lookups,
    )  # fmt: skip
    assert row is None
    assert [(p.line, p.column) for p in problems] == [(7, "unit"), (7, "yoy_change")]


def test_the_parser_reads_each_period_label_once(shanxi, importer, django_assert_num_queries):
    lookups = ReleaseLookups(importer)
    cells = {"region": "141021", "metric": "online-retail-sales", "period": "2020年1-6月",
             "value": "1.5", "unit": "亿元"}  # fmt: skip
    with django_assert_num_queries(0):  # lookups are read once per file, not per row
        rows = [parse_release_row(line, cells, lookups)[0] for line in range(2, 1002)]
    assert {(row.period_start.isoformat(), row.period_end.isoformat()) for row in rows} == {
        ("2020-01-01", "2020-06-30")
    }


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_the_encodings_chinese_offices_use(encoding):
    content = "地区,指标,统计期,数值\n临汾市,网络零售额,2020年1-6月,1\n".encode(encoding)
    release = read_release(io.BytesIO(content), "release.csv")
    assert release.columns == ["region", "metric", "period", "value"]
    assert list(release.rows) == [
        (2, {"region": "临汾市", "metric": "网络零售额", "period": "2020年1-6月", "value": "1"})
    ]
