"""
The staff audit history: each saved version of a record with what it
changed and why, in the reader's language.

Revision comments are stored as JSON, like Django's LogEntry change
messages (which the admin's saves store as they are), with the project's
own kinds beside them: a review step with its note, a fixture load, a
proposed correction, a revert. They are put into words when shown, so a
page in Chinese reads Chinese whoever saved and in whichever language.
Comments written as text before (English workflow comments, Django's
change messages rendered in the saver's language) are read as well as
they can be: see `describe()`.
"""

import json
import re
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Page, Paginator
from django.db import models
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst, get_text_list
from django.utils.translation import gettext, gettext_lazy, gettext_noop
from reversion.models import Version
from reversion.revisions import _get_options

from metrics.workflow.policy import Step

HISTORY_PER_PAGE = 50

# What a review step's revision says, by step. The English texts are also
# how comments were stored before they were stored as JSON.
STEP_MESSAGES = {
    Step.SUBMIT: gettext_noop("Submitted for review"),
    Step.PUBLISH: gettext_noop("Published"),
    Step.RETURN: gettext_noop("Returned to draft"),
    Step.WITHDRAW: gettext_noop("Withdrawn"),
    Step.REOPEN: gettext_noop("Reopened as a draft"),
}
# A step with the reviewer's note ("Returned to draft: wrong period").
STEP_WITH_NOTE = gettext_lazy("%(step)s: %(note)s")
LOADED = gettext_lazy("Loaded from fixture %(fixtures)s")
CORRECTION = gettext_lazy("Correction proposed for %(record)s")
REVERTED = gettext_lazy("Reverted to the version saved on %(datetime)s")
# django-reversion's own revert comment, stored in the language of whoever reverted.
REVERSION_REVERTED = "Reverted to previous version, saved on %(datetime)s"
# Fields that are bookkeeping, not content: a change to them alone is not news.
NOT_SHOWN = ("lock_version", "authors")
EMPTY = (None, "", [], {})


# --- Writing comments -----------------------------------------------------------------------


def _comment(kind: str, **data) -> str:
    return json.dumps([{kind: data}], ensure_ascii=False)


def step_comment(step: Step, note: str = "") -> str:
    """The comment of a review step's revision: the step and the reviewer's note."""
    return _comment("step", step=str(step), note=note)


def loaded_comment(fixtures) -> str:
    """The comment of a fixture load's revision."""
    return _comment("loaded", fixtures=list(fixtures))


def correction_comment(record) -> str:
    """The comment of the revision that opens a correction of a published record."""
    return _comment("correction", record=str(record))


def reverted_comment(saved_on: datetime) -> str:
    """The comment of a revert to the version saved at `saved_on`."""
    return _comment("reverted", saved_on=saved_on.isoformat())


# --- Reading comments -----------------------------------------------------------------------


def _field_label(label: str) -> str:
    """
    A field label Django stored untranslated ("Budget (yuan)"), in the
    reader's language: the catalogue holds verbose names, which start in
    lower case.
    """
    translated = gettext(label)
    if translated != label or not label:
        return translated
    lowered = label[0].lower() + label[1:]
    translated = gettext(lowered)
    return capfirst(translated) if translated != lowered else label


def _when(value: str) -> str:
    moment = parse_datetime(value)
    if moment is None:
        return value
    return formats.localize(timezone.localtime(moment) if timezone.is_aware(moment) else moment)


def _sentence(part: dict) -> str | None:
    """One part of a structured comment in words, or None for a kind this code does not know."""
    [(kind, data)] = part.items()
    data = data or {}
    if kind == "step":
        text = STEP_MESSAGES.get(data.get("step"))
        if text is None:
            return None
        note = data.get("note") or ""
        return STEP_WITH_NOTE % {"step": gettext(text), "note": note} if note else gettext(text)
    if kind == "loaded":
        return LOADED % {"fixtures": ", ".join(data.get("fixtures", []))}
    if kind == "correction":
        return CORRECTION % {"record": data.get("record", "")}
    if kind == "reverted":
        return REVERTED % {"datetime": _when(data.get("saved_on", ""))}
    if kind == "added":
        if not data:
            return gettext("Added.")
        return gettext("Added {name} “{object}”.").format(
            name=gettext(data.get("name", "")), object=data.get("object", "")
        )
    if kind == "changed":
        fields = get_text_list([_field_label(f) for f in data.get("fields", [])], gettext("and"))
        if "name" in data:
            return gettext("Changed {fields} for {name} “{object}”.").format(
                fields=fields, name=gettext(data["name"]), object=data.get("object", "")
            )
        return gettext("Changed {fields}.").format(fields=fields)
    if kind == "deleted":
        return gettext("Deleted {name} “{object}”.").format(
            name=gettext(data.get("name", "")), object=data.get("object", "")
        )
    return None


