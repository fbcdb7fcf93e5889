"""
The six ways unreviewed content reached the public (issue 11), each tried
again as it was found: none of them gets an unreviewed change out now.
"""

import ast
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils.html import escape

from metrics.models import ImportJob, Observation, PublicationState, PublishedVersion, Source
from metrics.periods import Period
from metrics.workflow import steps
from metrics.workflow.steps import StepRefused
from programs.models import Organisation, Program
from tests.factories import ObservationFactory, OrganisationFactory, SourceFactory
from tests.staff.conftest import client_for, review
from tests.staff.test_import import check, confirm, csv_file
from tests.staff.test_roles import autocomplete, messages_of, post_action, state_of
from tests.test_admin import change_data, url

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_1_an_import_cannot_change_a_figure_under_review(
    client, demo, linfen_client, reviewer_client, capture
):
    figure = ObservationFactory(
        metric=demo.sales,
        region=demo.county,
        source=demo.source,
        period=Period.year_to_date(2020, 6),
        value=Decimal("99900000000"),
        publication_state=PublicationState.IN_REVIEW,
    )
    page = reviewer_client.get(url(Observation, "review", figure.pk))
    seen = page.context["form"].initial["lock_version_seen"]

    row = ["141023", "online-retail-sales", "2020年1-6月", "1234", "亿元", "", "", ""]
    row[-1] = "edited while in review"
    job = check(linfen_client, csv_file([row]), capture=capture)
    assert [(p.line, p.message) for p in job.problems.all()] == [
        (
            2,
            f"“{figure}” is in review: it stays as the reviewer saw it until a reviewer "
            "publishes it or returns it to draft.",
        )
    ]
    assert confirm(linfen_client, job, capture=capture).state == ImportJob.State.INVALID

    response = review(reviewer_client, figure, PublicationState.PUBLISHED, seen=seen)
    assert response.status_code == 302
    figure.refresh_from_db()
    assert figure.value == Decimal("99900000000")  # what the reviewer saw went public
    assert "edited while in review" not in figure.source_quote


class Test2SharedReferences:
    def test_an_editor_cannot_change_the_source_every_shanxi_figure_cites(
        self, client, demo, linfen_client
    ):
        source = demo.source
        before = Source.objects.values().get(pk=source.pk)
        page = linfen_client.get(url(Source, "change", source.pk))
        assert page.status_code == 200
        assert not page.context["has_change_permission"]
        response = linfen_client.post(
            url(Source, "change", source.pk),
            {**change_data(linfen_client, source), "url": "https://evil.example/"},
        )
        assert response.status_code == 403
        assert Source.objects.values().get(pk=source.pk) == before
        assert "evil.example" not in client.get(reverse("source-list")).content.decode()

    def test_a_correction_of_it_is_refused_to_a_linfen_editor_too(self, demo, linfen_client):
        """Proposing is allowed to authors, but only where their regions cover its uses."""
        response = linfen_client.post(url(Source, "correct", demo.source.pk), follow=True)
        assert not demo.source.corrections.exists()
        assert (
            f"“{demo.source}” is used in regions outside yours: only someone whose regions "
            "cover all of them may change it." in messages_of(response)
        )

    def test_an_editor_cannot_rename_an_organisation_of_taiyuan(self, client, demo, linfen_client):
        organisation = OrganisationFactory(region=demo.taiyuan, name_en="Taiyuan Commerce Bureau")
        response = linfen_client.post(
            url(Organisation, "change", organisation.pk),
            {**change_data(linfen_client, organisation), "name_en": "Renamed"},
        )
        assert response.status_code in (403, 404)
        organisation.refresh_from_db()
        assert organisation.name_en == "Taiyuan Commerce Bureau"

    def test_a_new_source_is_a_draft_nobody_sees_until_it_is_reviewed(
        self, client, demo, linfen_client, linfen_editor, reviewer_client
    ):
        data = {
            "slug": "linfen-bureau-2020-05",
            "title_en": "Linfen livestreaming week",
            "title_zh": "",
            "publisher": "Linfen Commerce Bureau",
            "url": "https://example.org/linfen",
            "published_on": "2020-05-12",
            "notes": "",
        }
        assert linfen_client.post(url(Source, "add"), data).status_code == 302
        source = Source.objects.get(slug="linfen-bureau-2020-05")
        assert source.publication_state == PublicationState.DRAFT
        assert source.authors == [linfen_editor.pk]
        api = client.get(reverse("source-list")).json()
        assert "linfen-bureau-2020-05" not in [item["slug"] for item in api["results"]]
        # The editor submits it; a reviewer publishes it.
        assert review(linfen_client, source, PublicationState.IN_REVIEW).status_code == 302
        source.refresh_from_db()
        assert review(reviewer_client, source, PublicationState.PUBLISHED).status_code == 302
        assert state_of(source) == PublicationState.PUBLISHED

    def test_a_figure_is_not_published_before_the_source_it_cites(
        self, demo, reviewer_client, linfen_draft
    ):
        draft_source = SourceFactory(draft=True)
        Observation.objects.filter(pk=linfen_draft.pk).update(
            source=draft_source, publication_state=PublicationState.IN_REVIEW
        )
        response = post_action(reviewer_client, Observation, "publish", [linfen_draft])
        assert (
            f"“{linfen_draft}” shows “{draft_source}”, which is not published: publish it "
            "first, or with it." in messages_of(response)
        )
        assert state_of(linfen_draft) == PublicationState.IN_REVIEW

    def test_a_source_published_figures_cite_is_not_withdrawn_under_them(self, demo, admin_user):
        with pytest.raises(StepRefused, match="is shown by published records, such as"):
            steps.withdraw(records=[demo.source], user=admin_user, note="Wrong address")
        assert state_of(demo.source) == PublicationState.PUBLISHED


