"""
Hostile input to any staff form gets a form error, never a server error.

Every admin add and change form (inlines included), as a superuser and as
an editor of Linfen, is posted back as the page sent it with a few fields
replaced by hostile values: keys that are not numbers or past any column's
range, `None`, empty, repeated and missing fields, NUL bytes, very long
text, impossible dates and decimals, forged management-form counts and
lock versions. Whatever is drawn, the answer is never a server error
(the test client raises the view's exception), and a refused post leaves
every table as it was. The review and correction pages, bulk actions with
forged ids, history and revert addresses, the import's pages and the
autocomplete endpoint are probed alike.

Each example runs in a transaction rolled back after it, so an accepted
post does not change what the next example starts from. The examples are
drawn deterministically (derandomize): CI sees the same ones every run.
"""

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics.admin_mixins import ReviewAdminMixin
from metrics.models import ImportJob, Observation
from tests.test_admin import MAKERS, NO_ADD, REGISTERED, form_data, shown_errors, url

MISSING = object()
HOSTILE_TEXT = [
    "None",
    "abc",
    "99999999999999999999",
    "-99999999999999999999",
    "-1",
    "0",
    "",
    "1.5",
    "1e309",
    "NaN",
    "-Infinity",
    "\x00",
    "7\x00",
    "2020-13-45",
    "0000-00-00",
    "9" * 400,
    "x" * 20_000,
    " 7 ",
    "[]",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "١٢٣",
]
HOSTILE = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30),
)
# A value, a field sent twice (repeated keys), or a field left out.
VALUES = st.one_of(HOSTILE, st.lists(HOSTILE, min_size=2, max_size=3), st.just(MISSING))
EXAMPLES = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
COUNTED_APPS = {"metrics", "programs", "auth", "reversion", "admin", "django_tasks_database"}


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in COUNTED_APPS
    }


def forged(data: dict, changes: dict) -> dict:
    posted = dict(data)
    for name, value in changes.items():
        if value is MISSING:
            posted.pop(name, None)
        else:
            posted[name] = value
    return posted


def assert_refused_or_saved(client, address, posted, record=None):
    """Post; a refusal (anything but a redirect) must leave every table as it was."""
    with transaction.atomic():
        before = row_counts()
        values = type(record).objects.filter(pk=record.pk).values().first() if record else None
        response = client.post(address, posted)
        assert response.status_code < 500
        if response.status_code != 302:
            assert row_counts() == before
            if record is not None:
                assert type(record).objects.filter(pk=record.pk).values().first() == values
            if response.status_code == 200 and response.context and "adminform" in response.context:
                assert shown_errors(response) or b"errornote" in response.content
        transaction.set_rollback(True)


EXTRA_NAMES = {"_save", "_continue", "lock_version_seen", "action", "apply", "note"}


def page_form(page) -> tuple[dict, set[str]]:
    """
    What the page's forms post unchanged, and the name of every field they
    have, filled in or not (inline formsets included); a read-only screen
    has none, and a form of its own (the import's upload, a review) is read
    as such. Every page is also sent the buttons and fields of the other
    staff pages (EXTRA_NAMES), asked for or not.
    """
    if not page.context:  # a redirect or a refusal
        forms, data = [], {}
    elif "adminform" in page.context:
        forms = [page.context["adminform"].form]
        for inline in page.context["inline_admin_formsets"]:
            forms += [inline.formset.management_form, *inline.formset.forms]
        data = form_data(page)
    elif "form" in page.context:
        forms = [page.context["form"]]
        data = {field.html_name: str(field.value() or "") for field in forms[0]}
    else:  # a page without a form (an import's progress): posted to all the same
        forms, data = [], {}
    names = {field.html_name for form in forms for field in form}
    return data, names | set(data) | EXTRA_NAMES


# Besides the drawn examples, every field at once gets each of these.
EVERY_FIELD = ["abc", "None", "99999999999999999999", "-1", "\x00", "1e309", "2020-13-45", ""]


def probe_form(client, address, record=None, *, form_page=True):
    """Post the page's form with hostile values; an admin form page must answer its GET."""
    page = client.get(address)
    assert page.status_code == 200 if form_page else page.status_code < 500
    data, names = page_form(page)
    names = sorted(names)
    for value in EVERY_FIELD:
        assert_refused_or_saved(client, address, forged(data, dict.fromkeys(names, value)), record)

    @EXAMPLES
    @given(changes=st.dictionaries(st.sampled_from(names), VALUES, min_size=1, max_size=3))
    def post_forged(changes):
        assert_refused_or_saved(client, address, forged(data, changes), record)

    post_forged()


def screens_of(models, *, views=("add", "change")):
    return [
        pytest.param(model, view, id=f"{model._meta.label}-{view}")
        for model in models
        for view in views
        if not (view == "add" and model._meta.label in NO_ADD)
    ]


