"""
The Shanxi 2020 demo: every fact of the article, exactly, with its source,
and the loader that refuses a fixture with any bad object in it.
"""

import csv
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from reversion.models import Version

from metrics import audit
from metrics.formatting import Qualifier
from metrics.models import Metric, Observation, PublicationState, Region, Source
from metrics.periods import Period, PeriodType
from programs.models import Activity, Organisation, Outcome, Partnership, Program, ProgramSource

SEED = Path("/work/shared/seed")
ARTICLE = SEED / "shanxi-livestreaming-2020.txt"
FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "shanxi_2020.json"
SOURCE_SLUG = "chinadaily-2020-07-28-shanxi-livestreaming"

# Every test here reads or reloads the demo, so it is loaded once for them all.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shanxi_module")]


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def article() -> str:
    return normalise(ARTICLE.read_text(encoding="utf-8"))


def row_counts() -> dict[str, int]:
    """Rows in every table of every installed app, audit trail included."""
    return {model._meta.label: model._base_manager.count() for model in apps.get_models()}


def observation(slug: str, code: str, period: Period, basis: str = "quoted") -> Observation:
    return Observation.objects.select_related("source").get(
        basis=basis,
        metric__slug=slug,
        region__code=code,
        period_type=period.type,
        period_start=period.start,
        period_end=period.end,
    )


# --- Loading ------------------------------------------------------------------


class TestLoading:
    def test_loads_twice_with_the_same_rows(self):
        first = row_counts()
        assert first["metrics.Region"] == 30
        assert first["metrics.Observation"] == 9 + 2  # the article's, and the bureau's
        call_command("loaddata", "shanxi_2020", verbosity=0)
        second = row_counts()
        changed = {label for label in first if first[label] != second[label]}
        # Only the audit trail grows: the second load is recorded as a revision.
        assert changed == {"reversion.Revision", "reversion.Version"}
        assert second["reversion.Revision"] == first["reversion.Revision"] + 1

    def test_every_loaded_record_has_an_initial_version(self):
        fixture = json.loads(FIXTURE.read_text(encoding="utf-8"))
        labels = {entry["model"] for entry in fixture}
        assert len(labels) == 12
        for label in labels:
            model = apps.get_model(label)
            versioned = set(
                Version.objects.get_for_model(model).values_list("object_id", flat=True)
            )
            missing = {str(pk) for pk in model.objects.values_list("pk", flat=True)} - versioned
            assert not missing, f"{label} rows without a version: {missing}"
        comments = {
            audit.describe(comment)
            for comment in Version.objects.values_list("revision__comment", flat=True)
        }
        # The demo's release calendars are a fixture of their own, loaded after it.
        assert comments == {
            "Loaded from fixture shanxi_2020",
            "Loaded from fixture shanxi_calendars",
        }


# --- The article's figures ----------------------------------------------------


H1_2020 = Period.year_to_date(2020, 6)

EARLY_MAY_2020 = Period.custom(date(2020, 5, 1), date(2020, 5, 10))


def fact(slug, code, period, value, change, *, stated, qualifier=Qualifier.EXACT):
    """One figure of DESIGN.md's list, with the words its quoted sentence must contain."""
    return pytest.param(
        slug,
        code,
        period,
        None if value is None else Decimal(value),
        qualifier,
        None if change is None else Decimal(change),
        stated,
        id=f"{slug}-{period.label('en')}",
    )


SEED_FACTS = [
    fact(
        "online-retail-sales",
        "140000",
        H1_2020,
        "10770000000",
        "23.7",
        stated=["From January to June", "10.77 billion yuan", "23.7 percent"],
    ),
    fact(
        "online-retail-sales-usd",
        "140000",
        H1_2020,
        "1540000000",
        None,
        stated=["From January to June", "$1.54 billion"],
    ),
    fact(
        "internet-services-revenue",
        "140000",
        Period.year_to_date(2020, 5),
        None,
        "83.1",
        stated=["From January to May", "internet and related service industries", "83.1 percent"],
    ),
    fact(
        "rural-online-retail-sales",
        "140000",
        H1_2020,
        "6210000000",
        "5.9",
        stated=["first six months", "rural online retail sales", "6.21 billion", "5.9 percent"],
    ),
    fact(
        "rural-share-of-online-retail-sales",
        "140000",
        H1_2020,
        "31.3",
        None,
        stated=["31.3 percent"],
    ),
    fact(
        "rural-share-of-online-retail-sales",
        "140000",
        Period.year(2019),
        "25.6",
        None,
        stated=["25.6 percent at the end of 2019"],
    ),
    fact(
        "agricultural-online-retail-sales",
        "140000",
        H1_2020,
        "2330000000",
        "43.5",
        stated=["agricultural products", "2.33 billion yuan", "43.5 percent"],
    ),
    fact(
        "livestream-campaign-sales",
        "141000",
        EARLY_MAY_2020,
        "30000000",
        None,
        qualifier=Qualifier.MORE_THAN,
        stated=["Linfen", "early May", "more than 30 million yuan in nine days"],
    ),
]


