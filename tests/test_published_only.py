"""
Nothing unpublished reaches the public: a marker string is planted in every
kind of record that is not published (and in everything only they use),
then every public page, filter and download reachable from the home page
is read and must not contain it.
"""

import io
import zipfile
from collections import deque
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from metrics.models import Metric, PublicationState, Region
from metrics.periods import Period
from programs.models import Program
from tests.factories import (
    ActivityFactory,
    MetricFactory,
    ObservationFactory,
    OrganisationFactory,
    OutcomeFactory,
    PartnershipFactory,
    ProgramFactory,
    ProgramSourceFactory,
    SectorFactory,
    SourceFactory,
    ValidationRuleFactory,
)

MARKER = "ZZMARKERZZ"
HIDDEN_STATES = [
    PublicationState.DRAFT,
    PublicationState.IN_REVIEW,
    PublicationState.WITHDRAWN,
]
MAX_PAGES = 400


class LinkParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)


def body_text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    if kind.startswith("application/vnd.openxmlformats") or kind == "application/zip":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "".join(archive.read(name).decode() for name in archive.namelist())
    return content.decode("utf-8", errors="replace")


def plant_unpublished_records(shanxi_region, linfen):
    """Every kind of hidden record, each carrying the marker somewhere a page could show."""
    marked_source = SourceFactory(title_en=f"{MARKER} source", publisher=f"{MARKER} press")
    marked_metric = MetricFactory(name_en=f"{MARKER} metric", name_zh=f"{MARKER}指标")
    marked_partner = OrganisationFactory(name_en=f"{MARKER} partner", slug="marker-partner")
    marked_sector = SectorFactory(name_en=f"{MARKER} sector", slug="marker-sector")
    published_parent = ProgramFactory(published=True, regions=[linfen], title_en="Visible parent")
    for index, state in enumerate(HIDDEN_STATES):
        program = ProgramFactory(
            publication_state=state,
            title_en=f"{MARKER} program {index}",
            summary_en=f"{MARKER} summary",
            parent=published_parent,
            regions=[linfen, shanxi_region],
            sectors=[marked_sector],
            budget_yuan=Decimal("1000"),
        )
        PartnershipFactory(program=program, organisation=marked_partner, role_detail_en=MARKER)
        ProgramSourceFactory(program=program, source=marked_source, quote=MARKER)
        OutcomeFactory(program=program, metric=marked_metric, region=linfen, rationale_en=MARKER)
        ActivityFactory(program=program, title_en=f"{MARKER} activity {index}")
        # Figures in every hidden state: of a metric only they use, and of
        # public metrics, where they would break a validation rule.
        ObservationFactory(
            publication_state=state,
            metric=marked_metric,
            region=linfen,
            period=Period.year(2015 + index),
            source=marked_source,
            source_quote=MARKER,
            note_en=MARKER,
        )
        for slug, value in [
            ("online-retail-sales", "1000"),
            ("rural-online-retail-sales", "999999999999"),
            ("rural-share-of-online-retail-sales", "99"),
        ]:
            ObservationFactory(
                publication_state=state,
                metric=Metric.objects.get(slug=slug),
                region=shanxi_region,
                period=Period.year(2010 + index),
                value=Decimal(value),
                yoy_change=None,
                source=marked_source,
                source_quote=MARKER,
                note_en=MARKER,
            )
    # A hidden result of a published program's public activity.
    public_activity = ActivityFactory(program=published_parent, title_en="Visible activity")
    hidden_result = ObservationFactory(
        metric=marked_metric,
        region=linfen,
        period=Period.custom(date(2021, 5, 1), date(2021, 5, 9)),
        note_en=MARKER,
    )
    public_activity.results.add(hidden_result)
    ProgramSourceFactory(program=published_parent, quote="Visible quote")
    # Shared references that are not published, one in each hidden state:
    # a source, a metric, an organisation and a validation rule.
    for index, state in enumerate(HIDDEN_STATES):
        hidden = {"publication_state": state, "published_at": None}
        SourceFactory(title_en=f"{MARKER} hidden source {index}", **hidden)
        hidden_metric = MetricFactory(name_en=f"{MARKER} hidden metric {index}", **hidden)
        OrganisationFactory(name_en=f"{MARKER} hidden organisation {index}", **hidden)
        ValidationRuleFactory(
            name_en=f"{MARKER} hidden rule {index}",
            subject=Metric.objects.get(slug="rural-online-retail-sales"),
            reference=hidden_metric,
            **hidden,
        )
    return published_parent


@pytest.fixture
def planted(shanxi):
    return plant_unpublished_records(
        Region.objects.get(code="140000"), Region.objects.get(code="141000")
    )


def crawl(client, start_urls, limit=MAX_PAGES):
    """Every public page reachable by links from the start pages, plus their downloads."""
    seen, queue, pages = set(), deque(start_urls), {}
    while queue and len(pages) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        pages[url] = response
        if response.status_code != 200 or not response.get("Content-Type", "").startswith(
            "text/html"
        ):
            continue
        parser = LinkParser()
        parser.feed(body_text(response))
        for href in parser.links:
            target = urljoin(url, href)
            parts = urlsplit(target)
            if parts.netloc or "/admin/" in parts.path or parts.path.startswith("/static/"):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return pages


def test_no_public_page_or_download_shows_an_unpublished_record(client, planted):
    start = [
        "/",
        "/zh-hans/",
        "/programs/",
        "/metrics/",
        "/programs/?partner=marker-partner",
        "/programs/?sector=marker-sector",
        "/programs/export.csv",
        "/programs/export.xlsx",
        "/programs/export.csv?region=141000",
        "/programs/visible-parent/",
        "/api/sources/",
        "/api/organisations/",
        "/api/metrics/",
        "/api/observations/",
        "/api/programs/",
        "/downloads/published-data.zip",
    ]
    pages = crawl(client, start)

    assert len(pages) > 40, "the crawl should reach the demo's pages"
    leaking = [url for url, response in pages.items() if MARKER in body_text(response)]
    assert leaking == []
    assert all(response.status_code in (200, 400, 404) for response in pages.values())


def test_unpublished_records_have_no_address(client, planted):
    for program in Program.objects.exclude(publication_state=PublicationState.PUBLISHED):
        assert client.get(program.get_absolute_url()).status_code == 404
    marked_metric = Metric.objects.get(name_en=f"{MARKER} metric")
    assert client.get(marked_metric.get_absolute_url()).status_code == 404


def test_filter_choices_offer_only_published_partners_and_sectors(client, planted):
    html = client.get("/programs/").content.decode()
    assert "marker-partner" not in html
    assert "marker-sector" not in html
    assert "alibaba" in html  # a partner of a published program is offered


def test_hidden_figures_change_no_count(client, planted):
    html = client.get("/").content.decode()
    # The demo's three inconsistencies; the hidden figures that break rules do not count.
    assert "3 open data-quality warnings" in html