def _structured(comment: str) -> list | None:
    if not comment.startswith("["):
        return None
    try:
        parts = json.loads(comment)
    except json.JSONDecodeError:
        return None
    if not isinstance(parts, list) or not all(
        isinstance(part, dict) and len(part) == 1 for part in parts
    ):
        return None
    return parts


def _reverted_patterns() -> list[re.Pattern]:
    """django-reversion's revert comment as each of the site's languages words it."""
    patterns = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            text = translation.gettext(REVERSION_REVERTED)
        before, _placeholder, after = text.partition("%(datetime)s")
        patterns.append(re.compile(f"^{re.escape(before)}(?P<datetime>.+){re.escape(after)}$"))
    return patterns


def _legacy(comment: str) -> str | None:
    """A comment stored as English text by the workflow or the fixture loader, reworded."""
    for step, text in STEP_MESSAGES.items():
        if comment == text or comment.startswith(f"{text}: "):
            return _sentence({"step": {"step": step, "note": comment[len(text) + 2 :]}})
    for prefix, message, key in (
        ("Loaded from fixture ", LOADED, "fixtures"),
        ("Correction proposed for ", CORRECTION, "record"),
    ):
        if comment.startswith(prefix):
            return message % {key: comment.removeprefix(prefix)}
    for pattern in _reverted_patterns():
        if match := pattern.match(comment):
            return REVERTED % {"datetime": match["datetime"]}
    return None


def describe(comment: str, *, log_entry=None) -> str:
    """
    A revision comment in the reader's language. A comment stored as text
    before comments were structured is reworded when it is one of the
    workflow's; an admin save's is read from the admin's log entry for the
    same save (`log_entry`), which kept its structure all along.
    """
    comment = comment or ""
    parts = _structured(comment)
    if parts is None and log_entry is not None:
        parts = _structured(log_entry.change_message or "")
    if parts is None:
        return _legacy(comment) or comment
    sentences = [sentence for part in parts if (sentence := _sentence(part))]
    if not sentences:
        return gettext("No fields changed.") if parts else ""
    return " ".join(capfirst(sentence) for sentence in sentences)


def matching_log_entry(revision, log_entries):
    """
    The admin's log entry written by the same save as the revision, if any:
    the revision's time is taken when the save begins, the entry's during it.
    """
    for entry in log_entries:
        if entry.user_id == revision.user_id and abs(
            entry.action_time - revision.date_created
        ) <= timedelta(seconds=10):
            return entry
    return None


# --- Versions and what they changed ------------------------------------------------------------


def part_relations(model) -> list[tuple[type[models.Model], str]]:
    """(part model, its column naming the record) for the parts saved with each version."""
    relations = []
    for name in _get_options(model).follow:
        relation = model._meta.get_field(name)
        if relation.one_to_many:
            relations.append((relation.related_model, relation.field.attname))
    return relations


def _fields(model, field_dict: dict):
    """(name, model field or None, value) for the stored fields a reader cares about."""
    for name, value in field_dict.items():
        if name in NOT_SHOWN:
            continue
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:  # a field the model no longer has
            field = None
        if field is not None and field.primary_key:
            continue
        yield name, field, value


def _changes(model, now: dict, before: dict | None) -> list[tuple[object, str, object, object]]:
    """(field, label, before, after) for every field that differs between two versions."""
    changes = []
    for name, field, value in _fields(model, now):
        old = before.get(name) if before is not None else None
        if old == value or (before is None and value in EMPTY):
            continue  # a record's first version lists only the fields filled in
        label = str(field.verbose_name) if field is not None else name
        changes.append((field, label, old, value))
    return changes


