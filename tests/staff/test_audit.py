"""
Every change is recorded (who, when, what) and can be reverted.

The walk below goes through every screen the metrics and programs apps
register: an add and a change made through the admin each leave a
django-reversion version with the user, and the history page shows the
field that changed with its value before and after. A program reverts
together with its inline rows; a revert, an action and a delete are
recorded too, and a deleted record can be recovered.
"""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.admin.models import DELETION, LogEntry
from django.urls import reverse
from django.utils.html import escape
from reversion.models import Version

from metrics import audit
from metrics.admin_mixins import AuditedAdmin
from metrics.models import Observation, PublicationState, Region, ReviewStep
from programs.models import Organisation, Outcome, Partnership, Program
from tests.factories import (
    ActivityFactory,
    CountyFactory,
    MetricFactory,
    ObservationFactory,
    OrganisationFactory,
    OutcomeFactory,
    PartnershipFactory,
    ProgramFactory,
    ProgramSourceFactory,
    RegionAssignmentFactory,
    RegionFactory,
    ReminderPreferenceFactory,
    SectorFactory,
    SourceFactory,
    StaffFactory,
    ValidationRuleFactory,
)
from tests.staff.test_roles import post_action, with_history
from tests.test_admin import change_data, form_data, make_release_calendar, url

pytestmark = pytest.mark.django_db


@dataclass
class Walk:
    """How to add one record through the admin, then change one field of it."""

    make: object  # a factory for a record (a draft, which has a form) copied for the add
    add: object  # like -> the fields that make the copy a new record
    field: str
    new: str


WALKS = {
    "metrics.Region": Walk(
        CountyFactory, lambda like: {"code": "799901"}, "name_en", "Renamed county"
    ),
    "metrics.Source": Walk(
        lambda: SourceFactory(draft=True),
        lambda like: {"slug": "added-source"},
        "title_en",
        "Renamed release",
    ),
    "metrics.Metric": Walk(
        lambda: MetricFactory(draft=True),
        lambda like: {"slug": "added-metric"},
        "name_en",
        "Renamed metric",
    ),
    "metrics.Observation": Walk(
        ObservationFactory,
        lambda like: {"period_start": "2021-01-01", "period_end": "2021-06-30"},
        "value",
        "12340000000",
    ),
    "metrics.ValidationRule": Walk(
        lambda: ValidationRuleFactory(draft=True),
        lambda like: {"slug": "added-rule"},
        "name_en",
        "Renamed rule",
    ),
    "metrics.RegionAssignment": Walk(
        RegionAssignmentFactory,
        lambda like: {"region": str(RegionFactory().pk)},
        "region",
        "<new region>",
    ),
    "metrics.ReleaseCalendar": Walk(
        lambda: make_release_calendar(),
        lambda like: {"region": str(RegionFactory().pk)},
        "lag_days",
        "45",
    ),
    "metrics.ReminderPreference": Walk(
        ReminderPreferenceFactory,
        lambda like: {"user": str(StaffFactory().pk)},
        "language",
        "zh-hans",
    ),
    "programs.Organisation": Walk(
        lambda: OrganisationFactory(draft=True),
        lambda like: {"slug": "added-org"},
        "name_en",
        "Renamed org",
    ),
    "programs.Sector": Walk(
        SectorFactory, lambda like: {"slug": "added-sector"}, "name_en", "Renamed sector"
    ),
    "programs.Program": Walk(
        ProgramFactory, lambda like: {"slug": "added-program"}, "title_en", "Renamed program"
    ),
    "programs.Partnership": Walk(
        PartnershipFactory,
        lambda like: {"organisation": str(OrganisationFactory(kind="platform_company").pk)},
        "role_detail_en",
        "Runs the livestreaming base",
    ),
    "programs.ProgramSource": Walk(
        ProgramSourceFactory,
        lambda like: {"source": str(SourceFactory().pk)},
        "quote",
        "A new quoted sentence.",
    ),
    "programs.Outcome": Walk(
        OutcomeFactory,
        lambda like: {"region": str(RegionFactory().pk)},
        "rationale_en",
        "Sales should follow the bases.",
    ),
    "programs.Activity": Walk(
        ActivityFactory, lambda like: {"title_en": "Added activity"}, "title_en", "Renamed event"
    ),
}
# Review steps and import jobs are the workflows' own records: read-only, never edited.
READ_ONLY = {"metrics.ReviewStep", "metrics.ImportJob"}
# Problem reports are sent by the public, never added in the admin: the audit
# of their status and answers is tested in tests/metrics/test_problem_reports.py.
SENT_BY_THE_PUBLIC = {"metrics.ProblemReport"}

PROJECT_ADMINS = sorted(
    (model for model in admin.site._registry if model._meta.app_label in {"metrics", "programs"}),
    key=lambda model: model._meta.label,
)
AUDITED = [
    model for model in PROJECT_ADMINS if model._meta.label not in READ_ONLY | SENT_BY_THE_PUBLIC
]


