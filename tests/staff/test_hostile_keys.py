"""
A forged key in an autocomplete is a form error, never a server error.

Reproduction: posted as an editor, a `region` or `regions` value of
`None`, `abc` or a number past the column's range answered 500 on the
observation and program add forms: Django's autocomplete looked the value
up to draw the refused form again. `-1` was already a form error. On
SQLite a choice of several records (regions, a role's permissions, an
account's roles) also asked the database for a number past its range.
"""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from metrics.admin_keys import CheckedKeysMixin
from metrics.models import Observation
from programs.models import Program
from tests.factories import StaffFactory
from tests.test_admin import form_data, shown_errors, url

FORGED_KEYS = ["None", "abc", "99999999999999999999", "-1", "1.5", "\x00"]


def every_count():
    return Observation.objects.count(), Program.objects.count()


@pytest.mark.parametrize("key", FORGED_KEYS)
@pytest.mark.parametrize(("model", "field"), [(Observation, "region"), (Program, "regions")])
def test_a_forged_region_is_a_form_error(linfen_client, model, field, key):
    page = linfen_client.get(url(model, "add"))
    data = {**form_data(page), field: [key] if field == "regions" else key}
    before = every_count()

    response = linfen_client.post(url(model, "add"), data)

    assert response.status_code == 200, "the form comes back with its errors"
    assert every_count() == before
    errors = response.context["adminform"].form.errors[field]
    assert errors and set(errors) <= set(shown_errors(response))


def test_a_real_region_is_still_shown_when_the_form_is_refused(linfen_client, demo):
    page = linfen_client.get(url(Observation, "add"))
    data = {**form_data(page), "region": str(demo.linfen.pk), "metric": "abc"}

    response = linfen_client.post(url(Observation, "add"), data)

    assert response.status_code == 200
    assert f'<option value="{demo.linfen.pk}" selected>' in response.content.decode()


def test_every_admin_choice_of_records_refuses_forged_keys():
    """Every screen and inline choosing related records checks the keys it is sent."""
    screens = []
    for model_admin in admin.site._registry.values():
        screens.append(model_admin)
        screens += [inline(model_admin.model, admin.site) for inline in model_admin.inlines]
    unchecked = [
        type(screen).__name__
        for screen in screens
        if any(field.is_relation for field in screen.model._meta.get_fields(include_hidden=False))
        and not isinstance(screen, CheckedKeysMixin)
    ]
    assert unchecked == []


@pytest.mark.parametrize("key", FORGED_KEYS)
@pytest.mark.parametrize(("model", "field"), [(Group, "permissions"), (get_user_model(), "groups")])
def test_a_forged_permission_or_role_is_a_form_error(admin_client, model, field, key):
    """Django's own screens of roles and accounts, as a superuser."""
    record = model.objects.create(name="Editors") if model is Group else StaffFactory()
    page = admin_client.get(url(model, "change", record.pk))
    data = {**form_data(page), field: [key]}

    response = admin_client.post(url(model, "change", record.pk), data)

    assert response.status_code == 200, "the form comes back with its errors"
    assert response.context["adminform"].form.errors[field]
    assert not getattr(model.objects.get(pk=record.pk), field).exists()