class Test3ProgramsAreCorrectedThroughReview:
    @pytest.fixture
    def program(self, demo):
        return Program.objects.get(slug="linfen-county-officials-livestreaming-2020")

    @pytest.mark.parametrize("who", ["linfen_client", "reviewer_client"])
    def test_editors_and_reviewers_are_offered_a_correction(self, request, program, who):
        page = request.getfixturevalue(who).get(url(Program, "change", program.pk))
        assert page.context["correct_url"] == url(Program, "correct", program.pk)
        assert "Propose a correction" in page.content.decode()

    def test_a_budget_correction_reaches_the_public_only_when_published(
        self, client, program, linfen_client, reviewer_client
    ):
        response = linfen_client.post(url(Program, "correct", program.pk))
        correction = program.corrections.get()
        assert response["Location"] == url(Program, "change", correction.pk)
        # The correction carries the program's parts.
        assert correction.activities.count() == program.activities.count() == 1
        assert list(correction.regions.all()) == list(program.regions.all())

        data = change_data(linfen_client, correction, budget_yuan="800000")
        assert linfen_client.post(url(Program, "change", correction.pk), data).status_code == 302
        reason = "The city's notice gives a budget of 800,000 yuan."
        correction.refresh_from_db()
        submitted = review(linfen_client, correction, PublicationState.IN_REVIEW, reason)
        assert submitted.status_code == 302
        public = client.get(program.get_absolute_url()).content.decode()
        assert "800,000" not in public

        correction.refresh_from_db()
        response = review(reviewer_client, correction, PublicationState.PUBLISHED)
        assert response["Location"] == url(Program, "change", program.pk)
        program.refresh_from_db()
        assert program.budget_yuan == Decimal("800000")
        assert program.activities.count() == 1
        assert not Program.objects.filter(pk=correction.pk).exists()

        page = client.get(program.get_absolute_url())
        html = page.content.decode()
        assert "800,000" in html
        [(version, changes)] = page.context["revisions"]
        assert version.note == reason
        assert [(str(label), before, after) for label, before, after in changes] == [
            ("budget (yuan)", None, "800000.00")
        ]
        assert escape(reason) in html
        api = client.get(reverse("program-detail", args=[program.slug])).json()
        assert api["revisions"][0]["note"] == reason
        assert api["revisions"][0]["content"]["budget_yuan"] is None


