"""
The publication policy, driven through every path staff have.

TABLE says, for a figure inside the account's regions that the account has
not changed itself, which role may take which step in which state. Each
row of it is tried through every path that takes the step — the change
form, the admin's import, `import_observations`, a revert from the
history, the delete page and action, the review page, the bulk actions and
"Propose a correction" — and the database must show the step taken exactly
when the table allows it. The same steps on a figure outside the account's
regions, or changed by the account itself, are refused on every path.
"""

from dataclasses import dataclass
from decimal import Decimal

import pytest
import reversion
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from reversion.models import Version

from metrics.models import ImportJob, Observation
from metrics.periods import Period
from metrics.workflow import policy
from metrics.workflow.policy import Step
from tests.factories import ObservationFactory, SuperuserFactory
from tests.staff.conftest import client_for, make_staff
from tests.staff.test_import import confirm, run_worker, upload
from tests.staff.test_roles import post_action
from tests.test_admin import change_data, url

pytestmark = pytest.mark.django_db

STATES = ["draft", "in_review", "published", "withdrawn"]
TABLE = """
step      role        draft  in_review  published  withdrawn
edit      editor      yes    no         no         no
edit      reviewer    yes    no         no         no
edit      viewer      no     no         no         no
edit      superuser   yes    no         no         no
delete    editor      yes    no         no         no
delete    reviewer    yes    no         no         no
delete    viewer      no     no         no         no
delete    superuser   yes    no         no         no
submit    editor      yes    no         no         no
submit    reviewer    yes    no         no         no
submit    viewer      no     no         no         no
submit    superuser   yes    no         no         no
publish   editor      no     no         no         no
publish   reviewer    no     yes        no         no
publish   viewer      no     no         no         no
publish   superuser   no     yes        no         no
return    editor      no     no         no         no
return    reviewer    no     yes        no         no
return    viewer      no     no         no         no
return    superuser   no     yes        no         no
withdraw  editor      no     no         no         no
withdraw  reviewer    no     no         yes        no
withdraw  viewer      no     no         no         no
withdraw  superuser   no     no         yes        no
reopen    editor      no     no         no         no
reopen    reviewer    no     no         no         yes
reopen    viewer      no     no         no         no
reopen    superuser   no     no         no         yes
correct   editor      no     no         yes        no
correct   reviewer    no     no         yes        no
correct   viewer      no     no         no         no
correct   superuser   no     no         yes        no
"""


def parse(table: str) -> dict[tuple[str, str, str], bool]:
    lines = table.strip().splitlines()
    states = lines[0].split()[2:]
    expected = {}
    for line in lines[1:]:
        step, role, *answers = line.split()
        for state, answer in zip(states, answers, strict=True):
            expected[(step, role, state)] = answer == "yes"
    return expected


EXPECTED = parse(TABLE)
ROLES = ["editor", "reviewer", "viewer", "superuser"]

# Where each state goes when the step is taken.
TARGETS = {
    "submit": "in_review",
    "publish": "published",
    "return": "draft",
    "withdraw": "withdrawn",
    "reopen": "draft",
}
NEW_VALUE = Decimal("4560000000")  # 45.6 亿元


@dataclass
class Case:
    figure: Observation
    actor: object
    client: object
    original_value: Decimal


def make_actor(role: str, demo, *, regions=None):
    if role == "superuser":
        return SuperuserFactory()
    return make_staff(role, *(regions or [demo.shanxi if role != "editor" else demo.linfen]))


def make_figure(demo, state: str) -> Observation:
    figure = ObservationFactory(
        metric=demo.sales,
        region=demo.county,
        source=demo.source,
        period=Period.year_to_date(2021, 6),
        value=Decimal("1230000000"),
    )
    # A first version in the history, to revert to.
    with reversion.create_revision():
        figure.save()
    figure.value = Decimal("1240000000")
    with reversion.create_revision():
        figure.save()
    Observation.objects.filter(pk=figure.pk).update(
        publication_state=state,
        published_at=None if state in ("draft", "in_review") else timezone.now(),
    )
    figure.refresh_from_db()
    return figure


