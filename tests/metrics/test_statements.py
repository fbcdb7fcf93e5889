"""
A reader sees how each statement is known: quoted, derived or inferred, and
where a derived figure meets a reported one.
"""

import csv
import io
import json
import re
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from metrics.models import Observation, prefer_reported
from programs.models import Program
from tests.api.test_endpoints import read_zip
from tests.factories import CountryFactory, MetricFactory, ObservationFactory, ProvinceFactory

pytestmark = pytest.mark.django_db

SHANXI_SALES = {"metric__slug": "online-retail-sales", "region__code": "140000"}


def text_of(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_shanxi_s_sales_show_what_is_quoted_derived_and_the_bureau_s_figure(client, shanxi):
    figure = Observation.objects.get(**SHANXI_SALES)
    page = client.get(figure.get_absolute_url())
    html, text = page.content.decode(), text_of(page)
    assert "10.77 billion yuan" in text
    assert 'class="basis basis-quoted"' in html
    # The comparison is measured from the bureau's reported figure, not the article's arithmetic.
    assert "The country: +7.3%, as National Bureau of Statistics of China" in text
    assert "Shanxi: +16.4 pp vs national" in text
    assert "A national figure of +9.4% is worked out from a source's own comparison" in text
    assert 'class="basis basis-derived"' in html
    assert "23.7 - 14.3 = 9.4" in text


def test_chinese_readers_get_the_same_account(client, shanxi):
    figure = Observation.objects.get(**SHANXI_SALES)
    text = text_of(client.get(f"/zh-hans{figure.get_absolute_url()}"))
    assert "高于全国16.4个百分点" in text
    assert "引用" in text and "推算" in text


def test_a_program_page_marks_inferred_leads_and_quoted_roles(client, shanxi):
    program = Program.objects.get(slug="internet-platform-cooperation")
    page = client.get(program.get_absolute_url())
    html, text = page.content.decode(), text_of(page)
    assert "Announced by Tian Xin" in text
    assert "Responsible official" not in text
    assert 'class="basis basis-inferred"' in html
    assert "names no lead organisation" in text
    assert html.count('class="basis basis-quoted"') >= 4  # the official and the four partners


def test_a_metric_page_says_its_definition_is_the_department_s(client, shanxi):
    page = client.get("/metrics/online-retail-sales/")
    text = text_of(page)
    assert "Definition source" not in text
    assert "the definition is the usual statistical meaning of the term" in text


def test_the_api_carries_every_basis(client, shanxi):
    figures = client.get("/api/observations/?region=100000").json()["results"]
    bases = {(row["metric"], row["basis"]) for row in figures}
    assert ("online-retail-sales", "derived") in bases
    assert ("online-retail-sales", "quoted") in bases
    derived = next(row for row in figures if row["basis"] == "derived")
    assert "23.7 - 14.3 = 9.4" in derived["basis_note"]
    program = client.get("/api/programs/internet-platform-cooperation/").json()
    assert program["official_role"] == "announced"
    assert program["bases"]["lead_organisation"]["basis"] == "inferred"
    assert {p["bases"]["role"]["basis"] for p in program["partners"]} == {"quoted"}
    metric = client.get("/api/metrics/online-retail-sales/").json()
    assert metric["bases"]["frequency"]["basis"] == "inferred"


def test_the_download_carries_every_basis(client, shanxi):
    archive = read_zip(client)

    def rows(name):
        return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))

    figures = rows("observations.csv")
    assert {row["basis"] for row in figures} == {"quoted", "derived"}
    programs = {row["slug"]: row for row in rows("programs.csv")}
    assert '"basis": "inferred"' in programs["livestreaming-bases"]["bases"]
    assert programs["livestreaming-bases"]["official_role"] == "announced"
    assert all('"basis": "quoted"' in row["bases"] for row in rows("partnerships.csv"))


