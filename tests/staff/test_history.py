"""
The history page as staff and auditors read it, in English and Chinese:
labels rather than stored codes, change messages in the reader's language,
a record's own changes only, a page at a time, and a revert offered only
where it can be completed.
"""

import re
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from reversion.models import Revision, Version

from metrics.models import Observation, PublicationState
from programs.models import Program
from tests.staff.conftest import draft_observation, draft_program, review
from tests.staff.test_roles import post_action, with_history
from tests.test_admin import change_data, form_data, url

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "zh-hans"]


def page_url(model, view, *args, language="en") -> str:
    with translation.override(language):
        return url(model, view, *args)


def history_of(client, record, language="en", **params):
    return client.get(page_url(type(record), "history", record.pk, language=language), params)


def main_text(response) -> str:
    """The words of the page's main content, tags and repeated spaces dropped."""
    html = response.content.decode()
    html = html[html.index('id="content-main"') :]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def revert_links(response) -> list[str]:
    return re.findall(r'href="([^"]*/history/\d+/)"', response.content.decode())


def in_language(language, text) -> str:
    with translation.override(language):
        return str(text)


# --- Labels, not codes ------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_choices_and_related_records_are_shown_by_name(demo, reviewer, reviewer_client, language):
    parent = Program.objects.get(slug="livestreaming-bases")
    program = draft_program(demo.linfen, kind=Program.Kind.OTHER)
    with_history(program, reviewer)
    response = reviewer_client.post(
        url(Program, "change", program.pk),
        change_data(
            reviewer_client, program, kind=Program.Kind.LIVESTREAM_BASE, parent=str(parent.pk)
        ),
    )
    assert response.status_code == 302

    text = main_text(history_of(reviewer_client, program, language))

    with translation.override(language):
        assert str(Program.Kind.LIVESTREAM_BASE.label) in text
        assert str(Program.Kind.OTHER.label) in text
        assert parent.title in text  # the reader's language: title_zh in Chinese
    assert "livestream_base" not in text


def test_a_workflow_step_shows_the_states_by_name(demo, reviewer_client, linfen_client):
    figure = draft_observation(demo, demo.county)
    assert review(linfen_client, figure, PublicationState.IN_REVIEW).status_code == 302

    for language in LANGUAGES:
        text = main_text(history_of(reviewer_client, figure, language))
        with translation.override(language):
            assert str(PublicationState.IN_REVIEW.label) in text
        assert "in_review" not in text


# --- Change messages in the reader's language ---------------------------------------------------


def test_an_admin_change_is_described_in_the_readers_language(demo, reviewer_client):
    program = draft_program(demo.linfen)
    # Saved by someone working in Chinese...
    response = reviewer_client.post(
        page_url(Program, "change", program.pk, language="zh-hans"),
        change_data(reviewer_client, program, title_zh="临汾果园直播", budget_yuan="800000"),
    )
    assert response.status_code == 302

    # ...and read in English, then in Chinese.
    english = main_text(history_of(reviewer_client, program, "en"))
    assert "Changed Title (Chinese) and Budget (yuan)." in english
    assert "已修改" not in english

    chinese = main_text(history_of(reviewer_client, program, "zh-hans"))
    assert "标题（中文）" in chinese and "预算（元）" in chinese
    assert "Budget (yuan)" not in chinese and "Title (Chinese)" not in chinese


def test_a_change_message_stored_as_text_is_read_from_the_admins_log(
    demo, reviewer, reviewer_client
):
    program = draft_program(demo.linfen)
    with_history(program, reviewer)
    reviewer_client.post(
        url(Program, "change", program.pk),
        change_data(reviewer_client, program, budget_yuan="800000"),
    )
    # As django-reversion stored it before: rendered in the saver's language.
    revision = Version.objects.get_for_object(program).first().revision
    Revision.objects.filter(pk=revision.pk).update(comment="已修改Budget (yuan)")
    assert LogEntry.objects.filter(object_id=str(program.pk)).exists()

    assert "Changed Budget (yuan)." in main_text(history_of(reviewer_client, program, "en"))