def case_for(demo, role: str, state: str, *, regions=None) -> Case:
    actor = make_actor(role, demo, regions=regions)
    figure = make_figure(demo, state)
    return Case(figure, actor, client_for(actor), figure.value)


def current(figure) -> dict | None:
    return Observation.objects.filter(pk=figure.pk).values().first()


# --- The paths ------------------------------------------------------------------------------


def edit_by_form(case, admin_client, *fixtures):
    data = _draft_form(case, admin_client, value=str(NEW_VALUE))
    case.client.post(url(Observation, "change", case.figure.pk), data)
    return _value_is(case, NEW_VALUE)


RELEASE = "region,metric,period,value,unit\n141023,online-retail-sales,Jan-Jun 2021,45.6,亿元\n"


def edit_by_admin_import(case, admin_client, capture, tmp_path):
    upload(case.client, RELEASE.encode(), capture=capture)
    run_worker()
    job = ImportJob.objects.order_by("pk").last()
    if job is not None:
        confirm(case.client, job, capture=capture)
    return _value_is(case, NEW_VALUE)


def edit_by_bulk_import(case, admin_client, capture, tmp_path):
    release = tmp_path / "release.csv"
    release.write_text(RELEASE, encoding="utf-8")
    try:
        call_command("import_observations", str(release), user=case.actor.username, verbosity=0)
    except CommandError:
        pass
    return _value_is(case, NEW_VALUE)


def edit_by_revert(case, admin_client, *fixtures):
    first = Version.objects.get_for_object(case.figure).last()
    data = _draft_form(case, admin_client, value="1230000000")
    case.client.post(url(Observation, "revision", case.figure.pk, first.pk), data)
    return _value_is(case, Decimal("1230000000"))


def delete_by_page(case, admin_client, *fixtures):
    case.client.post(url(Observation, "delete", case.figure.pk), {"post": "yes"})
    return current(case.figure) is None


def delete_by_action(case, admin_client, *fixtures):
    post_action(case.client, Observation, "delete_selected", [case.figure], post="yes")
    return current(case.figure) is None


def step_by_review_page(step):
    def take(case, admin_client, *fixtures):
        target = TARGETS[step]
        before = case.figure.publication_state
        case.client.post(
            url(Observation, "review", case.figure.pk),
            {
                "decision": step,
                "note": "Because the release says so.",
                "lock_version_seen": case.figure.lock_version,
            },
        )
        now = current(case.figure)["publication_state"]
        return now == target and now != before

    return take


def step_by_action(step, action):
    def take(case, admin_client, *fixtures):
        before = case.figure.publication_state
        post_action(
            case.client,
            Observation,
            action,
            [case.figure],
            apply="yes",
            note="Because the release says so.",
        )
        now = current(case.figure)["publication_state"]
        return now == TARGETS[step] and now != before

    return take


def correct_by_button(case, admin_client, *fixtures):
    case.client.post(url(Observation, "correct", case.figure.pk))
    return case.figure.corrections.exists()


def _draft_form(case, admin_client, **changes) -> dict:
    """The full change form as it was when the figure was a draft (what an attacker posts)."""
    state = case.figure.publication_state
    Observation.objects.filter(pk=case.figure.pk).update(publication_state="draft")
    data = change_data(admin_client, case.figure, **changes)
    Observation.objects.filter(pk=case.figure.pk).update(publication_state=state)
    return data


def _value_is(case, value) -> bool:
    row = current(case.figure)
    return row is not None and row["value"] == value


PATHS = {
    "edit": {
        "change form": edit_by_form,
        "admin import": edit_by_admin_import,
        "import_observations": edit_by_bulk_import,
        "revert": edit_by_revert,
    },
    "delete": {"delete page": delete_by_page, "delete action": delete_by_action},
    "submit": {
        "review page": step_by_review_page("submit"),
        "bulk action": step_by_action("submit", "submit_for_review"),
    },
    "publish": {
        "review page": step_by_review_page("publish"),
        "bulk action": step_by_action("publish", "publish"),
    },
    "return": {
        "review page": step_by_review_page("return"),
        "bulk action": step_by_action("return", "return_to_draft"),
    },
    "withdraw": {
        "review page": step_by_review_page("withdraw"),
        "bulk action": step_by_action("withdraw", "withdraw"),
    },
    "reopen": {"review page": step_by_review_page("reopen")},
    "correct": {"propose a correction": correct_by_button},
}
ALL_PATHS = [(step, path) for step, paths in PATHS.items() for path in paths]


