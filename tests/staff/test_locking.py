"""
Optimistic locking: when two staff work on the same record, the second save
is refused with a clear message and the first one is kept. The same holds
for inline rows, for changelist actions (the selection carries the version
the user saw) and for the review page.
"""

import re

import pytest
from django.utils.html import escape
from reversion.models import Version

from metrics.admin_mixins import STALE_MESSAGE
from metrics.models import Observation, PublicationState
from programs.models import Outcome, Program
from tests.factories import OutcomeFactory
from tests.staff.conftest import client_for, make_staff, review
from tests.staff.test_roles import messages_of, post_action, snapshot, state_of
from tests.test_admin import change_data, form_data, shown_errors, url

pytestmark = pytest.mark.django_db

STALE_ACTION = "someone else changed it since you loaded the page; reload and try again."


def stale(record) -> str:
    return f"“{record}”: {STALE_ACTION}"


@pytest.fixture
def other_linfen_client(demo):
    return client_for(make_staff("editor", demo.linfen, username="second-linfen-editor"))


def assert_refused_as_stale(response):
    assert response.status_code == 200, "the form should come back"
    assert str(STALE_MESSAGE) in shown_errors(response)
    assert escape(str(STALE_MESSAGE)) in response.content.decode()


class TestChangeForms:
    def test_the_second_save_of_an_observation_is_refused(
        self, linfen_client, other_linfen_client, linfen_draft
    ):
        first = change_data(linfen_client, linfen_draft, value="1111000000")
        second = change_data(other_linfen_client, linfen_draft, value="2222000000")

        assert (
            linfen_client.post(url(Observation, "change", linfen_draft.pk), first).status_code
            == 302
        )
        kept = snapshot(linfen_draft)
        assert kept["value"] == 1111000000
        assert kept["lock_version"] == linfen_draft.lock_version + 1

        response = other_linfen_client.post(url(Observation, "change", linfen_draft.pk), second)
        assert_refused_as_stale(response)
        assert snapshot(linfen_draft) == kept
        assert Version.objects.get_for_object(linfen_draft).count() == 1

    def test_reloading_after_a_refusal_lets_the_second_editor_save(
        self, linfen_client, other_linfen_client, linfen_draft
    ):
        stale = change_data(other_linfen_client, linfen_draft, value="2222000000")
        linfen_client.post(
            url(Observation, "change", linfen_draft.pk),
            change_data(linfen_client, linfen_draft, value="1111000000"),
        )
        other_linfen_client.post(url(Observation, "change", linfen_draft.pk), stale)
        fresh = change_data(other_linfen_client, linfen_draft, value="2222000000")
        response = other_linfen_client.post(url(Observation, "change", linfen_draft.pk), fresh)
        assert response.status_code == 302
        assert snapshot(linfen_draft)["value"] == 2222000000

    def test_a_program_edited_by_a_superuser_meanwhile(
        self, linfen_client, admin_client, linfen_program
    ):
        stale = change_data(linfen_client, linfen_program, title_en="Editor's title")
        admin_client.post(
            url(Program, "change", linfen_program.pk),
            change_data(admin_client, linfen_program, title_en="Superuser's title"),
        )
        kept = snapshot(linfen_program)
        response = linfen_client.post(url(Program, "change", linfen_program.pk), stale)
        assert_refused_as_stale(response)
        assert snapshot(linfen_program) == kept
        assert kept["title_en"] == "Superuser's title"

    def test_an_inline_row_changed_on_its_own_screen_meanwhile(
        self, demo, linfen_client, other_linfen_client, linfen_program
    ):
        outcome = OutcomeFactory(program=linfen_program, metric=demo.sales, region=demo.county)
        stale = change_data(
            linfen_client, linfen_program, **{"outcomes-0-rationale_en": "From the program form"}
        )
        response = other_linfen_client.post(
            url(Outcome, "change", outcome.pk),
            change_data(other_linfen_client, outcome, rationale_en="From the outcome form"),
        )
        assert response.status_code == 302
        program_before = snapshot(linfen_program)

        response = linfen_client.post(url(Program, "change", linfen_program.pk), stale)
        assert response.status_code == 200
        assert str(STALE_MESSAGE) in shown_errors(response)
        outcome.refresh_from_db()
        assert outcome.rationale_en == "From the outcome form"
        assert snapshot(linfen_program) == program_before

    def test_a_revert_counts_as_a_save(self, admin_client, linfen_client, linfen_draft):
        """A form loaded before someone reverted the record must not overwrite the revert."""
        admin_client.post(
            url(Observation, "change", linfen_draft.pk),
            change_data(admin_client, linfen_draft, value="1111000000"),
        )
        first = Version.objects.get_for_object(linfen_draft).first()
        admin_client.post(
            url(Observation, "change", linfen_draft.pk),
            change_data(admin_client, linfen_draft, value="2222000000"),
        )
        stale = change_data(linfen_client, linfen_draft, value="3333000000")

        revert_url = url(Observation, "revision", linfen_draft.pk, first.pk)
        page = admin_client.get(revert_url)
        assert admin_client.post(revert_url, form_data(page)).status_code == 302
        assert snapshot(linfen_draft)["value"] == 1111000000

        response = linfen_client.post(url(Observation, "change", linfen_draft.pk), stale)
        assert_refused_as_stale(response)
        assert snapshot(linfen_draft)["value"] == 1111000000


