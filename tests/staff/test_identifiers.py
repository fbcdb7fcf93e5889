"""
The identifier (slug) of a program and of the shared references fills
itself from the English name as staff type it on the add form (Django's
prepopulated fields, run by the admin's own script under the CSP); on an
existing record it stays as it is unless someone types a new one.
"""

import html
import json
import re

import pytest

from metrics.models import Metric, Source, ValidationRule
from programs.models import Organisation, Program, Sector
from tests.staff.conftest import client_for
from tests.test_admin import url

WIRING = re.compile(
    r'<script id="django-admin-prepopulated-fields-constants"\s+'
    r'src="[^"]*/admin/js/prepopulate_init\.js"\s+'
    r'data-prepopulated-fields="([^"]*)"'
)


def prepopulated(response) -> dict[str, list[str]]:
    """What the admin's script fills in on this form, and from which fields."""
    assert response.status_code == 200
    found = WIRING.search(response.content.decode())
    assert found, "no prepopulate script on the page"
    return {
        field["name"]: field["dependency_list"]
        for field in json.loads(html.unescape(found.group(1)))
    }


@pytest.mark.parametrize(
    ("model", "names"),
    [
        (Program, ["title_en"]),
        (Organisation, ["name_en"]),
        (Sector, ["name_en"]),
        (Metric, ["name_en"]),
        (Source, ["publisher", "title_en"]),
        (ValidationRule, ["name_en"]),
    ],
)
def test_the_add_form_fills_the_identifier_from_the_english_name(demo, admin_client, model, names):
    assert prepopulated(admin_client.get(url(model, "add"))) == {"slug": names}


def test_an_editors_program_form_in_chinese(linfen_client):
    response = linfen_client.get("/zh-hans" + url(Program, "add"))
    assert prepopulated(response) == {"slug": ["title_en"]}


def test_an_existing_programs_identifier_is_left_alone(linfen_client, linfen_program):
    assert prepopulated(linfen_client.get(url(Program, "change", linfen_program.pk))) == {}


def test_an_existing_metrics_identifier_is_left_alone(demo, admin_client):
    assert prepopulated(admin_client.get(url(Metric, "change", demo.sales.pk))) == {}


def test_the_identifier_stays_editable(linfen_editor, linfen_program):
    response = client_for(linfen_editor).get(url(Program, "change", linfen_program.pk))
    page = response.content.decode()
    assert re.search(r'<input type="text" name="slug" value="[^"]+"', page)