class Shown:
    """Stored values as the reader knows them: choice labels, related records by name."""

    def __init__(self):
        self.wanted: dict[type[models.Model], set] = {}
        self.names: dict[tuple[type[models.Model], str], str] = {}

    def want(self, field, value) -> None:
        if field is None or not field.is_relation or value in EMPTY:
            return
        keys = value if isinstance(value, list) else [value]
        self.wanted.setdefault(field.related_model, set()).update(str(key) for key in keys)

    def fetch(self) -> None:
        """One query per related model for every record named on the page."""
        for model, keys in self.wanted.items():
            for record in model._base_manager.filter(pk__in=keys):
                self.names[(model, str(record.pk))] = str(record)

    def value(self, field, value):
        if value in EMPTY:
            return None
        if field is None:
            return value
        if field.is_relation:
            keys = value if isinstance(value, list) else [value]
            return "; ".join(
                self.names.get((field.related_model, str(key)))
                or gettext("#%(id)s (deleted)") % {"id": key}
                for key in keys
            )
        if field.choices:
            return dict(field.flatchoices).get(value, value)
        if isinstance(field, models.BooleanField):
            return gettext("Yes") if value else gettext("No")
        if field.name == "bases" and isinstance(value, dict):
            return _bases_text(field.model, value)
        return value

    def cell(self, field, value):
        """The value as shown, with the language it is written in when that is not the page's."""
        shown = self.value(field, value)
        if _written_in_english(field, shown):
            return ShownValue(shown, "en")
        return shown


class ShownValue:
    """
    A stored value as the history shows it, and "en" when it is English
    text on any page; it compares equal to the value it shows.
    """

    __slots__ = ("text", "lang")

    def __init__(self, text, lang: str = ""):
        self.text, self.lang = text, lang

    def __str__(self):
        return str(self.text)

    def __eq__(self, other):
        return self.text == (other.text if isinstance(other, ShownValue) else other)

    def __hash__(self):
        return hash(self.text)

    def __repr__(self):
        return repr(self.text)


CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def _written_in_english(field, shown) -> bool:
    """
    Free text staff wrote in English (an `_en` column, or a note written in
    English only): marked lang="en" on a Chinese page, as the public pages
    mark English-only notes, so that readers and screen readers know.
    """
    if field is None or field.is_relation or field.choices or not isinstance(shown, str):
        return False
    if field.name.endswith("_en"):
        return True
    textual = isinstance(field, models.CharField | models.TextField | models.JSONField)
    return textual and not isinstance(field, models.SlugField) and not CJK.search(shown)


def _note(note: str | None) -> SafeString:
    """A statement's working or reasoning, marked English when it is written in English only."""
    if not note:
        return SafeString("")
    if CJK.search(note):
        return format_html(" – {}", note)
    return format_html(' – <span lang="en">{}</span>', note)


def _bases_text(model, bases: dict) -> SafeString:
    """Statement bases ({statement: {basis, note, source}}), a line per statement, by label."""
    from metrics.statements import Basis

    labels = dict(Basis.choices)
    stated = getattr(model, "stated", {})
    return format_html_join(
        mark_safe("<br>"),
        "{}: {}{}",
        (
            (
                capfirst(stated.get(name, name)),
                labels.get(basis.get("basis"), basis.get("basis") or "–"),
                _note(basis.get("note")),
            )
            for name, basis in sorted(bases.items())
            if isinstance(basis, dict)
        ),
    )


def history_page(record, page_number) -> tuple[Page, list[dict]]:
    """
    One page of the record's history, newest first: each version with its
    comment, the fields it changed and the changes to the record's own
    parts saved with it. Other records saved in the same revision (a
    fixture load, a bulk action) are not this record's history.
    `revertible` says whether the revision holds nothing but the record and
    its parts, so that reverting to it changes no other record.
    """
    model = type(record)
    versions = (
        Version.objects.get_for_object(record).select_related("revision__user").order_by("-pk")
    )
    page = Paginator(versions, HISTORY_PER_PAGE).get_page(page_number)
    shown_versions = list(page.object_list)
    if not shown_versions:
        return page, []
    older = versions.filter(pk__lt=shown_versions[-1].pk).first()
    revision_ids = {version.revision_id for version in shown_versions}
    parts_by_revision, shared = _own_parts(record, revision_ids)
    part_types = dict(part_relations(model))
    previous_parts = _previous_versions(
        [version for parts in parts_by_revision.values() for version in parts]
    )

    shown = Shown()
    entries = []
    chain = [*shown_versions, older]
    for version, previous in zip(shown_versions, chain[1:], strict=True):
        changes = _changes(model, version.field_dict, previous.field_dict if previous else None)
        related = []
        for part in parts_by_revision.get(version.revision_id, []):
            before = previous_parts.get(part.pk)
            part_changes = _changes(
                part._model, part.field_dict, before.field_dict if before else None
            )
            # The part belongs to this record: which record is not news.
            owner = part_types[part._model]
            part_changes = [c for c in part_changes if c[0] is None or c[0].attname != owner]
            if part_changes:
                related.append((part, part_changes))
        for field, _label, old, new in [*changes, *(c for _p, cs in related for c in cs)]:
            shown.want(field, old)
            shown.want(field, new)
        entries.append(
            {
                "version": version,
                "revision": version.revision,
                "changes": changes,
                "related": related,
                "revertible": version.revision_id not in shared,
            }
        )
    shown.fetch()
    part_names = _part_names([part for entry in entries for part, _changes in entry["related"]])
    log_entries = _log_entries(record, entries)
    for entry in entries:
        entry["comment"] = describe(
            entry["revision"].comment,
            log_entry=matching_log_entry(entry["revision"], log_entries),
        )
        entry["changes"] = [
            (label, shown.cell(field, old), shown.cell(field, new))
            for field, label, old, new in entry["changes"]
        ]
        entry["related"] = [
            (
                _part_label(part, part_names),
                [
                    (label, shown.cell(field, old), shown.cell(field, new))
                    for field, label, old, new in changes
                ],
            )
            for part, changes in entry.pop("related")
        ]
    return page, entries


