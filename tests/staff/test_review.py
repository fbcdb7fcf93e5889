"""
Review before publish: editors submit drafts, reviewers publish, return with
a note or withdraw; every step is recorded with who, when and why. Published
figures change only through a reviewed correction, which the public sees
marked as revised while the figure's history keeps the earlier value.
"""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from reversion.models import Version

from metrics.models import Observation, PublicationState, ReviewStep
from programs.models import Program
from tests.staff.conftest import review
from tests.staff.test_roles import messages_of, post_action, state_of
from tests.test_admin import change_data, url

pytestmark = pytest.mark.django_db

DRAFT = PublicationState.DRAFT
IN_REVIEW = PublicationState.IN_REVIEW
PUBLISHED = PublicationState.PUBLISHED
WITHDRAWN = PublicationState.WITHDRAWN


def steps(record) -> list[tuple[str, str, str, str]]:
    return [
        (step.from_state, step.to_state, step.user.username, step.note)
        for step in ReviewStep.objects.for_record(record)
    ]


def refreshed(record):
    record.refresh_from_db()
    return record


class TestTheReviewPath:
    @pytest.mark.parametrize("record_fixture", ["linfen_draft", "linfen_program"])
    def test_submit_by_action_then_publish(
        self, request, linfen_client, reviewer_client, record_fixture
    ):
        record = request.getfixturevalue(record_fixture)
        model = type(record)
        started = timezone.now()
        response = post_action(linfen_client, model, "submit_for_review", [record])
        assert messages_of(response) == ["1 record submitted for review."]
        assert state_of(record) == IN_REVIEW

        response = post_action(reviewer_client, model, "publish", [refreshed(record)])
        assert messages_of(response) == ["1 record published."]
        record = refreshed(record)
        assert record.publication_state == PUBLISHED
        assert started <= record.published_at <= timezone.now()
        assert steps(record) == [
            (DRAFT, IN_REVIEW, "linfen-editor", ""),
            (IN_REVIEW, PUBLISHED, "shanxi-reviewer", ""),
        ]
        for step in ReviewStep.objects.for_record(record):
            assert started <= step.at <= timezone.now()

    def test_submit_on_the_review_page(self, linfen_client, linfen_draft):
        page = linfen_client.get(url(Observation, "review", linfen_draft.pk))
        assert page.status_code == 200
        assert [value for value, _label in page.context["form"].fields["decision"].choices] == [
            IN_REVIEW
        ]
        response = review(linfen_client, linfen_draft, IN_REVIEW, "Figures from the May release")
        assert response.status_code == 302
        assert response["Location"] == url(Observation, "change", linfen_draft.pk)
        assert steps(linfen_draft) == [
            (DRAFT, IN_REVIEW, "linfen-editor", "Figures from the May release")
        ]

    def test_return_needs_a_note(self, reviewer_client, demo, linfen_draft):
        linfen_draft.publication_state = IN_REVIEW
        linfen_draft.save()
        response = review(reviewer_client, linfen_draft, DRAFT, "   ")
        assert response.status_code == 200
        assert response.context["form"].errors["note"] == [
            "Say why, so that the editor knows what to change."
        ]
        assert state_of(linfen_draft) == IN_REVIEW
        assert not ReviewStep.objects.for_record(linfen_draft).exists()

    def test_return_with_a_note_shows_it_to_the_editor(
        self, linfen_client, reviewer_client, linfen_draft
    ):
        review(linfen_client, linfen_draft, IN_REVIEW)
        note = "The quoted sentence gives January to June, not January to March."
        response = review(reviewer_client, refreshed(linfen_draft), DRAFT, note)
        assert response.status_code == 302
        assert state_of(linfen_draft) == DRAFT
        assert steps(linfen_draft)[-1] == (IN_REVIEW, DRAFT, "shanxi-reviewer", note)

        page = linfen_client.get(url(Observation, "change", linfen_draft.pk))
        html = page.content.decode()
        assert "Review history" in html
        assert escape(note) in html
        assert "shanxi-reviewer" in html
        # Back in draft, the editor can change it again.
        assert page.context["has_change_permission"]

    def test_withdraw_with_a_note(self, client, reviewer_client, linfen_program):
        Program.objects.filter(pk=linfen_program.pk).update(
            publication_state=PUBLISHED, published_at=timezone.now()
        )
        linfen_program.refresh_from_db()
        response = review(reviewer_client, linfen_program, WITHDRAWN, "")
        assert response.status_code == 200
        assert response.context["form"].errors["note"]
        assert state_of(linfen_program) == PUBLISHED

        response = review(reviewer_client, linfen_program, WITHDRAWN, "Cancelled by the city")
        assert response.status_code == 302
        assert state_of(linfen_program) == WITHDRAWN
        assert steps(linfen_program) == [
            (PUBLISHED, WITHDRAWN, "shanxi-reviewer", "Cancelled by the city")
        ]
        assert client.get(linfen_program.get_absolute_url()).status_code == 404

    def test_withdraw_by_action(self, reviewer_client, demo):
        record = Observation.objects.get(metric__slug="livestream-campaign-sales")
        response = post_action(reviewer_client, Observation, "withdraw", [record])
        assert messages_of(response) == ["1 record withdrawn."]
        assert state_of(record) == WITHDRAWN
        assert steps(record) == [(PUBLISHED, WITHDRAWN, "shanxi-reviewer", "")]


