"""
What a record's public content is, field by field: the snapshot its public
revision history keeps, and the differences a reviewer sees before
publishing a correction.
"""

import json
from itertools import zip_longest

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import translation

from metrics.models import Publishable


def record_key(related) -> str:
    """A related record as the open data names it: slug or code, else its id."""
    natural_key = getattr(related, "natural_key", None)
    return "/".join(str(part) for part in natural_key()) if natural_key else str(related.pk)


def snapshot(record: Publishable) -> dict:
    """
    The record's public content: every field a correction may change (related
    records by slug or code) and, for records with parts, a line per part.
    """
    content = {}
    for name in record.correctable_fields():
        field = record._meta.get_field(name)
        if field.many_to_many:
            content[name] = sorted(record_key(related) for related in getattr(record, name).all())
        elif field.is_relation:
            related = getattr(record, name)
            content[name] = record_key(related) if related is not None else None
        else:
            content[name] = field.value_from_object(record)
    with translation.override("en"):
        parts = record.parts_snapshot()
    if parts:
        content["parts"] = parts
    # Through JSON and back (decimals and dates become text), so that a fresh
    # snapshot compares equal to a stored one.
    return json.loads(json.dumps(content, cls=DjangoJSONEncoder))


def differences(model, before: dict, after: dict) -> list[tuple[str, object, object]]:
    """(field label, before, after) for every field whose value differs."""
    changed = []
    for name in [*before, *(name for name in after if name not in before)]:
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if name == "parts":
            for relation in sorted(set(old or {}) | set(new or {})):
                label = str(model._meta.get_field(relation).related_model._meta.verbose_name)
                before, after = (old or {}).get(relation, []), (new or {}).get(relation, [])
                changed += [(label, *pair) for pair in _part_changes(before, after)]
            continue
        try:
            field = model._meta.get_field(name)
        except Exception:  # a field the model no longer has
            changed.append((name, _shown(old), _shown(new)))
            continue
        if field.choices:
            labels = dict(field.flatchoices)
            old, new = labels.get(old, old), labels.get(new, new)
        changed.append((str(field.verbose_name), _shown(old), _shown(new)))
    return changed


def _part_changes(before: list[str], after: list[str]) -> list[tuple[str, str]]:
    """
    Parts removed, added or changed, as (before, after) text. A changed part
    (a line gone and a line come, in the same place of the sorted list)
    shows only the fields that differ, after the ones that name it.
    """
    gone = [line for line in before if line not in after]
    come = [line for line in after if line not in before]
    pairs = []
    for old, new in zip_longest(gone, come):
        if old is None or new is None:
            pairs.append((old, new))
            continue
        old_fields, new_fields = old.split("; "), new.split("; ")
        naming = [field for field in old_fields[:2] if field in new_fields]
        pairs.append(
            (
                "; ".join([*naming, *(f for f in old_fields if f not in new_fields)]),
                "; ".join([*naming, *(f for f in new_fields if f not in old_fields)]),
            )
        )
    return pairs


def _shown(value):
    return "; ".join(map(str, value)) if isinstance(value, list) else value