class TestActions:
    def test_the_selection_carries_the_version_seen(self, linfen_client, linfen_draft):
        html = linfen_client.get(url(Observation, "changelist")).content.decode()
        assert re.search(
            rf'name="_selected_action" value="{linfen_draft.pk}:{linfen_draft.lock_version}"',
            html,
        )

    def test_an_action_on_a_record_changed_since_is_refused(
        self, linfen_client, other_linfen_client, demo, linfen_draft
    ):
        other = Observation.objects.get(metric__slug="livestream-campaign-sales")
        seen = [Observation.objects.get(pk=linfen_draft.pk)]
        other_linfen_client.post(
            url(Observation, "change", linfen_draft.pk),
            change_data(other_linfen_client, linfen_draft, value="1111000000"),
        )
        kept = snapshot(linfen_draft)

        response = post_action(linfen_client, Observation, "submit_for_review", seen)
        messages = messages_of(response)
        assert stale(linfen_draft) in messages
        assert "Nothing was changed; correct the records above first." in messages
        assert snapshot(linfen_draft) == kept
        assert state_of(other) == PublicationState.PUBLISHED

    def test_one_stale_record_stops_the_whole_action(
        self, reviewer_client, admin_client, demo, linfen_draft, taiyuan_draft
    ):
        Observation.objects.filter(pk__in=[linfen_draft.pk, taiyuan_draft.pk]).update(
            publication_state=PublicationState.IN_REVIEW
        )
        seen = list(Observation.objects.filter(pk__in=[linfen_draft.pk, taiyuan_draft.pk]))
        Observation.objects.filter(pk=taiyuan_draft.pk).update(lock_version=5)

        response = post_action(reviewer_client, Observation, "publish", seen)
        assert stale(taiyuan_draft) in messages_of(response)
        assert state_of(linfen_draft) == PublicationState.IN_REVIEW
        assert state_of(taiyuan_draft) == PublicationState.IN_REVIEW

    def test_an_action_with_the_current_version_works(self, reviewer_client, linfen_draft):
        Observation.objects.filter(pk=linfen_draft.pk).update(
            publication_state=PublicationState.IN_REVIEW
        )
        linfen_draft.refresh_from_db()
        response = post_action(reviewer_client, Observation, "publish", [linfen_draft])
        assert messages_of(response) == ["1 record published."]
        assert snapshot(linfen_draft)["lock_version"] == linfen_draft.lock_version + 1


