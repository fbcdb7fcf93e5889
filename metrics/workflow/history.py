"""
What a record's public content is, field by field: the snapshot its public
revision history keeps, and the differences a reviewer sees before
publishing a correction.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import translation

from metrics.models import Publishable


def _key(related) -> str:
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
            content[name] = sorted(_key(related) for related in getattr(record, name).all())
        elif field.is_relation:
            related = getattr(record, name)
            content[name] = _key(related) if related is not None else None
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
            for part in sorted(set(old or {}) | set(new or {})):
                if (old or {}).get(part) != (new or {}).get(part):
                    changed.append(
                        (part, _shown((old or {}).get(part)), _shown((new or {}).get(part)))
                    )
            continue
        try:
            label = str(model._meta.get_field(name).verbose_name)
        except Exception:  # a field the model no longer has
            label = name
        changed.append((label, _shown(old), _shown(new)))
    return changed


def _shown(value):
    return "; ".join(map(str, value)) if isinstance(value, list) else value
