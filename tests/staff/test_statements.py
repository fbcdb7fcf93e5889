"""
Staff say how each statement is known, and the workflow keeps an inference
without its reasoning from going to review or to the public.
"""

import pytest

from metrics.models import Observation, PublicationState
from programs.models import Program
from tests.staff.conftest import client_for, make_staff, review
from tests.test_admin import change_data, url

pytestmark = pytest.mark.django_db

IN_REVIEW = PublicationState.IN_REVIEW
PUBLISHED = PublicationState.PUBLISHED


def test_an_editor_records_an_inferred_lead_with_its_reasoning(linfen_client, linfen_program):
    data = change_data(
        linfen_client,
        linfen_program,
        basis_lead_organisation="inferred",
        basis_note_lead_organisation="The article names no lead; the city's bureau is assumed.",
        basis_source_lead_organisation="chinadaily-2020-07-28-shanxi-livestreaming",
    )
    response = linfen_client.post(url(Program, "change", linfen_program.pk), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    linfen_program.refresh_from_db()
    assert linfen_program.bases == {
        "lead_organisation": {
            "basis": "inferred",
            "note": "The article names no lead; the city's bureau is assumed.",
            "source": "chinadaily-2020-07-28-shanxi-livestreaming",
        }
    }
    # The form shows it back as it was saved.
    page = linfen_client.get(url(Program, "change", linfen_program.pk)).content.decode()
    assert "The article names no lead; the city&#x27;s bureau is assumed." in page


def test_an_inference_without_reasoning_is_a_form_error_and_saves_nothing(
    linfen_client, linfen_program
):
    before = (linfen_program.bases, linfen_program.lock_version)
    data = change_data(linfen_client, linfen_program, basis_status="inferred")
    response = linfen_client.post(url(Program, "change", linfen_program.pk), data)
    assert response.status_code == 200
    assert "Give the reasoning: the source does not say this." in response.content.decode()
    linfen_program.refresh_from_db()
    assert (linfen_program.bases, linfen_program.lock_version) == before


def test_a_note_without_a_basis_is_refused(linfen_client, linfen_program):
    data = change_data(linfen_client, linfen_program, basis_note_dates="Said to start in May.")
    response = linfen_client.post(url(Program, "change", linfen_program.pk), data)
    assert response.status_code == 200
    assert "Choose quoted, derived or inferred." in response.content.decode()


def test_the_workflow_refuses_to_publish_an_inference_without_reasoning(
    linfen_client, reviewer_client, linfen_program
):
    # Written around the form (an import, a script): the workflow still checks.
    Program.objects.filter(pk=linfen_program.pk).update(
        bases={"status": {"basis": "inferred", "note": " ", "source": ""}}
    )
    linfen_program.refresh_from_db()
    response = review(linfen_client, linfen_program, IN_REVIEW)
    assert response.status_code == 200
    assert "Give the reasoning" in response.content.decode()
    linfen_program.refresh_from_db()
    assert linfen_program.publication_state == PublicationState.DRAFT

    Program.objects.filter(pk=linfen_program.pk).update(
        bases={"status": {"basis": "inferred", "note": "Under way since May.", "source": ""}}
    )
    linfen_program.refresh_from_db()
    assert review(linfen_client, linfen_program, IN_REVIEW).status_code == 302
    linfen_program.refresh_from_db()
    assert review(reviewer_client, linfen_program, PUBLISHED).status_code == 302
    linfen_program.refresh_from_db()
    assert linfen_program.publication_state == PUBLISHED


def test_a_derived_figure_without_its_working_is_not_published(demo, linfen_client, linfen_draft):
    Observation.objects.filter(pk=linfen_draft.pk).update(basis="derived", basis_note="")
    linfen_draft.refresh_from_db()
    response = review(linfen_client, linfen_draft, IN_REVIEW)
    assert response.status_code == 200
    assert "Say how it was worked out." in response.content.decode()
    linfen_draft.refresh_from_db()
    assert linfen_draft.publication_state == PublicationState.DRAFT


def test_the_reviewer_reads_how_each_statement_is_known(demo, linfen_client, reviewer_client):
    program = Program.objects.get(slug="internet-platform-cooperation")
    correction_of = program
    editor = make_staff("editor", demo.shanxi, username="province-editor")
    client = client_for(editor)
    response = client.post(url(Program, "correct", correction_of.pk))
    assert response.status_code == 302
    correction = Program.objects.get(revision_of=correction_of)
    review(client, correction, IN_REVIEW, "Partners' roles checked against the article")
    page = reviewer_client.get(url(Program, "review", correction.pk)).content.decode()
    assert "How we know it" in page
    assert "lead organisation" in page and "inferred" in page
    assert "names no lead organisation" in page
    # The partners' roles are quoted from the article.
    assert "Alibaba, JD.com, Kuaishou and Douyin" in page


def test_a_partner_role_inferred_without_reasoning_holds_back_its_program(
    linfen_client, linfen_program
):
    from tests.factories import PartnershipFactory

    partnership = PartnershipFactory(program=linfen_program)
    type(partnership).objects.filter(pk=partnership.pk).update(
        bases={"role": {"basis": "inferred", "note": "", "source": ""}}
    )
    response = review(linfen_client, linfen_program, IN_REVIEW)
    assert response.status_code == 200
    page = response.content.decode()
    assert "role: Give the reasoning: the source does not say this." in page
    linfen_program.refresh_from_db()
    assert linfen_program.publication_state == PublicationState.DRAFT