def test_the_table_covers_every_step_and_role():
    assert {step for step, _role, _state in EXPECTED} == set(Step.values) - {"view", "create"}
    assert {role for _step, role, _state in EXPECTED} == set(ROLES)
    assert set(PATHS) == {step for step, _role, _state in EXPECTED}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("step", "path"), ALL_PATHS, ids=[f"{s}-{p}" for s, p in ALL_PATHS])
def test_the_table_holds_on_every_path(
    demo, admin_client, capture, tmp_path, step, path, role, state
):
    case = case_for(demo, role, state)
    taken = PATHS[step][path](case, admin_client, capture, tmp_path)
    assert taken is EXPECTED[(step, role, state)], (step, path, role, state)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("step", sorted(PATHS))
def test_the_policy_answers_as_the_table(demo, step, role, state):
    """The same table, asked directly: what the backend and every screen ask."""
    case = case_for(demo, role, state)
    assert policy.can(case.actor, step, case.figure) is EXPECTED[(step, role, state)]
    if role != "superuser":  # Django answers every has_perm of a superuser with yes
        action = {"edit": "change"}.get(step, step)
        permission = f"metrics.{action}_observation"
        assert case.actor.has_perm(permission, case.figure) is EXPECTED[(step, role, state)]


def allowed_state(step: str) -> str:
    """A state in which a reviewer may take the step on a figure of their regions."""
    return next(state for state in STATES if EXPECTED[(step, "reviewer", state)])


@pytest.mark.parametrize("role", ["editor", "reviewer"])
@pytest.mark.parametrize(("step", "path"), ALL_PATHS, ids=[f"{s}-{p}" for s, p in ALL_PATHS])
def test_nothing_is_allowed_outside_the_accounts_regions(
    demo, admin_client, capture, tmp_path, step, path, role
):
    case = case_for(demo, role, allowed_state(step), regions=[demo.taiyuan])
    assert PATHS[step][path](case, admin_client, capture, tmp_path) is False


@pytest.mark.parametrize("role", ["reviewer", "superuser"])
@pytest.mark.parametrize("path", sorted(PATHS["publish"]))
def test_nobody_publishes_a_change_they_made(demo, admin_client, capture, tmp_path, role, path):
    case = case_for(demo, role, "in_review")
    Observation.objects.filter(pk=case.figure.pk).update(authors=[case.actor.pk])
    case.figure.refresh_from_db()
    assert PATHS["publish"][path](case, admin_client, capture, tmp_path) is False
    # Another reviewer may.
    reviewer = make_actor("reviewer", demo)
    other = Case(case.figure, reviewer, client_for(reviewer), case.original_value)
    assert PATHS["publish"][path](other, admin_client, capture, tmp_path) is True


@pytest.mark.parametrize("role", ["editor", "reviewer", "superuser"])
def test_whoever_edits_a_draft_becomes_one_of_its_authors(demo, admin_client, role):
    case = case_for(demo, role, "draft")
    assert edit_by_form(case, admin_client)
    assert current(case.figure)["authors"] == [case.actor.pk]
    if role != "editor":
        Observation.objects.filter(pk=case.figure.pk).update(publication_state="in_review")
        case.figure.refresh_from_db()
        assert not policy.can(case.actor, Step.PUBLISH, case.figure)


def test_the_roles_groups_carry_no_permissions_of_their_own():
    """The policy is the one statement of who may do what; groups only name roles."""
    assert set(Group.objects.values_list("name", flat=True)) >= set(policy.Role.values)
    for group in Group.objects.filter(name__in=policy.Role.values):
        assert not group.permissions.exists(), group.name