def test_the_api_flags_the_derived_national_figure_with_its_open_warnings(client, shanxi):
    figures = client.get("/api/observations/?region=100000&page_size=100").json()["results"]
    derived = next(row for row in figures if row["basis"] == "derived")
    warnings = derived["warnings"]
    assert {warning["kind"] for warning in warnings} == {"derived"}
    assert len(warnings) == 2
    messages = " ".join(warning["message_en"] for warning in warnings)
    assert "National Bureau of Statistics" in messages
    assert "2.1" in messages and "4.9" in messages
    assert all("国家统计局" in warning["message_zh"] for warning in warnings)
    # Each warning names the bureau's figure it conflicts with, which carries it too.
    bureau = {pk for warning in warnings for pk in warning["observations"]} - {derived["id"]}
    flagged = {row["id"] for row in figures if row["warnings"]}
    assert bureau <= flagged
    # A figure that breaks no rule says so.
    assert any(row["warnings"] == [] for row in figures)
    detail = client.get(f"/api/observations/{derived['id']}/").json()
    assert detail["warnings"] == warnings


def test_the_download_lists_each_figure_s_open_warnings(client, shanxi):
    archive = read_zip(client)
    warnings = list(csv.DictReader(io.StringIO(archive.read("warnings.csv").decode("utf-8-sig"))))
    derived = Observation.objects.get(region__code="100000", basis="derived")
    of_derived = [row for row in warnings if row["observation_id"] == str(derived.pk)]
    assert len(of_derived) == 2
    assert {row["kind"] for row in of_derived} == {"derived"}
    for row in of_derived:
        other = Observation.objects.get(pk=int(row["other_observations"]))
        assert other.source.slug == "nbs-2020-07-16-national-economy-h1"
        assert str(derived.pk) in {
            line["other_observations"]
            for line in warnings
            if line["observation_id"] == str(other.pk)
        }
    package = json.loads(archive.read("datapackage.json"))
    assert "warnings" in {resource["name"] for resource in package["resources"]}


def test_a_reported_and_a_derived_figure_of_one_period_stand_side_by_side(db):
    country, metric = CountryFactory(), MetricFactory()
    reported = ObservationFactory(
        metric=metric, region=country, yoy_change=Decimal("7.3"), published=True
    )
    derived = ObservationFactory(
        published=True,
        metric=metric,
        region=country,
        period=reported.period,
        basis="derived",
        basis_note="23.7 - 14.3",
        value=None,
        yoy_change=Decimal("9.4"),
    )
    # Charts and comparisons draw one point per period: the reported one.
    assert prefer_reported([derived, reported]) == [reported]
    assert list(Observation.objects.filter(metric=metric).preferred()) == [reported]
    # A reported figure still in draft does not hide the published derived one.
    Observation.objects.filter(pk=reported.pk).update(publication_state="draft")
    assert list(Observation.objects.published().filter(metric=metric).preferred()) == [derived]
    with pytest.raises(IntegrityError), transaction.atomic():
        ObservationFactory(
            metric=metric,
            region=country,
            period=reported.period,
            basis="derived",
            basis_note="again",
        )


def test_a_derived_figure_alone_is_the_figure_of_its_period(db):
    province = ProvinceFactory()
    derived = ObservationFactory(region=province, basis="derived", basis_note="worked out")
    assert list(Observation.objects.filter(pk=derived.pk).preferred()) == [derived]


def test_the_downloads_page_describes_the_warnings_table_in_the_reader_s_language(client, shanxi):
    english = text_of(client.get("/downloads/"))
    assert "warnings.csv" in english
    assert "Open data-quality warnings" in english
    chinese = text_of(client.get("/zh-hans/downloads/"))
    assert "未解决的数据质量警示" in chinese
    assert "Open data-quality warnings" not in chinese
    # The descriptor inside the zip stays in English for every reader.
    package = json.loads(read_zip(client).read("datapackage.json"))
    described = {resource["name"]: resource["description"] for resource in package["resources"]}
    assert described["warnings"].startswith("Open data-quality warnings")
