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
from tests.staff.conftest import client_for, make_staff, review
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
            "submit"
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

    def test_withdraw_by_action_asks_for_the_note_first(self, reviewer_client, demo):
        record = Observation.objects.get(metric__slug="livestream-campaign-sales")
        page = post_action(reviewer_client, Observation, "withdraw", [record])
        assert page.status_code == 200
        assert page.template_name == "admin/review_action_note.html"
        assert state_of(record) == PUBLISHED

        # Posting the page without a note changes nothing either.
        response = post_action(reviewer_client, Observation, "withdraw", [record], apply="yes")
        assert response.context["form"].errors["note"]
        assert state_of(record) == PUBLISHED

        response = post_action(
            reviewer_client,
            Observation,
            "withdraw",
            [record],
            apply="yes",
            note="Not in the source",
        )
        assert messages_of(response) == ["1 record withdrawn."]
        assert state_of(record) == WITHDRAWN
        assert steps(record) == [(PUBLISHED, WITHDRAWN, "shanxi-reviewer", "Not in the source")]

    def test_return_by_action_needs_a_note_too(self, linfen_client, reviewer_client, linfen_draft):
        post_action(linfen_client, Observation, "submit_for_review", [linfen_draft])
        response = post_action(
            reviewer_client, Observation, "return_to_draft", [refreshed(linfen_draft)], apply="yes"
        )
        assert response.context["form"].errors["note"]
        assert state_of(linfen_draft) == IN_REVIEW
        post_action(
            reviewer_client,
            Observation,
            "return_to_draft",
            [refreshed(linfen_draft)],
            apply="yes",
            note="Quote the release",
        )
        assert state_of(linfen_draft) == DRAFT
        assert steps(linfen_draft)[-1] == (IN_REVIEW, DRAFT, "shanxi-reviewer", "Quote the release")


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

    def test_a_reviewer_who_changed_a_draft_does_not_publish_it(
        self, reviewer_client, linfen_draft, request
    ):
        data = change_data(reviewer_client, linfen_draft, value="1240000000")
        assert reviewer_client.post(url(Observation, "change", linfen_draft.pk), data).status_code
        assert review(reviewer_client, refreshed(linfen_draft), IN_REVIEW).status_code == 302
        page = reviewer_client.get(url(Observation, "review", linfen_draft.pk))
        decisions = [value for value, _label in page.context["form"].fields["decision"].choices]
        assert decisions == ["return"]  # not "publish"
        assert review(reviewer_client, refreshed(linfen_draft), PUBLISHED).status_code == 200
        response = post_action(reviewer_client, Observation, "publish", [refreshed(linfen_draft)])
        assert (
            f"You changed “{linfen_draft}” since it was last published: another reviewer "
            "publishes it." in messages_of(response)
        )
        assert state_of(linfen_draft) == IN_REVIEW
        other = client_for(make_staff("reviewer", linfen_draft.region.parent.parent))
        assert review(other, refreshed(linfen_draft), PUBLISHED).status_code == 302
        assert state_of(linfen_draft) == PUBLISHED

    @pytest.mark.parametrize("state", [IN_REVIEW, PUBLISHED, WITHDRAWN])
    def test_a_reviewer_edits_drafts_only(self, reviewer_client, admin_client, demo, state):
        record = Observation.objects.get(metric__slug="livestream-campaign-sales")
        Observation.objects.filter(pk=record.pk).update(publication_state=DRAFT)
        data = change_data(admin_client, refreshed(record), value="99000000")
        Observation.objects.filter(pk=record.pk).update(publication_state=state)
        before = Observation.objects.values().get(pk=record.pk)
        response = reviewer_client.post(url(Observation, "change", record.pk), data)
        assert response.status_code == 403
        assert Observation.objects.values().get(pk=record.pk) == before

    @pytest.mark.parametrize("who", ["linfen_client", "reviewer_client", "admin_client"])
    def test_nobody_edits_a_published_program_in_place(self, request, client, demo, who):
        """Reproduction: demo-admin changed a published budget and the public saw it at once."""
        staff = request.getfixturevalue(who)
        program = Program.objects.get(slug="linfen-county-officials-livestreaming-2020")
        Program.objects.filter(pk=program.pk).update(publication_state=DRAFT)
        data = change_data(staff, refreshed(program), budget_yuan="200000000")
        Program.objects.filter(pk=program.pk).update(publication_state=PUBLISHED)
        before = Program.objects.values().get(pk=program.pk)
        assert staff.post(url(Program, "change", program.pk), data).status_code == 403
        assert Program.objects.values().get(pk=program.pk) == before
        assert "200,000,000" not in client.get(program.get_absolute_url()).content.decode()

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
        old_value, old_quote = figure.value, figure.source_quote
        old_text = figure.formatted_value

        response = linfen_client.post(url(Observation, "correct", figure.pk))
        correction = figure.corrections.get()
        assert response.status_code == 302
        assert response["Location"] == url(Observation, "change", correction.pk)
        assert correction.publication_state == DRAFT
        assert correction.value == old_value
        # The corrected figure quotes its own sentence, not the old one's.
        assert correction.source_quote == ""
        assert correction.source == figure.source

        new_quote = "Goods worth 35 million yuan were sold in the nine days."
        data = change_data(linfen_client, correction, value="35000000", source_quote=new_quote)
        response = linfen_client.post(url(Observation, "change", correction.pk), data)
        assert response.status_code == 302
        # Submitting a correction needs a note saying what it corrects and why.
        response = review(linfen_client, refreshed(correction), IN_REVIEW)
        assert response.context["form"].errors["note"] == [
            "Say what the correction changes and why; the public history shows this note."
        ]
        reason = "The department's final figure is 35 million yuan."
        assert review(linfen_client, refreshed(correction), IN_REVIEW, reason).status_code == 302

        # Until a reviewer publishes it, the public sees the published value.
        assert self.public_values(client, figure) == [old_text]
        assert refreshed(figure).value == old_value
        page = reviewer_client.get(url(Observation, "review", correction.pk))
        assert [(str(label), after) for label, _before, after in page.context["differences"]] == [
            ("value", "35000000.000000"),
            ("quoted source sentence", new_quote),
        ]

        before = timezone.now()
        response = review(reviewer_client, refreshed(correction), PUBLISHED)
        # The reviewer lands on the corrected figure, told what happened.
        assert response.status_code == 302
        assert response["Location"] == url(Observation, "change", figure.pk)
        landed = reviewer_client.get(response["Location"])
        assert landed.status_code == 200
        assert any("the correction is published" in m for m in messages_of(landed))

        assert not Observation.objects.filter(pk=correction.pk).exists()
        figure = Observation.objects.get(pk=figure.pk)
        assert figure.value == Decimal("35000000")
        assert figure.source_quote == new_quote
        assert figure.publication_state == PUBLISHED
        assert before <= figure.revised_at <= timezone.now()

        [shown] = self.public_values(client, figure)
        assert shown == (
            f'{figure.formatted_value} <a class="revised" href="{figure.get_absolute_url()}">'
            f"(revised {timezone.localdate(figure.revised_at).isoformat()})</a>"
        )
        assert figure.formatted_value != old_text
        # The figure's public page lists the earlier value, its sentence and why it changed.
        history = client.get(figure.get_absolute_url())
        [(version, earlier)] = history.context["earlier"]
        assert (earlier.formatted_value, earlier.source_quote) == (old_text, old_quote)
        assert version.note == reason
        assert escape(reason) in history.content.decode()

        versions = Version.objects.get_for_object(figure)
        assert versions.first().field_dict["value"] == Decimal("35000000")
        assert versions.first().revision.user == reviewer
        assert old_value in [version.field_dict["value"] for version in versions[1:]]

        # The correction's steps now belong to the figure's review history.
        assert steps(figure)[-2:] == [
            (DRAFT, IN_REVIEW, "linfen-editor", reason),
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
