"""
A Chinese reader sees Chinese: every public page of the demo and every
admin page a superuser or a region's editor can open, under /zh-hans/,
shows no English word but the names, codes and units that are Latin in
Chinese text too.

The pages are found, not listed: the public site by following its links
from the home page and the records' own addresses, the admin by walking
the registered models and the admin's URL names. A page someone adds is
checked without a change here.
"""

import json
import re
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit

import django.contrib.admin
import polib
import pytest
from django.contrib import admin
from django.db import models
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, reverse
from django.utils import translation
from django.utils.html import escape

from metrics.models import Metric, Observation, Region
from programs.models import Program
from tests.factories import SuperuserFactory

CHINESE = "zh-hans"

# Latin words that are Latin in Chinese text too: units, standards, file
# formats, key names and the names of things. (The language switch, marked
# lang="en", is not read as Chinese text at all.)
LATIN_IN_CHINESE = {
    word.lower()
    for word in (
        "pp",  # percentage points
        "GB",  # GB/T 2260, the standard of the region codes; GB18030
        "UTF",
        "CSV",
        "XLSX",
        "JSON",
        "API",
        "Atom",
        "ZIP",
        "URL",
        "ID",
        "IP",
        "HTTP",
        "GET",
        "POST",
        "SVG",
        "PNG",
        "MB",
        "Excel",
        "CC",  # CC BY 4.0
        "BY",
        "OpenAPI",
        "Swagger",
        "Frictionless",  # Frictionless Data, the standard of datapackage.json
        "Data",
        "sha",  # sha256
        "Control",  # keys, in Django's help for choosing several items
        "Command",
        "Mac",
        "LDAP",
    )
}
# Django writes these in English whatever the language: the text of the
# yes/no icons of the admin (django.contrib.admin.templatetags.admin_list.
# _boolean_icon) and the name of a record without a __str__ of its own.
# The same for the rows of a many-to-many table Django makes itself
# ("Program-sector relationship: Program_sectors object (3)").
DJANGO_UNTRANSLATED = re.compile(
    r"^(True|False|None)$|\b[A-Z]\w+ object \([^)]*\)|\b[A-Z]\w+-\w+ relationships?\b"
)

# A Latin word: two letters or more, so that "T" of "GB/T" and unit
# letters pass.
WORD = re.compile(r"[A-Za-z]{2,}")
# Addresses, identifiers and the masked start of a password hash ("GS*****",
# random letters) are not words a reader reads.
NOT_PROSE = re.compile(
    r"https?://\S+|www\.\S+|[\w.+-]+@[\w-]+\.[\w.-]+|/[\w/.-]*|\b[\w]+(?:[-_.][\w]+)+\b"
    r"|\S*\*{4,}\S*"
)
VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
    "param", "source", "track", "wbr",
}  # fmt: skip
# Not read as text: scripts, code (names of columns, snippets to copy) and
# what a text area holds (data being edited).
HIDDEN = {"script", "style", "template", "noscript", "svg", "textarea", "code", "pre", "kbd"}
VISIBLE_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt", "aria-description")


class VisibleText(HTMLParser):
    """
    The text a reader sees or hears, as (where, text) pairs. Left out:
    scripts and styles, what is marked as written in another language
    (lang="en"), and what the page shows as data being edited (the value of
    a text field; an admin column or field that holds the English of a
    bilingual record, field-…_en).
    """

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []  # (tag, skipped)
        self.texts = []

    @property
    def skipping(self):
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        lang = attrs.get("lang")
        skipped = (
            self.skipping
            or tag in HIDDEN
            or (lang is not None and not lang.lower().startswith("zh"))
            or any(re.fullmatch(r"field-\w+_en", name) for name in classes)
            or "hidden" in attrs
            or "hidden" in classes
        )
        if not skipped:
            for name in VISIBLE_ATTRIBUTES:
                if attrs.get(name):
                    self.texts.append((f"<{tag} {name}>", attrs[name]))
            if tag == "input" and attrs.get("type") in {"submit", "button", "reset"}:
                self.texts.append(("<input value>", attrs.get("value") or ""))
        if tag not in VOID:
            self.stack.append((tag, skipped))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        # Browsers close unclosed elements (<p>, <li>) at their parent's end.
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth][0] == tag:
                del self.stack[depth:]
                break

    def handle_data(self, data):
        if not self.skipping and data.strip():
            where = self.stack[-1][0] if self.stack else "text"
            self.texts.append((f"<{where}>", data.strip()))