class TestArticleFigures:
    @pytest.mark.parametrize(
        ("slug", "code", "period", "value", "qualifier", "change", "stated"), SEED_FACTS
    )
    def test_each_figure_of_the_article_with_its_period_source_and_quote(
        self, article, slug, code, period, value, qualifier, change, stated
    ):
        figure = observation(slug, code, period)
        assert (figure.value, figure.value_qualifier, figure.yoy_change) == (
            value,
            qualifier,
            change,
        )
        assert figure.source.slug == SOURCE_SLUG
        assert figure.basis == "quoted"
        assert figure.publication_state == PublicationState.PUBLISHED
        assert normalise(figure.source_quote) in article
        for words in stated:
            assert words in figure.source_quote

    def test_headline_figure_reads_as_the_article_writes_it(self):
        sales = observation("online-retail-sales", "140000", H1_2020)
        assert sales.metric.format_value(sales.value, language="en") == "10.77 billion yuan"
        assert sales.metric.format_value(sales.value, language="zh-hans") == "107.7亿元"
        assert sales.period.label("en") == "Jan–Jun 2020"
        campaign = observation("livestream-campaign-sales", "141000", EARLY_MAY_2020)
        assert campaign.formatted_value == "more than 30 million yuan"

    def test_national_growth_is_derived_from_the_gap(self, article):
        national = observation("online-retail-sales", "100000", H1_2020, basis="derived")
        assert national.yoy_change == Decimal("9.4")
        assert national.value is None
        assert national.basis == "derived"
        assert "23.7 - 14.3 = 9.4" in national.basis_note
        assert national.region.level == Region.Level.COUNTRY
        assert normalise(national.source_quote) in article
        assert (
            "14.3 percentage points higher than the national growth rate" in national.source_quote
        )

    def test_only_the_national_figure_is_derived(self):
        derived = Observation.objects.filter(basis="derived")
        assert list(derived.values_list("region__code", flat=True)) == ["100000"]

    def test_the_source_is_the_china_daily_article(self):
        source = Source.objects.get(slug=SOURCE_SLUG)
        assert source.published_on == date(2020, 7, 28)
        assert "China Daily" in source.publisher
        assert source.title_en == ARTICLE.read_text(encoding="utf-8").splitlines()[0].strip()

    def test_every_quote_of_the_article_in_the_demo_is_verbatim(self, article):
        quotes = [o.source_quote for o in Observation.objects.filter(source__slug=SOURCE_SLUG)]
        quotes += [a.source_quote for a in Activity.objects.all()]
        quotes += list(ProgramSource.objects.values_list("quote", flat=True))
        described = [*Program.objects.all(), *Partnership.objects.all(), *Outcome.objects.all()]
        described += list(Metric.objects.all())
        statements = [found for record in described for found in record.statements()]
        quotes += [
            found.note
            for found in statements
            if found.basis == "quoted" and found.source == SOURCE_SLUG
        ]
        assert len(quotes) == 9 + 1 + 9 + 7 + 4 + 3 + 2
        for quote in quotes:
            assert normalise(quote) in article, quote

    def test_the_bureau_is_a_second_source_of_national_figures(self):
        bureau = Observation.objects.filter(source__slug="nbs-2020-07-16-national-economy-h1")
        figures = {
            o.metric.slug: (o.value, o.yoy_change, o.basis, o.region.code, o.period.label("en"))
            for o in bureau
        }
        assert figures == {
            "online-retail-sales": (
                Decimal("5150100000000"),
                Decimal("7.3"),
                "quoted",
                "100000",
                "Jan–Jun 2020",
            ),
            "physical-goods-online-retail-sales": (
                Decimal("4348100000000"),
                Decimal("14.3"),
                "quoted",
                "100000",
                "Jan–Jun 2020",
            ),
        }
        for figure in bureau:
            assert "51501亿元，同比增长7.3%" in figure.source_quote
            assert "43481亿元，增长14.3%" in figure.source_quote

    def test_every_inferred_statement_gives_its_reasoning(self):
        described = [*Program.objects.all(), *Partnership.objects.all(), *Outcome.objects.all()]
        described += list(Metric.objects.all())
        for record in described:
            assert record.statement_problems() == {}, record
        inferred = [
            (type(record).__name__, found.name)
            for record in described
            for found in record.statements()
            if found.basis == "inferred"
        ]
        assert ("Program", "lead_organisation") in inferred
        assert ("Metric", "definition") in inferred and ("Metric", "frequency") in inferred

    def test_no_metric_claims_the_article_as_its_definition_source(self):
        assert not Metric.objects.filter(source__slug=SOURCE_SLUG).exists()