class Test4Corrections:
    @pytest.fixture
    def figure(self, demo):
        return Observation.objects.get(metric__slug="livestream-campaign-sales")

    def test_region_and_program_pages_mark_a_revised_figure(
        self, client, demo, figure, linfen_editor, reviewer
    ):
        correction = steps.propose_correction(record=figure, user=linfen_editor)
        Observation.objects.filter(pk=correction.pk).update(
            value=Decimal("32000000"),
            value_qualifier="exact",
            source_quote="Goods worth 32 million yuan were sold.",
        )
        correction.refresh_from_db()
        steps.submit(records=[correction], user=linfen_editor, note="Final figure")
        steps.publish(records=[correction], user=reviewer)
        figure.refresh_from_db()
        mark = f'<a class="revised" href="{figure.get_absolute_url()}"'
        assert mark in client.get(figure.region.get_absolute_url()).content.decode()
        program = Program.objects.get(slug="linfen-county-officials-livestreaming-2020")
        assert mark in client.get(program.get_absolute_url()).content.decode()
        [earlier] = PublishedVersion.objects.for_record(figure)
        assert earlier.content["value"] == "30000000.000000"
        assert earlier.content["value_qualifier"] == "more_than"
        assert earlier.note == "Final figure"
        api = client.get(reverse("observation-list"), {"metric": figure.metric.slug}).json()
        [shown] = api["results"]
        assert shown["revisions"][0]["content"]["value"] == "30000000.000000"

    def test_a_revision_is_dated_on_the_departments_day(self, client, figure, reviewer):
        # 17:30 UTC on 1 March is 01:30 on 2 March in Shanxi.
        late = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)
        Observation.objects.filter(pk=figure.pk).update(revised_at=late)
        for page in (figure.region.get_absolute_url(), figure.metric.get_absolute_url()):
            shown = client.get(page).content.decode()
            assert "(revised 2026-03-02)</a>" in shown and "2026-03-01" not in shown
        changelist = client_for(reviewer).get(url(Observation, "changelist")).content.decode()
        assert "revised 2026-03-02" in changelist and "revised 2026-03-01" not in changelist


def test_4_a_correction_that_changes_nothing_is_not_submitted(demo, linfen_editor):
    figure = Observation.objects.get(metric__slug="livestream-campaign-sales")
    correction = steps.propose_correction(record=figure, user=linfen_editor)
    Observation.objects.filter(pk=correction.pk).update(source_quote=figure.source_quote)
    correction.refresh_from_db()
    with pytest.raises(StepRefused, match="the correction changes nothing"):
        steps.submit(records=[correction], user=linfen_editor, note="Same again")
    assert state_of(correction) == PublicationState.DRAFT


def test_4_a_correction_is_never_offered_as_a_record_to_link_to(demo, admin_user, linfen_client):
    correction = steps.propose_correction(record=demo.sales, user=admin_user)
    offered = autocomplete(linfen_client, "metrics", "observation", "metric")
    assert str(demo.sales.pk) in offered
    assert str(correction.pk) not in offered
    form = linfen_client.get(url(Observation, "add")).context["adminform"].form
    assert correction not in form.fields["metric"].queryset


def test_5_a_withdrawal_or_a_return_says_why_on_every_path(demo, reviewer, linfen_draft):
    figure = Observation.objects.get(metric__slug="livestream-campaign-sales")
    with pytest.raises(StepRefused, match="say why"):
        steps.withdraw(records=[figure], user=reviewer, note="  ")
    Observation.objects.filter(pk=linfen_draft.pk).update(
        publication_state=PublicationState.IN_REVIEW
    )
    with pytest.raises(StepRefused, match="say why"):
        steps.return_to_draft(records=[linfen_draft], user=reviewer, note="")
    assert state_of(figure) == PublicationState.PUBLISHED
    assert state_of(linfen_draft) == PublicationState.IN_REVIEW


def _writes_publication_state(path: Path) -> bool:
    """Whether a module sets `publication_state` (by attribute or as an update's keyword)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(getattr(t, "attr", None) == "publication_state" for t in targets):
                return True
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "update":
            if any(keyword.arg == "publication_state" for keyword in node.keywords):
                return True
    return False


def test_6_the_rules_have_one_home():
    """Only the workflow moves records between states (generators write published data)."""
    allowed = {
        "metrics/workflow/steps.py",
        "metrics/admin_mixins.py",  # a revert puts back the state the record had
        "programs/synthetic.py",  # clearly marked synthetic data for scale tests
    }
    writers = {
        str(path.relative_to(ROOT))
        for app in ("metrics", "programs", "config")
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and _writes_publication_state(path)
    }
    assert writers <= allowed, writers - allowed
