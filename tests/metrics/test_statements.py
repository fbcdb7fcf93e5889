"""
A reader sees how each statement is known: quoted, derived or inferred, and
where a derived figure meets a reported one.
"""

import csv
import io
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