# --- Regions ------------------------------------------------------------------


def seed_regions() -> list[dict[str, str]]:
    with (SEED / "shanxi-regions.csv").open(encoding="utf-8") as file:
        return list(csv.DictReader(file))


class TestRegions:
    def test_regions_match_the_seed_list(self):
        rows = seed_regions()
        loaded = {
            region.code: region
            for region in Region.objects.select_related("parent").order_by("code")
        }
        assert set(loaded) == {row["code"] for row in rows}
        for row in rows:
            region = loaded[row["code"]]
            assert (region.name_en, region.name_zh, region.level) == (
                row["name_en"],
                row["name_zh"],
                row["level"],
            )
            assert (region.parent.code if region.parent else "") == row["parent_code"]
            assert region.path == region.expected_path()

    def test_eleven_prefectures_of_shanxi_and_seventeen_counties_of_linfen(self):
        shanxi_region = Region.objects.get(code="140000")
        prefectures = shanxi_region.children.all()
        assert prefectures.count() == 11
        assert set(prefectures.values_list("level", flat=True)) == {Region.Level.PREFECTURE}
        linfen = Region.objects.get(code="141000", name_en="Linfen")
        counties = linfen.children.all()
        assert counties.count() == 17
        assert set(counties.values_list("level", flat=True)) == {Region.Level.COUNTY}


# --- Programs -----------------------------------------------------------------