def english_words(html: str, allowed: set[str]) -> list[str]:
    """The English words of the page's visible text, each with the element it is in."""
    parser = VisibleText()
    parser.feed(html)
    found = []
    for where, text in parser.texts:
        prose = NOT_PROSE.sub(" ", DJANGO_UNTRANSLATED.sub(" ", text))
        words = [
            word
            for word in WORD.findall(prose)
            if word not in allowed and word.lower() not in LATIN_IN_CHINESE
        ]
        if words:
            found.append(f"{where} {text[:120]!r}: {' '.join(words)}")
    return found


def latin_in_the_data() -> set[str]:
    """
    The words of the data that are legitimately Latin on a Chinese page:
    the English of a bilingual field that has no Chinese yet, and text
    fields that are not bilingual (names of people, addresses, codes).
    Choice fields are left out: their labels are ours to translate.
    """
    words = set()
    for model in {*admin.site._registry, *ALL_PROJECT_MODELS()}:
        names = {field.name for field in model._meta.concrete_fields}
        for field in model._meta.concrete_fields:
            if isinstance(field, models.JSONField):
                for value in model._base_manager.values_list(field.name, flat=True):
                    words.update(WORD.findall(json.dumps(value, ensure_ascii=False)))
        text_fields = [
            field
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField)
            and not field.choices
            and not field.name.endswith("_zh")
        ]
        if not text_fields:
            continue
        for record in model._base_manager.values(
            *{f.name for f in text_fields}
            | {f"{f.name[:-3]}_zh" for f in text_fields if f"{f.name[:-3]}_zh" in names}
        ):
            for field in text_fields:
                chinese = f"{field.name[:-3]}_zh"
                if field.name.endswith("_en") and chinese in names and record.get(chinese):
                    continue
                words.update(WORD.findall(record.get(field.name) or ""))
    return words


def ALL_PROJECT_MODELS():  # noqa: N802
    from django.apps import apps

    return [
        model
        for config in (apps.get_app_config("metrics"), apps.get_app_config("programs"))
        for model in config.get_models()
    ]


def is_html(response) -> bool:
    return response.status_code == 200 and response.get("Content-Type", "").startswith("text/html")


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.links.append(href)


# --- The public site -----------------------------------------------------------------


def public_start_pages() -> list[str]:
    """The home page, the lists filtered by each choice, and every published record's page."""
    with translation.override(CHINESE):
        starts = [reverse("programs:home"), reverse("programs:program-list")]
        starts += [reverse("metrics:metric-list"), reverse("programs:downloads")]
        starts += [reverse("programs:overview")]
        from django.apps import apps

        for model in apps.get_models():
            if model._meta.app_label not in {"metrics", "programs"}:
                continue
            if not hasattr(model, "get_absolute_url"):
                continue
            manager = model._default_manager
            records = manager.published() if hasattr(manager, "published") else manager.all()
            for record in records[:60]:
                try:
                    starts.append(record.get_absolute_url())
                except NoReverseMatch:
                    pass
        for kind, model in (("figure", Observation), ("program", Program)):
            record = model.objects.published().first()
            starts.append(reverse("metrics:report-problem", args=[kind, record.pk]))
            starts.append(reverse("metrics:report-thanks", args=[kind, record.pk]))
    return starts


def crawl(client, starts, limit=400) -> dict:
    """Every Chinese public page reachable from the start pages; filters and sorts once each."""
    seen, queue, pages = set(), deque(starts), {}
    kinds = {(urlsplit(start).path, frozenset()) for start in starts}
    while queue and len(pages) < limit:
        address = queue.popleft()
        if address in seen:
            continue
        seen.add(address)
        response = client.get(address)
        if not is_html(response):
            continue
        html = response.content.decode()
        pages[address] = html
        parser = Links()
        parser.feed(html)
        for href in parser.links:
            parts = urlsplit(urljoin(address, href))
            if parts.netloc or not parts.path.startswith(f"/{CHINESE}/"):
                continue
            if "/admin/" in parts.path or parts.path.startswith("/static/"):
                continue
            # Another value of the same filters, another ordering or page of
            # a list, says the same words: each page once per set of parameters.
            parameters = frozenset(key for key, _value in parse_qsl(parts.query))
            if (parts.path, parameters) in kinds or parameters & {"sort", "page"}:
                continue
            kinds.add((parts.path, parameters))
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return pages


@pytest.mark.usefixtures("shanxi_module")
class TestPublicPages:
    def test_every_public_page_is_in_chinese(self, db):
        client = Client()
        pages = crawl(client, public_start_pages())
        assert len(pages) > 50, "the crawl should reach the demo's pages"
        allowed = latin_in_the_data()
        report = {
            address: words
            for address, html in pages.items()
            if (words := english_words(html, allowed))
        }
        assert report == {}, format_report(report)


def format_report(report: dict) -> str:
    lines = ["English on Chinese pages:"]
    for address, words in report.items():
        lines.append(address)
        lines += [f"    {line}" for line in words]
    return "\n".join(lines)