@pytest.mark.parametrize(
    "stored",
    ["new", "legacy"],
    ids=["stored as structure", "stored as English text, as before"],
)
def test_review_steps_are_described_in_the_readers_language(
    demo, linfen_client, reviewer_client, stored
):
    figure = draft_observation(demo, demo.county)
    assert review(linfen_client, figure, PublicationState.IN_REVIEW).status_code == 302
    figure.refresh_from_db()
    assert review(reviewer_client, figure, PublicationState.DRAFT, "期数不对").status_code == 302
    if stored == "legacy":
        submitted, returned = (
            version.revision for version in Version.objects.get_for_object(figure)[:2]
        )
        Revision.objects.filter(pk=submitted.pk).update(comment="Submitted for review")
        Revision.objects.filter(pk=returned.pk).update(comment="Returned to draft: 期数不对")

    english = main_text(history_of(reviewer_client, figure, "en"))
    assert "Submitted for review" in english
    assert "Returned to draft: 期数不对" in english

    # Needs the Chinese catalogue (translations-history.json).
    chinese = main_text(history_of(reviewer_client, figure, "zh-hans"))
    assert "已提交审核" in chinese
    assert "已退回草稿：期数不对" in chinese
    assert "Submitted for review" not in chinese and "Returned to draft" not in chinese


def test_a_publication_is_described_in_chinese(demo, linfen_client, reviewer_client):
    figure = draft_observation(demo, demo.county)
    review(linfen_client, figure, PublicationState.IN_REVIEW)
    figure.refresh_from_db()
    assert review(reviewer_client, figure, PublicationState.PUBLISHED).status_code == 302

    latest = history_of(reviewer_client, figure, "zh-hans").context["entries"][0]
    assert latest["comment"] == "已发布"


# --- A record's own history, a page at a time ----------------------------------------------------


def test_a_demo_figures_history_is_its_own(demo, admin_client):
    figure = Observation.objects.get(metric=demo.sales, region=demo.shanxi)
    response = history_of(admin_client, figure)
    [loaded] = response.context["entries"]
    assert loaded["related"] == []
    text = main_text(response)
    assert "Loaded from fixture shanxi_2020" in text
    # Nothing else the fixture loaded with it: no other region, metric or program.
    assert "Linfen" not in text and "Taiyuan" not in text
    assert "Livestreaming bases" not in text
    assert len(response.content) < 30_000


def test_a_programs_history_shows_its_own_parts_only(demo, admin_client):
    program = Program.objects.get(slug="livestreaming-bases")
    other_parts = {
        str(outcome)
        for other in Program.objects.exclude(pk=program.pk)
        for outcome in other.outcomes.all()
    }
    [loaded] = history_of(admin_client, program).context["entries"]
    shown = " ".join(label for label, _changes in loaded["related"])
    for part in program.partnerships.all():
        assert str(part) in shown
    assert not any(part in shown for part in other_parts)


def test_the_history_is_paginated_newest_first(demo, linfen_editor, linfen_client):
    figure = draft_observation(demo, demo.county, value=Decimal(1000))
    for value in range(1001, 1061):  # 60 versions
        figure.value = Decimal(value)
        with_history(figure, linfen_editor)

    first = history_of(linfen_client, figure)
    entries = first.context["entries"]
    assert len(entries) == 50
    assert entries[0]["version"].field_dict["value"] == Decimal(1060)
    assert [pk for pk in (e["version"].pk for e in entries)] == sorted(
        (e["version"].pk for e in entries), reverse=True
    )
    assert 'href="?p=2"' in first.content.decode()

    second = history_of(linfen_client, figure, p=2)
    older = second.context["entries"]
    assert len(older) == 10
    # The last change on page 1 is measured against the version on page 2.
    [(_label, before, after)] = entries[-1]["changes"]
    assert (before, after) == (Decimal(1010), Decimal(1011))
    assert older[0]["version"].field_dict["value"] == Decimal(1010)


# --- Reverting: offered only where it can be completed ------------------------------------


@pytest.fixture
def returned_figure(demo, linfen_client, reviewer_client):
    """A draft figure saved twice, submitted, then returned to draft by the reviewer."""
    figure = draft_observation(demo, demo.county, value=Decimal("1230000000"))
    for value in ("1240000000", "1250000000"):
        response = linfen_client.post(
            url(Observation, "change", figure.pk),
            change_data(linfen_client, figure, value=value),
        )
        assert response.status_code == 302
        figure.refresh_from_db()
    assert review(linfen_client, figure, PublicationState.IN_REVIEW).status_code == 302
    figure.refresh_from_db()
    assert (
        review(reviewer_client, figure, PublicationState.DRAFT, "wrong period").status_code == 302
    )
    figure.refresh_from_db()
    return figure