class TestPrograms:
    def test_programs_of_the_article(self):
        kinds = dict(Program.objects.values_list("slug", "kind"))
        assert kinds == {
            "livestreaming-social-ecommerce": Program.Kind.OTHER,
            "internet-platform-cooperation": Program.Kind.PLATFORM_PARTNERSHIP,
            "livestreaming-bases": Program.Kind.LIVESTREAM_BASE,
            "ecommerce-industrial-parks": Program.Kind.INDUSTRIAL_PARK,
            "rural-ecommerce-infrastructure": Program.Kind.RURAL_INFRASTRUCTURE,
            "trading-company-digital-transformation": Program.Kind.DIGITAL_TRANSFORMATION,
            "digital-economy-agri-food-tourism": Program.Kind.DIGITAL_TRANSFORMATION,
            "smart-manufacturing-support": Program.Kind.DIGITAL_TRANSFORMATION,
            "linfen-county-officials-livestreaming-2020": Program.Kind.EVENT_CAMPAIGN,
        }
        assert set(Program.objects.values_list("publication_state", flat=True)) == {"published"}
        shanxi_region = Region.objects.get(code="140000")
        for program in Program.objects.all():
            assert program.regions.exists(), program.slug
            assert set(program.regions.all()) <= set(Region.objects.in_region(shanxi_region))
        assert set(
            Program.objects.get(slug="digital-economy-agri-food-tourism").sectors.values_list(
                "slug", flat=True
            )
        ) == {"agricultural-products", "food-processing", "cultural-tourism"}
        assert Program.objects.get(slug="trading-company-digital-transformation").status == (
            Program.Status.PLANNED
        )
        assert Program.objects.get(slug="rural-ecommerce-infrastructure").status == (
            Program.Status.ACTIVE
        )

    def test_every_program_cites_the_article(self, article):
        for program in Program.objects.prefetch_related("citations__source"):
            [citation] = program.citations.all()
            assert citation.source.slug == SOURCE_SLUG
            assert normalise(citation.quote) in article

    def test_tian_xin_announced_the_department_programs(self, article):
        division = Organisation.objects.get(slug="shanxi-doc-ecommerce-division")
        assert division.kind == Organisation.Kind.DIVISION
        assert division.parent.name_en == "Shanxi Department of Commerce"
        transformation = Program.objects.get(slug="trading-company-digital-transformation")
        assert transformation.lead_organisation == division
        assert transformation.responsible_official_en == "Tian Xin"
        assert "Division of E-commerce and Information Technology Promotion" in (
            transformation.official_title_en
        )
        assert "Shanxi Department of Commerce" in transformation.official_title_en
        led_by_department = Program.objects.filter(lead_organisation__slug=division.parent.slug)
        assert led_by_department.exists()
        assert set(led_by_department.values_list("responsible_official_en", flat=True)) == {
            "Tian Xin"
        }
        announced = Program.objects.filter(responsible_official_en="Tian Xin")
        assert announced.count() == 7
        for program in announced:
            # The article reports him saying what the province will do, no more.
            assert program.official_role == Program.OfficialRole.ANNOUNCED
            assert program.statement("official").basis == "quoted"
            assert "Tian Xin" in program.statement("official").note
        for program in led_by_department:
            lead = program.statement("lead_organisation")
            assert lead.basis == "inferred" and "names no lead organisation" in lead.note

    def test_outcome_links_are_the_article_s_own_or_say_they_are_inferred(self, article):
        links = {
            (o.program.slug, o.metric.slug): o.statement("link")
            for o in Outcome.objects.select_related("program", "metric")
        }
        # The digital-economy program "should raise" agricultural sales: the article never says so.
        assert (
            "digital-economy-agri-food-tourism",
            "agricultural-online-retail-sales",
        ) not in links
        helped = links[("rural-ecommerce-infrastructure", "agricultural-online-retail-sales")]
        assert helped.basis == "quoted" and "That helped push" in helped.note
        assert normalise(helped.note) in article
        assert all(link is not None for link in links.values())

    def test_four_platform_partners(self):
        cooperation = Program.objects.get(slug="internet-platform-cooperation")
        partnerships = Partnership.objects.filter(program=cooperation).select_related(
            "organisation"
        )
        assert {p.organisation.name_en for p in partnerships} == {
            "Alibaba",
            "JD.com",
            "Kuaishou",
            "Douyin",
        }
        assert {p.role for p in partnerships} == {Partnership.Role.PLATFORM_PARTNER}
        assert {p.organisation.kind for p in partnerships} == {Organisation.Kind.PLATFORM_COMPANY}
        assert [r.code for r in cooperation.regions.all()] == ["140000"]
        assert set(cooperation.sub_programs.values_list("slug", flat=True)) == {
            "livestreaming-bases",
            "ecommerce-industrial-parks",
        }

    def test_linfen_activity_and_its_result(self, article):
        activity = Activity.objects.get(program__slug="linfen-county-officials-livestreaming-2020")
        assert activity.kind == Activity.Kind.LIVESTREAM_EVENTS
        assert activity.event_count == 85
        assert (activity.start_date, activity.end_date) == (date(2020, 5, 1), date(2020, 5, 10))
        assert set(activity.venue_types) == {"farmland", "workshop", "tourist_attraction"}
        linfen = Region.objects.get(code="141000")
        assert set(activity.regions.all()) == set(linfen.children.all())
        assert activity.source.slug == SOURCE_SLUG
        assert normalise(activity.source_quote) in article
        [result] = activity.results.all()
        assert result.metric.slug == "livestream-campaign-sales"
        assert result.region == linfen
        assert (result.value, result.value_qualifier) == (Decimal("30000000"), Qualifier.MORE_THAN)
        assert result.period.type == PeriodType.CUSTOM
        assert "in nine days" in result.source_quote
        campaign = activity.program
        assert campaign.status == Program.Status.COMPLETED
        assert set(campaign.regions.all()) == set(Region.objects.in_region(linfen))


# --- A fixture with a bad object loads nothing, over the demo -----------------------


def write_fixture(tmp_path, objects) -> Path:
    path = tmp_path / "bad_fixture.json"
    path.write_text(json.dumps(objects, ensure_ascii=False), encoding="utf-8")
    return path