def test_the_walk_covers_every_screen_of_both_apps():
    assert {model._meta.label for model in AUDITED} == set(WALKS)
    for model in AUDITED:
        assert isinstance(admin.site._registry[model], AuditedAdmin), model


def test_review_steps_cannot_be_written_in_the_admin(admin_client, rf, admin_user):
    request = rf.get("/")
    request.user = admin_user
    step_admin = admin.site._registry[ReviewStep]
    assert not step_admin.has_add_permission(request)
    assert not step_admin.has_change_permission(request)
    assert not step_admin.has_delete_permission(request)


def as_text(value) -> str:
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


def as_shown(model, name: str, stored) -> str:
    """A stored value as the history shows it: a related record by name, a choice by label."""
    field = model._meta.get_field(name)
    if stored in (None, ""):
        return "None"
    if field.is_relation:
        return str(field.related_model.objects.get(pk=stored))
    if field.choices:
        return str(dict(field.flatchoices)[stored])
    return as_text(stored)


@pytest.mark.parametrize("model", AUDITED, ids=lambda model: model._meta.label)
def test_add_and_change_are_recorded_with_field_differences(admin_client, admin_user, model):
    walk = WALKS[model._meta.label]
    like = walk.make()
    existing = set(model.objects.values_list("pk", flat=True))

    response = admin_client.post(
        url(model, "add"), change_data(admin_client, like, **walk.add(like))
    )
    assert response.status_code == 302, response.context and response.context.get("errors")
    [added] = model.objects.exclude(pk__in=existing)
    [created] = Version.objects.get_for_object(added)
    assert created.revision.user == admin_user

    new = str(RegionFactory().pk) if walk.new == "<new region>" else walk.new
    key = model._meta.get_field(walk.field).attname
    old = as_text(created.field_dict[key])
    response = admin_client.post(
        url(model, "change", added.pk), change_data(admin_client, added, **{walk.field: new})
    )
    assert response.status_code == 302, response.context and response.context.get("errors")
    changed, first = Version.objects.get_for_object(added)
    assert first == created
    assert changed.revision.user == admin_user
    assert as_text(changed.field_dict[key]) == new

    history = admin_client.get(url(model, "history", added.pk))
    assert history.status_code == 200
    latest = history.context["entries"][0]
    label = str(model._meta.get_field(walk.field).verbose_name)
    old, new = as_shown(model, key, created.field_dict[key]), as_shown(model, key, new)
    assert [
        (str(f), as_text(before), as_text(after)) for f, before, after in latest["changes"]
    ] == [(label, old, new)]
    html = history.content.decode()
    assert admin_user.get_username() in html
    if old != "None":
        assert escape(old) in html
    assert escape(new) in html


# --- Programs with their inline rows --------------------------------------------------------


def outcome_rows(program) -> list[str]:
    return list(Outcome.objects.filter(program=program).values_list("rationale_en", flat=True))