class TestReviewPage:
    def test_a_decision_on_a_record_changed_since_is_refused(
        self, linfen_client, other_linfen_client, linfen_draft
    ):
        page = linfen_client.get(url(Observation, "review", linfen_draft.pk))
        seen = page.context["form"].initial["lock_version_seen"]
        other_linfen_client.post(
            url(Observation, "change", linfen_draft.pk),
            change_data(other_linfen_client, linfen_draft, value="1111000000"),
        )
        kept = snapshot(linfen_draft)

        response = review(linfen_client, linfen_draft, PublicationState.IN_REVIEW, seen=seen)
        assert response.status_code == 200
        assert stale(linfen_draft) in response.context["form"].non_field_errors()
        assert escape(stale(linfen_draft)) in response.content.decode()
        assert snapshot(linfen_draft) == kept

    def test_a_reviewer_deciding_on_a_resubmitted_program(
        self, linfen_client, reviewer_client, linfen_program
    ):
        review(linfen_client, linfen_program, PublicationState.IN_REVIEW)
        stale = Program.objects.get(pk=linfen_program.pk)
        review(reviewer_client, stale, PublicationState.DRAFT, "Add the budget")
        review(linfen_client, Program.objects.get(pk=linfen_program.pk), PublicationState.IN_REVIEW)

        # A second reviewer still holding the first submission's page.
        response = review(reviewer_client, stale, PublicationState.PUBLISHED)
        assert response.status_code == 200
        assert state_of(linfen_program) == PublicationState.IN_REVIEW


class TestDeleteAction:
    """Deleting is an action too: a record changed since the user chose it stays."""

    def test_the_confirmation_carries_the_version_seen(self, linfen_client, linfen_draft):
        response = post_action(linfen_client, Observation, "delete_selected", [linfen_draft])
        assert response.status_code == 200
        html = response.content.decode()
        assert f'value="{linfen_draft.pk}:{linfen_draft.lock_version}"' in html
        assert Observation.objects.filter(pk=linfen_draft.pk).exists()

    def test_confirming_deletes_an_unchanged_draft(self, linfen_client, linfen_draft):
        response = post_action(
            linfen_client, Observation, "delete_selected", [linfen_draft], post="yes"
        )
        assert "Successfully deleted 1 observation." in messages_of(response)
        assert not Observation.objects.filter(pk=linfen_draft.pk).exists()

    def test_confirming_after_someone_changed_the_record(
        self, linfen_client, other_linfen_client, linfen_draft
    ):
        seen = Observation.objects.get(pk=linfen_draft.pk)
        other_linfen_client.post(
            url(Observation, "change", linfen_draft.pk),
            change_data(other_linfen_client, linfen_draft, value="1111000000"),
        )
        response = post_action(linfen_client, Observation, "delete_selected", [seen], post="yes")
        assert stale(linfen_draft) in messages_of(response)
        assert snapshot(linfen_draft)["value"] == 1111000000

    def test_a_program_changed_since(self, linfen_client, other_linfen_client, linfen_program):
        seen = Program.objects.get(pk=linfen_program.pk)
        other_linfen_client.post(
            url(Program, "change", linfen_program.pk),
            change_data(other_linfen_client, linfen_program, title_en="Kept title"),
        )
        post_action(linfen_client, Program, "delete_selected", [seen], post="yes")
        assert snapshot(linfen_program)["title_en"] == "Kept title"

    def test_an_editor_cannot_delete_a_published_figure(self, linfen_client, demo):
        published = Observation.objects.get(metric__slug="livestream-campaign-sales")
        response = post_action(
            linfen_client, Observation, "delete_selected", [published], post="yes"
        )
        assert (
            f"“{published}” is published: propose a correction, which goes through review."
            in messages_of(response)
        )
        assert Observation.objects.filter(pk=published.pk).exists()
