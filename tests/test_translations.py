"""The Chinese catalogue covers every string the project marks for translation."""

import re
from pathlib import Path

import polib

CATALOGUE = Path(__file__).resolve().parents[1] / "locale/zh_Hans/LC_MESSAGES/django.po"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]")


def test_every_string_has_a_chinese_translation():
    catalogue = polib.pofile(str(CATALOGUE))
    assert [entry.msgid for entry in catalogue.untranslated_entries()] == []
    assert [entry.msgid for entry in catalogue.fuzzy_entries()] == []


def test_translations_keep_their_placeholders():
    for entry in polib.pofile(str(CATALOGUE)).translated_entries():
        expected = set(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for translation in translations:
            assert set(PLACEHOLDER.findall(translation)) == expected, entry.msgid