def good_objects() -> list[dict]:
    """A valid source, metric, province and observation, before the bad one."""
    return [
        {
            "model": "metrics.source",
            "fields": {
                "slug": "test-release",
                "title_en": "Test release",
                "publisher": "Test",
                "published_on": "2020-07-28",
            },
        },
        {
            "model": "metrics.region",
            "fields": {"code": "100000", "name_en": "China", "level": "country", "parent": None},
        },
        {
            "model": "metrics.region",
            "fields": {
                "code": "140000",
                "name_en": "Shanxi",
                "level": "province",
                "parent": ["100000"],
            },
        },
        {
            "model": "metrics.metric",
            "fields": {
                "slug": "test-sales",
                "name_en": "Test sales",
                "unit": "yuan",
                "display_scale": 9,
                "frequency": "monthly",
                "category": "online_retail",
            },
        },
        {
            "model": "metrics.observation",
            "fields": {
                "metric": ["test-sales"],
                "region": ["140000"],
                "period_type": "ytd",
                "period_start": "2020-01-01",
                "period_end": "2020-06-30",
                "value": "10770000000",
                "source": ["test-release"],
                "source_quote": "Sales came in at 10.77 billion yuan.",
            },
        },
    ]


BAD_LAST_OBJECTS = {
    "period-ends-before-it-starts": (
        {
            "model": "metrics.observation",
            "fields": {
                "metric": ["test-sales"],
                "region": ["140000"],
                "period_type": "custom",
                "period_start": "2020-06-30",
                "period_end": "2020-01-01",
                "value": "1",
            },
        },
        "metrics.Observation(test-sales, 140000, 2020-06-30, 2020-01-01)",
        "The period cannot end before it starts.",
    ),
    "region-code-with-a-letter": (
        {
            "model": "metrics.region",
            "fields": {
                "code": "14a000",
                "name_en": "Typo",
                "level": "prefecture",
                "parent": ["140000"],
            },
        },
        "metrics.Region(14a000)",
        "A GB/T 2260 code is six digits and does not start with 0.",
    ),
    # Caught by clean() alone: the database would take it.
    "quarter-not-aligned": (
        {
            "model": "metrics.observation",
            "fields": {
                "metric": ["test-sales"],
                "region": ["140000"],
                "period_type": "quarter",
                "period_start": "2020-02-01",
                "period_end": "2020-04-30",
                "value": "1",
            },
        },
        "metrics.Observation(test-sales, 140000, 2020-02-01, 2020-04-30)",
        "A quarter period must start on the first day",
    ),
    "county-under-a-province": (
        {
            "model": "metrics.region",
            "fields": {
                "code": "140999",
                "name_en": "Misplaced County",
                "level": "county",
                "parent": ["140000"],
            },
        },
        "metrics.Region(140999)",
        "The parent of a county-level division must be a prefecture-level city.",
    ),
    "duplicate-observation": (
        {
            "model": "metrics.observation",
            "pk": 987654,
            "fields": {
                "metric": ["test-sales"],
                "region": ["140000"],
                "period_type": "ytd",
                "period_start": "2020-01-01",
                "period_end": "2020-06-30",
                "yoy_change": "23.7",
            },
        },
        "metrics.Observation(test-sales, 140000, 2020-01-01, 2020-06-30)",
        "There is already an observation of this metric for this region and period, known the "
        "same way.",
    ),
}


def test_without_the_bad_object_the_rest_loads(tmp_path):
    call_command("loaddata", str(write_fixture(tmp_path, good_objects())), verbosity=0)
    added = Observation.objects.get(metric__slug="test-sales")
    assert added.value == Decimal("10770000000")
    assert added.region.path == "100000/140000/"
    # China and Shanxi are the demo's, found by code and overwritten.
    assert Region.objects.get(code="100000").name_zh == ""


@pytest.mark.parametrize(
    ("bad", "name", "message"), BAD_LAST_OBJECTS.values(), ids=BAD_LAST_OBJECTS.keys()
)
def test_a_bad_last_object_loads_nothing_and_is_named(tmp_path, bad, name, message):
    path = write_fixture(tmp_path, [*good_objects(), bad])
    before = row_counts()
    with pytest.raises(CommandError) as error:
        call_command("loaddata", str(path), verbosity=0)
    assert row_counts() == before
    assert not Observation.objects.filter(metric__slug="test-sales").exists()
    assert Region.objects.get(code="100000").name_zh == "中国"  # the update is undone too
    assert f"Could not load {name}" in str(error.value)
    assert message in str(error.value)