@pytest.mark.parametrize(("model", "view"), screens_of(REGISTERED))
def test_every_admin_form_refuses_hostile_input_as_superuser(admin_client, demo, model, view):
    record = MAKERS[model._meta.label]() if view == "change" else None
    address = url(model, view, *([record.pk] if record else []))
    probe_form(admin_client, address, record)


EDITOR_SCREENS = [model for model in REGISTERED if model._meta.app_label in {"metrics", "programs"}]


@pytest.mark.parametrize(
    "model",
    [model for model in EDITOR_SCREENS if model._meta.label not in NO_ADD],
    ids=lambda model: model._meta.label,
)
def test_every_add_form_refuses_hostile_input_as_an_editor(linfen_client, model):
    address = url(model, "add")
    if linfen_client.get(address).status_code == 403:  # not an editor's to add
        with transaction.atomic():
            before = row_counts()
            assert linfen_client.post(address, {"_save": "Save"}).status_code == 403
            assert row_counts() == before
            transaction.set_rollback(True)
        return
    probe_form(linfen_client, address)


def test_an_editors_own_drafts_refuse_hostile_input(linfen_client, linfen_draft, linfen_program):
    for record in (linfen_draft, linfen_program):
        probe_form(linfen_client, url(type(record), "change", record.pk), record)


def test_the_review_page_refuses_hostile_input(linfen_client, reviewer_client, linfen_draft):
    address = url(Observation, "review", linfen_draft.pk)
    for client in (linfen_client, reviewer_client):
        probe_form(client, address, linfen_draft, form_page=False)


def test_the_correction_page_refuses_hostile_input(linfen_client, reviewer_client, demo):
    published = Observation.objects.published().filter(region=demo.linfen).first()
    address = url(Observation, "correct", published.pk)
    for client in (linfen_client, reviewer_client):
        probe_form(client, address, published, form_page=False)


FORGED_IDS = ["abc", "None", "-1", "0", "99999999999999999999", "1.5", "%00", "..%2F..", "7\x00"]


@pytest.mark.parametrize("forged_id", FORGED_IDS)
def test_forged_ids_in_staff_addresses_are_never_a_server_error(admin_client, demo, forged_id):
    addresses = []
    for model in REGISTERED:
        base = url(model, "changelist")
        views = ["change", "history", "delete"]
        if isinstance(admin.site._registry[model], ReviewAdminMixin):
            views += ["review", "correct"]
        addresses += [f"{base}{forged_id}/{view}/" for view in views]
        addresses.append(f"{base}recover/{forged_id}/")
    record = Observation.objects.first()
    addresses.append(f"{url(Observation, 'changelist')}{record.pk}/history/{forged_id}/")
    jobs = url(ImportJob, "changelist")
    addresses += [
        f"{jobs}{forged_id}/{suffix}"
        for suffix in ("status.json", "confirm/", "cancel/", "retry/", "problems.csv")
    ]
    addresses.append(f"{jobs}template/{forged_id}/")
    for address in addresses:
        for method in (admin_client.get, admin_client.post):
            with transaction.atomic():
                before = row_counts()
                response = method(address)
                assert response.status_code < 500, address
                assert row_counts() == before, address
                transaction.set_rollback(True)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_bulk_actions_with_forged_ids_change_nothing(admin_client, demo, model):
    model_admin = admin.site._registry[model]
    page = admin_client.get(url(model, "changelist"))
    actions = [name for name, _label in model_admin.get_action_choices(page.wsgi_request)]
    actions = [action for action in actions if action] or ["delete_selected"]

    @EXAMPLES
    @given(
        action=st.sampled_from(actions),
        selected=st.lists(st.sampled_from(FORGED_IDS[:-1] + ["", "1"]), min_size=1, max_size=4),
        confirm=st.booleans(),
    )
    def post_forged(action, selected, confirm):
        posted = {"action": action, "_selected_action": selected, "index": "0"}
        if confirm:
            posted["post"] = "yes"
        with transaction.atomic():
            before = row_counts()
            response = admin_client.post(url(model, "changelist"), posted)
            assert response.status_code < 500
            if "1" not in selected:
                assert row_counts() == before
            transaction.set_rollback(True)

    post_forged()


AUTOCOMPLETE_PARAMETERS = ["app_label", "model_name", "field_name", "term", "page"]


@given(
    changes=st.dictionaries(
        st.sampled_from(AUTOCOMPLETE_PARAMETERS), VALUES, min_size=1, max_size=4
    )
)
@EXAMPLES
def test_the_autocomplete_endpoint_refuses_forged_parameters(admin_client, linfen_client, changes):
    valid = {"app_label": "metrics", "model_name": "observation", "field_name": "region"}
    query = forged({**valid, "term": "Lin"}, changes)
    for client in (admin_client, linfen_client):
        assert client.get("/admin/autocomplete/", query).status_code < 500