# --- The admin ------------------------------------------------------------------------


def one_record_each(user) -> dict:
    """A record of each registered model the user can see: the demo's, else a made one."""
    from tests.test_admin import MAKERS

    records = {}
    for model in admin.site._registry:
        record = model._default_manager.order_by("pk").first()
        records[model] = record if record is not None else MAKERS[model._meta.label]()
    return records


def admin_addresses(records: dict) -> list[str]:
    """
    Every page of the admin reachable by GET: the site's own (index, the
    apps, the data-quality page…) and each registered model's, with one
    record for those that take one.
    """
    addresses = []
    with translation.override(CHINESE):
        site_patterns = [("admin", pattern) for pattern in admin.site.get_urls()]
        model_patterns = [
            (model, pattern)
            for model, model_admin in admin.site._registry.items()
            for pattern in model_admin.get_urls()
        ]
        for owner, pattern in site_patterns + model_patterns:
            if not isinstance(pattern, URLPattern) or not pattern.name:
                continue
            arguments = set(pattern.pattern.converters) | set(
                re.compile(str(pattern.pattern.regex)).groupindex
            )
            try:
                if not arguments:
                    addresses.append(reverse(f"admin:{pattern.name}"))
                elif arguments == {"object_id"} and owner != "admin":
                    record = records[owner]
                    addresses.append(reverse(f"admin:{pattern.name}", args=[record.pk]))
                elif arguments == {"app_label"}:
                    labels = {model._meta.app_label for model in admin.site._registry}
                    addresses += [
                        reverse("admin:app_list", kwargs={"app_label": label}) for label in labels
                    ]
            except NoReverseMatch:
                continue
    return sorted(set(addresses))


def visit_admin(client, addresses) -> dict:
    pages = {}
    for address in addresses:
        response = client.get(address)
        if is_html(response):
            pages[address] = response.content.decode()
    return pages


@pytest.mark.usefixtures("shanxi_module")
class TestAdminPages:
    def check(self, client, records):
        pages = visit_admin(client, admin_addresses(records))
        assert len(pages) > 20, "the walk should reach the admin's pages"
        allowed = latin_in_the_data()
        return {
            address: words
            for address, html in pages.items()
            if (words := english_words(html, allowed))
        }

    def test_every_admin_page_of_a_superuser_is_in_chinese(self, db):
        client = Client()
        client.force_login(SuperuserFactory(username="admin"))
        report = self.check(client, one_record_each(None))
        assert report == {}, format_report(report)

    def test_a_record_one_may_only_view_shows_how_its_statements_are_known(self, db):
        client = Client()
        client.force_login(SuperuserFactory())
        metric = Metric.objects.get(slug="online-retail-sales")
        html = client.get(reverse("admin:metrics_metric_change", args=[metric.pk])).content
        page = html.decode()
        assert escape(metric.statement("definition").note) in page
        assert "field-basis_definition" not in page  # a form field shown as "None"

    def test_every_admin_page_of_a_regions_editor_is_in_chinese(self, db):
        from tests.staff.conftest import client_for, make_staff

        editor = make_staff("editor", Region.objects.get(code="141000"), username="editor")
        report = self.check(client_for(editor), one_record_each(editor))
        assert report == {}, format_report(report)


# --- The admin's scripts --------------------------------------------------------------


def test_the_admins_scripts_speak_chinese(admin_client):
    """
    The calendar, the time-zone note on date fields ("Note: Enter times in
    the … timezone") and the other messages of the admin's scripts come from
    the JavaScript catalogue of /zh-hans/admin/: every message Django's admin
    scripts have is in it, in Chinese, and the admin pages load it.
    """
    english = polib.pofile(
        str(Path(django.contrib.admin.__file__).parent / "locale/en/LC_MESSAGES/djangojs.po")
    )
    script = admin_client.get(f"/{CHINESE}/admin/jsi18n/").content.decode()
    catalogue = json.loads(re.search(r"const newcatalog = (\{.*?\});\n", script, re.S)[1])

    def chinese(msgid, msgctxt):
        translation = catalogue.get(f"{msgctxt}\x04{msgid}" if msgctxt else msgid)
        texts = translation if isinstance(translation, list) else [translation or ""]
        return all(re.search(r"[\u4e00-\u9fff]", text) for text in texts)

    missing = [entry.msgid for entry in english if not chinese(entry.msgid, entry.msgctxt)]
    assert missing == [], "\n".join(["Not in Chinese in the admin's scripts:", *missing])
    page = admin_client.get(f"/{CHINESE}/admin/metrics/observation/add/").content.decode()
    assert f'src="/{CHINESE}/admin/jsi18n/"' in page