def _part_label(part: Version, part_names: dict[Version, str]) -> str:
    name = part_names.get(part, part.object_repr)
    return f"{capfirst(part._model._meta.verbose_name)} “{name}”"


def _part_names(parts: list[Version]) -> dict[Version, str]:
    """
    Parts named as they are named now, in the reader's language (the name
    stored with a version was written in the language of whoever saved
    it); one query per kind of part. A deleted part keeps its stored name.
    """
    wanted: dict[type[models.Model], set] = {}
    for part in parts:
        wanted.setdefault(part._model, set()).add(part.object_id)
    current = {
        (model, str(record.pk)): str(record)
        for model, keys in wanted.items()
        for record in model._base_manager.filter(pk__in=keys)
    }
    return {
        part: current[(part._model, str(part.object_id))]
        for part in parts
        if (part._model, str(part.object_id)) in current
    }


def _own_parts(record, revision_ids) -> tuple[dict[int, list[Version]], set[int]]:
    """
    The versions of the record's own parts in each revision, and the
    revisions that also hold other records (a fixture load, a bulk action).
    """
    model = type(record)
    part_types = dict(part_relations(model))
    types = ContentType.objects.get_for_models(model, *part_types)
    part_models = {types[part_model].pk: part_model for part_model in part_types}
    shared = set(
        Version.objects.filter(revision_id__in=revision_ids)
        .exclude(content_type=types[model], object_id=str(record.pk))
        .exclude(content_type_id__in=part_models)
        .values_list("revision_id", flat=True)
        .distinct()
    )
    parts: dict[int, list[Version]] = {}
    for version in Version.objects.filter(
        revision_id__in=revision_ids, content_type_id__in=part_models
    ).order_by("pk"):
        owner = part_types[part_models[version.content_type_id]]
        if str(version.field_dict.get(owner)) == str(record.pk):
            parts.setdefault(version.revision_id, []).append(version)
        else:  # a part of another record, saved in the same revision
            shared.add(version.revision_id)
    return parts, shared


def holds_only(revision, record) -> bool:
    """Whether the revision holds nothing but the record and its own parts."""
    _parts, shared = _own_parts(record, {revision.pk})
    return not shared


def _log_entries(record, entries) -> list:
    """The admin's log of the record, when a comment stored as text needs it (one query)."""
    if all(
        _structured(entry["revision"].comment) is not None
        or _legacy(entry["revision"].comment) is not None
        for entry in entries
    ):
        return []
    return list(
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(type(record)), object_id=str(record.pk)
        ).order_by("-action_time")
    )


def _previous_versions(versions: list[Version]) -> dict[int, Version]:
    """{version id: the version of the same object saved just before it} in one query."""
    if not versions:
        return {}
    keys = {(version.content_type_id, version.object_id) for version in versions}
    earlier: dict[tuple, list[Version]] = {}
    for version in Version.objects.filter(
        content_type_id__in={type_id for type_id, _id in keys},
        object_id__in={object_id for _type, object_id in keys},
        pk__lt=max(version.pk for version in versions),
    ).order_by("pk"):
        earlier.setdefault((version.content_type_id, version.object_id), []).append(version)
    found = {}
    for version in versions:
        candidates = earlier.get((version.content_type_id, version.object_id), [])
        before = [candidate for candidate in candidates if candidate.pk < version.pk]
        found[version.pk] = before[-1] if before else None
    return found