class TestWhoMayDoWhat:
    def test_an_editor_is_not_offered_publish_or_withdraw(self, linfen_client, linfen_draft):
        response = linfen_client.get(url(Observation, "changelist"))
        actions = dict(response.context["action_form"].fields["action"].choices)
        assert "submit_for_review" in actions
        assert "publish" not in actions
        assert "withdraw" not in actions

    def test_an_editor_cannot_publish_by_action(self, linfen_client, linfen_draft):
        linfen_draft.publication_state = IN_REVIEW
        linfen_draft.save()
        response = post_action(linfen_client, Observation, "publish", [linfen_draft])
        assert "No action selected." in messages_of(response)
        assert state_of(linfen_draft) == IN_REVIEW

    @pytest.mark.parametrize("decision", [PUBLISHED, DRAFT])
    def test_an_editor_cannot_publish_or_return_on_the_review_page(
        self, linfen_client, linfen_draft, decision
    ):
        linfen_draft.publication_state = IN_REVIEW
        linfen_draft.save()
        response = review(linfen_client, linfen_draft, decision, "Looks fine to me")
        assert response.status_code == 403
        assert state_of(linfen_draft) == IN_REVIEW

    def test_an_editor_offered_submit_cannot_post_publish(self, linfen_client, linfen_draft):
        response = review(linfen_client, linfen_draft, PUBLISHED, "Skipping review")
        assert response.status_code == 200
        assert response.context["form"].errors["decision"]
        assert state_of(linfen_draft) == DRAFT

    def test_a_reviewer_cannot_submit_drafts(self, reviewer_client, linfen_draft):
        assert reviewer_client.get(url(Observation, "review", linfen_draft.pk)).status_code == 403
        post_action(reviewer_client, Observation, "submit_for_review", [linfen_draft])
        assert state_of(linfen_draft) == DRAFT

    @pytest.mark.parametrize("state", [DRAFT, IN_REVIEW])
    def test_a_reviewer_cannot_edit_a_figure(self, reviewer_client, admin_client, demo, state):
        record = Observation.objects.get(metric__slug="livestream-campaign-sales")
        Observation.objects.filter(pk=record.pk).update(publication_state=state)
        data = change_data(admin_client, refreshed(record), value="99000000")
        before = Observation.objects.values().get(pk=record.pk)
        response = reviewer_client.post(url(Observation, "change", record.pk), data)
        assert response.status_code == 403
        assert Observation.objects.values().get(pk=record.pk) == before

    def test_a_reviewer_keeps_a_published_program_text_up_to_date(
        self, reviewer_client, linfen_client, demo
    ):
        program = Program.objects.get(slug="linfen-county-officials-livestreaming-2020")
        data = change_data(reviewer_client, program, summary_en="Updated summary.")
        assert reviewer_client.post(url(Program, "change", program.pk), data).status_code == 302
        assert refreshed(program).summary_en == "Updated summary."
        assert refreshed(program).publication_state == PUBLISHED
        # ...which an editor may not.
        data = change_data(reviewer_client, program, summary_en="Editor's summary.")
        assert linfen_client.post(url(Program, "change", program.pk), data).status_code == 403
        assert refreshed(program).summary_en == "Updated summary."

    @pytest.mark.parametrize("who", ["linfen_client", "reviewer_client", "admin_client"])
    def test_nobody_edits_a_published_figure_in_place(self, request, admin_client, demo, who):
        client = request.getfixturevalue(who)
        record = Observation.objects.get(metric__slug="livestream-campaign-sales")
        data = change_data(admin_client, record, value="35000000")
        before = Observation.objects.values().get(pk=record.pk)
        response = client.post(url(Observation, "change", record.pk), data)
        assert response.status_code == 403
        assert Observation.objects.values().get(pk=record.pk) == before

    def test_nobody_deletes_a_published_figure(self, linfen_client, admin_client, demo):
        record = Observation.objects.get(metric__slug="livestream-campaign-sales")
        for client in (linfen_client, admin_client):
            response = client.post(url(Observation, "delete", record.pk), {"post": "yes"})
            assert response.status_code == 403
        assert Observation.objects.filter(pk=record.pk).exists()