@pytest.mark.parametrize("language", LANGUAGES)
def test_reverting_to_the_in_review_version_completes(
    returned_figure, linfen_client, linfen_editor, language
):
    figure = returned_figure
    Observation.objects.filter(pk=figure.pk).update(value=Decimal("1999000000"))
    figure.refresh_from_db()
    in_review = next(
        version
        for version in Version.objects.get_for_object(figure)
        if version.field_dict["publication_state"] == PublicationState.IN_REVIEW
    )
    history = history_of(linfen_client, figure, language)
    revert_url = page_url(Observation, "revision", figure.pk, in_review.pk, language=language)
    assert revert_url in revert_links(history)

    page = linfen_client.get(revert_url)
    assert page.status_code == 200
    assert 'name="_save"' in page.content.decode()
    response = linfen_client.post(revert_url, form_data(page))
    assert response.status_code == 302

    figure.refresh_from_db()
    # The content of that version, in the state the workflow allows: a draft.
    assert figure.value == Decimal("1250000000")
    assert figure.publication_state == PublicationState.DRAFT
    latest = history_of(linfen_client, figure, language).context["entries"][0]
    assert latest["revision"].user == linfen_editor
    if language == "en":
        assert latest["comment"].startswith("Reverted to the version saved on")


def test_every_offered_revert_has_a_save_button(returned_figure, linfen_client, reviewer_client):
    for client in (linfen_client, reviewer_client):
        links = revert_links(history_of(client, returned_figure))
        assert len(links) == 3  # every version but the current one
        for link in links:
            assert 'name="_save"' in client.get(link).content.decode()


def test_no_revert_is_offered_on_a_record_in_review(returned_figure, linfen_client):
    figure = returned_figure
    assert review(linfen_client, figure, PublicationState.IN_REVIEW).status_code == 302
    history = history_of(linfen_client, figure)
    assert revert_links(history) == []
    assert "Revert to this version" not in main_text(history)

    oldest = Version.objects.get_for_object(figure).last()
    response = linfen_client.get(url(Observation, "revision", figure.pk, oldest.pk))
    assert response.status_code == 302
    figure.refresh_from_db()
    assert figure.publication_state == PublicationState.IN_REVIEW


def test_no_revert_is_offered_to_a_version_saved_with_other_records(
    demo, linfen_client, linfen_editor, reviewer_client
):
    figures = [draft_observation(demo, demo.county), draft_observation(demo, demo.linfen)]
    for figure in figures:
        with_history(figure, linfen_editor)
    # One action on both: one revision holds both figures.
    post_action(linfen_client, Observation, "submit_for_review", figures)
    for figure in figures:
        figure.refresh_from_db()
        assert review(reviewer_client, figure, PublicationState.DRAFT, "redo").status_code == 302
        figure.refresh_from_db()
    figure = figures[0]
    returned, submitted, saved = Version.objects.get_for_object(figure)
    assert submitted.revision.version_set.count() == 2

    links = revert_links(history_of(linfen_client, figure))
    assert links == [url(Observation, "revision", figure.pk, saved.pk)]

    # Asked for anyway, the revert is refused and neither figure changes.
    response = linfen_client.get(url(Observation, "revision", figure.pk, submitted.pk), follow=True)
    assert "saved together with other records" in response.content.decode()
    assert Version.objects.get_for_object(figures[1]).count() == 3
    assert Version.objects.get_for_object(figure).count() == 3


def test_a_viewer_is_offered_no_revert(returned_figure, viewer_client):
    history = history_of(viewer_client, returned_figure)
    assert history.status_code == 200
    assert revert_links(history) == []


def test_the_revert_column_keeps_its_words_whole(returned_figure, linfen_client):
    html = history_of(linfen_client, returned_figure, "zh-hans").content.decode()
    assert "staff.css" in html
    assert '<td class="revert">' in html


def test_a_history_page_costs_the_same_for_few_and_many_versions(
    demo, linfen_editor, linfen_client
):
    program = draft_program(demo.linfen)
    for title in ("First", "Second"):
        program.title_en = title
        with_history(program, linfen_editor)
    history_of(linfen_client, program)  # the session is saved on the first request only
    with CaptureQueriesContext(connection) as few:
        history_of(linfen_client, program)
    for number in range(40):
        program.title_en = f"Title {number}"
        with_history(program, linfen_editor)
    with CaptureQueriesContext(connection) as many:
        history_of(linfen_client, program)
    assert len(many) == len(few)