class TestProgramWithInlines:
    @pytest.fixture
    def program(self, admin_client):
        """A program with an outcome, saved once through the admin: the version to go back to."""
        outcome = OutcomeFactory(rationale_en="First rationale", program__title_en="First title")
        program = outcome.program
        response = admin_client.post(
            url(Program, "change", program.pk), change_data(admin_client, program)
        )
        assert response.status_code == 302
        return program

    def second_version(self, client, program):
        platform = OrganisationFactory(kind=Organisation.Kind.PLATFORM_COMPANY)
        data = change_data(
            client,
            program,
            title_en="Second title",
            **{
                "outcomes-0-rationale_en": "Second rationale",
                "partnerships-TOTAL_FORMS": "1",
                "partnerships-0-organisation": str(platform.pk),
                "partnerships-0-role": "platform_partner",
            },
        )
        response = client.post(url(Program, "change", program.pk), data)
        assert response.status_code == 302

    def test_an_inline_change_is_in_the_programs_revision(self, admin_client, program):
        self.second_version(admin_client, program)
        [outcome] = Outcome.objects.filter(program=program)
        program_version = Version.objects.get_for_object(program).first()
        outcome_version = Version.objects.get_for_object(outcome).first()
        assert program_version.revision_id == outcome_version.revision_id
        assert outcome_version.field_dict["rationale_en"] == "Second rationale"

        html = admin_client.get(url(Program, "history", program.pk)).content.decode()
        assert "First rationale" in html
        assert "Second rationale" in html
        assert "First title" in html and "Second title" in html

    def test_a_revert_restores_the_program_with_its_inline_rows(
        self, admin_client, admin_user, program
    ):
        first = Version.objects.get_for_object(program).first()
        self.second_version(admin_client, program)
        assert Partnership.objects.filter(program=program).exists()

        history = admin_client.get(url(Program, "history", program.pk)).content.decode()
        revert_url = url(Program, "revision", program.pk, first.pk)
        assert f'href="{revert_url}"' in history

        page = admin_client.get(revert_url)
        assert page.status_code == 200
        # Looking at an old version changes nothing.
        program.refresh_from_db()
        assert program.title_en == "Second title"

        response = admin_client.post(revert_url, form_data(page))
        assert response.status_code == 302
        program.refresh_from_db()
        assert program.title_en == "First title"
        assert outcome_rows(program) == ["First rationale"]
        assert not Partnership.objects.filter(program=program).exists()

        reverted = Version.objects.get_for_object(program).first()
        assert reverted.revision.user == admin_user
        assert audit.describe(reverted.revision.comment).startswith("Reverted to the version")
        assert Version.objects.get_for_object(program).count() == 3
        entries = admin_client.get(url(Program, "history", program.pk)).context["entries"]
        assert entries[0]["revision"] == reverted.revision

    def test_a_deleted_program_is_recovered_with_its_outcomes(
        self, admin_client, admin_user, program
    ):
        pk = program.pk
        response = admin_client.post(url(Program, "delete", pk), {"post": "yes"})
        assert response.status_code == 302
        assert not Program.objects.filter(pk=pk).exists()
        assert not Outcome.objects.filter(program_id=pk).exists()
        assert LogEntry.objects.filter(
            object_id=str(pk), action_flag=DELETION, user=admin_user
        ).exists()

        recover_list = admin_client.get(url(Program, "recoverlist"))
        [deleted] = recover_list.context["deleted"]
        assert deleted.object_id == str(pk)
        recover_url = url(Program, "recover", deleted.pk)
        page = admin_client.get(recover_url)
        assert page.status_code == 200
        assert admin_client.post(recover_url, form_data(page)).status_code == 302

        program = Program.objects.get(pk=pk)
        assert program.title_en == "First title"
        assert outcome_rows(program) == ["First rationale"]
        latest = Version.objects.get_for_object(program).first()
        assert latest.revision.user == admin_user


def test_a_deleted_observation_is_recovered_by_a_superuser_only(admin_client, demo, linfen_client):
    figure = Observation.objects.get(metric__slug="online-retail-sales", region__code="140000")
    draft = ObservationFactory(
        metric=figure.metric, region=Region.objects.get(code="141023"), source=figure.source
    )
    admin_client.post(url(Observation, "change", draft.pk), change_data(admin_client, draft))
    assert (
        admin_client.post(url(Observation, "delete", draft.pk), {"post": "yes"}).status_code == 302
    )
    [deleted] = admin_client.get(url(Observation, "recoverlist")).context["deleted"]

    assert linfen_client.get(url(Observation, "recover", deleted.pk)).status_code == 403
    assert linfen_client.post(url(Observation, "recover", deleted.pk), {}).status_code == 403
    assert not Observation.objects.filter(pk=draft.pk).exists()

    page = admin_client.get(url(Observation, "recover", deleted.pk))
    response = admin_client.post(url(Observation, "recover", deleted.pk), form_data(page))
    assert response.status_code == 302
    assert Observation.objects.get(pk=draft.pk).value == draft.value


# --- Actions and the fixture --------------------------------------------------------------------


def test_a_publish_action_is_recorded_with_the_reviewer(
    reviewer_client, reviewer, linfen_editor, demo
):
    program = ProgramFactory(
        regions=[Region.objects.get(code="141000")], publication_state=PublicationState.IN_REVIEW
    )
    with_history(program, linfen_editor)
    post_action(reviewer_client, Program, "publish", [program])
    latest = Version.objects.get_for_object(program).first()
    assert latest.revision.user == reviewer
    assert audit.describe(latest.revision.comment) == "Published"
    assert latest.field_dict["publication_state"] == PublicationState.PUBLISHED

    history = reviewer_client.get(url(Program, "history", program.pk))
    html = history.content.decode()
    assert "shanxi-reviewer" in html
    assert "Published" in html
    assert ("publication state", "In review", "Published") in [
        (str(label), before, after)
        for label, before, after in history.context["entries"][0]["changes"]
    ]


def test_fixture_records_have_an_initial_history_entry(admin_client, demo):
    program = Program.objects.get(slug="livestreaming-bases")
    [loaded] = Version.objects.get_for_object(program)
    assert audit.describe(loaded.revision.comment) == "Loaded from fixture shanxi_2020"
    html = admin_client.get(url(Program, "history", program.pk)).content.decode()
    assert "Loaded from fixture shanxi_2020" in html


def test_the_history_link_is_on_the_change_page(admin_client):
    observation = ObservationFactory()
    page = admin_client.get(url(Observation, "change", observation.pk)).content.decode()
    assert reverse("admin:metrics_observation_history", args=[observation.pk]) in page