class TestCorrections:
    @pytest.fixture
    def figure(self, demo):
        """The seed's published Linfen figure: more than 30 million yuan in nine days."""
        return Observation.objects.get(metric__slug="livestream-campaign-sales")

    def public_page(self, client, figure) -> str:
        page = client.get(reverse("metrics:metric-detail", args=[figure.metric.slug]))
        assert page.status_code == 200
        return page.content.decode()

    def public_values(self, client, figure) -> list[str]:
        """The value cells of the metric page's table, as shown."""
        page = client.get(reverse("metrics:metric-detail", args=[figure.metric.slug]))
        return [str(row.get_cell("value")) for row in page.context["table"].rows]

    def test_a_correction_goes_through_review(
        self, client, linfen_client, reviewer_client, reviewer, figure
    ):
        old_value = figure.value
        old_text = figure.formatted_value

        response = linfen_client.post(url(Observation, "correct", figure.pk))
        correction = figure.corrections.get()
        assert response.status_code == 302
        assert response["Location"] == url(Observation, "change", correction.pk)
        assert correction.publication_state == DRAFT
        assert correction.value == old_value

        data = change_data(linfen_client, correction, value="35000000")
        response = linfen_client.post(url(Observation, "change", correction.pk), data)
        assert response.status_code == 302
        assert review(linfen_client, refreshed(correction), IN_REVIEW).status_code == 302

        # Until a reviewer publishes it, the public sees the published value.
        assert self.public_values(client, figure) == [old_text]
        assert refreshed(figure).value == old_value

        before = timezone.now()
        response = review(reviewer_client, refreshed(correction), PUBLISHED)
        assert response.status_code == 302

        assert not Observation.objects.filter(pk=correction.pk).exists()
        figure = Observation.objects.get(pk=figure.pk)
        assert figure.value == Decimal("35000000")
        assert figure.publication_state == PUBLISHED
        assert before <= figure.revised_at <= timezone.now()

        [shown] = self.public_values(client, figure)
        assert shown == (
            f'{figure.formatted_value} <span class="revised">'
            f"(revised {figure.revised_at.date().isoformat()})</span>"
        )
        assert figure.formatted_value != old_text

        history = Version.objects.get_for_object(figure)
        assert history.first().field_dict["value"] == Decimal("35000000")
        assert history.first().revision.user == reviewer
        assert old_value in [version.field_dict["value"] for version in history[1:]]

        # The correction's steps now belong to the figure's review history.
        assert steps(figure)[-2:] == [
            (DRAFT, IN_REVIEW, "linfen-editor", ""),
            (IN_REVIEW, PUBLISHED, "shanxi-reviewer", ""),
        ]
        page = linfen_client.get(url(Observation, "change", figure.pk)).content.decode()
        assert "(correction)" in page

    def test_a_correction_keeps_the_figure_it_corrects(self, linfen_client, figure, demo):
        linfen_client.post(url(Observation, "correct", figure.pk))
        correction = figure.corrections.get()
        data = change_data(
            linfen_client, correction, region=str(demo.county.pk), period_end="2020-05-31"
        )
        linfen_client.post(url(Observation, "change", correction.pk), data)
        correction.refresh_from_db()
        assert correction.region == figure.region
        assert correction.period_end == figure.period_end

    def test_only_one_correction_at_a_time(self, linfen_client, figure):
        linfen_client.post(url(Observation, "correct", figure.pk))
        linfen_client.post(url(Observation, "correct", figure.pk))
        assert figure.corrections.count() == 1

    def test_an_unpublished_correction_is_not_public(self, client, linfen_client, figure):
        linfen_client.post(url(Observation, "correct", figure.pk))
        correction = figure.corrections.get()
        Observation.objects.filter(pk=correction.pk).update(value=Decimal("99000000"))
        review(linfen_client, refreshed(correction), IN_REVIEW)
        assert self.public_values(client, figure) == [figure.formatted_value]
        assert "99 million" not in self.public_page(client, figure)

    def test_a_correction_returned_to_draft_changes_nothing(
        self, linfen_client, reviewer_client, figure
    ):
        linfen_client.post(url(Observation, "correct", figure.pk))
        correction = figure.corrections.get()
        Observation.objects.filter(pk=correction.pk).update(value=Decimal("35000000"))
        review(linfen_client, refreshed(correction), IN_REVIEW)
        review(reviewer_client, refreshed(correction), DRAFT, "Not in the source")
        figure.refresh_from_db()
        assert figure.value == Decimal("30000000")
        assert figure.revised_at is None
        assert refreshed(correction).publication_state == DRAFT
