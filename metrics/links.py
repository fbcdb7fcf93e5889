"""
Addresses of records, as lists draw them row after row.

`reverse()` walks the URL patterns for every address it builds, 20 to 30
microseconds each: a page of programs links each program and each of its
regions, some 75 addresses, a tenth of the page's time. `record_url`
reverses a view once per language, script prefix and URLconf, with a
marker in place of the record's identifier, and then writes each address
by putting the identifier in the marker's place. An identifier that
reverse() would quote or might refuse (anything but ASCII letters, digits,
"-" and "_") goes through reverse() as before.
"""

import re

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

# Matches the int, slug and str path converters, and needs no quoting.
_PLAIN = re.compile(r"[-A-Za-z0-9_]+")
_MARKER = "7305187093"
_templates: dict[tuple, tuple[str, str] | None] = {}


def record_url(viewname: str, identifier) -> str:
    """reverse(viewname, args=[identifier]), for an int, slug or str identifier."""
    text = str(identifier)
    key = (viewname, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), get_language())
    try:
        template = _templates[key]
    except KeyError:
        template = _templates[key] = _template(viewname)
    if template is None or not _PLAIN.fullmatch(text):
        return reverse(viewname, args=[identifier])
    before, after = template
    return f"{before}{text}{after}"


def _template(viewname):
    url = reverse(viewname, args=[_MARKER])
    before, found, after = url.partition(_MARKER)
    # The marker must stand for the identifier alone.
    if not found or _MARKER in after:
        return None
    return before, after


@receiver(setting_changed)
def _forget_templates(**kwargs):
    # As Django clears its URL caches when a test changes the URLconf or languages.
    _templates.clear()
