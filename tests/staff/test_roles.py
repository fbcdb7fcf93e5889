"""
Roles and region scopes, tried the way a curious user would: through the
lists, the search box, the autocompletes, the history and the export, by
editing URLs and by posting forms the page never offered.

An editor for Linfen works on Linfen and its counties; Taiyuan's records
and Shanxi-wide ones are not there for them, whatever they type.
"""

import warnings

import pytest
import reversion
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from reversion.models import Version

from metrics.models import ImportJob, Observation, PublicationState, ReviewStep
from programs.models import Activity, Outcome, Program
from tests.factories import (
    ActivityFactory,
    ObservationFactory,
    OutcomeFactory,
    ReviewStepFactory,
)
from tests.staff.conftest import draft_observation, draft_program, review
from tests.test_admin import change_data, form_data, shown_errors, url

pytestmark = pytest.mark.django_db

SEED_LINFEN_OBSERVATION = {"metric__slug": "livestream-campaign-sales", "region__code": "141000"}
SEED_SHANXI_OBSERVATION = {"metric__slug": "online-retail-sales", "region__code": "140000"}
SEED_LINFEN_PROGRAM = "linfen-county-officials-livestreaming-2020"
SEED_SHANXI_PROGRAM = "livestreaming-bases"


def listed(client, model, **params) -> set[int]:
    response = client.get(url(model, "changelist"), params)
    assert response.status_code == 200
    return {record.pk for record in response.context["cl"].result_list}


def autocomplete(client, app_label, model_name, field_name, term="") -> set[str]:
    response = client.get(
        "/admin/autocomplete/",
        {
            "app_label": app_label,
            "model_name": model_name,
            "field_name": field_name,
            "term": term,
        },
    )
    assert response.status_code == 200
    return {item["id"] for item in response.json()["results"]}


def with_history(record, user):
    """Save the record once more inside a revision, as the admin would."""
    with reversion.create_revision():
        reversion.set_user(user)
        record.save()
    return Version.objects.get_for_object(record).first()


def post_action(client, model, action, records, **extra):
    return client.post(
        url(model, "changelist"),
        {
            "action": action,
            ACTION_CHECKBOX_NAME: [f"{record.pk}:{record.lock_version}" for record in records],
            **extra,
        },
        follow=True,
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def state_of(record) -> str:
    return type(record).objects.values_list("publication_state", flat=True).get(pk=record.pk)


def snapshot(record) -> dict:
    return type(record)._base_manager.values().get(pk=record.pk)


@pytest.fixture
def seed():
    return {
        "linfen_observation": Observation.objects.get(**SEED_LINFEN_OBSERVATION),
        "shanxi_observation": Observation.objects.get(**SEED_SHANXI_OBSERVATION),
        "linfen_program": Program.objects.get(slug=SEED_LINFEN_PROGRAM),
        "shanxi_program": Program.objects.get(slug=SEED_SHANXI_PROGRAM),
    }


# --- What an editor for Linfen sees -------------------------------------------------------


class TestEditorSeesOnlyTheirRegions:
    def test_observation_list(self, linfen_client, linfen_draft, taiyuan_draft, seed):
        shown = listed(linfen_client, Observation)
        assert linfen_draft.pk in shown
        assert seed["linfen_observation"].pk in shown
        assert taiyuan_draft.pk not in shown
        assert seed["shanxi_observation"].pk not in shown
        assert shown == set(
            Observation.objects.filter(
                region__path__startswith="100000/140000/141000/"
            ).values_list("pk", flat=True)
        )

    def test_program_list(self, linfen_client, linfen_program, taiyuan_program, seed):
        shown = listed(linfen_client, Program)
        assert shown == {linfen_program.pk, seed["linfen_program"].pk}
        assert taiyuan_program.pk not in shown
        assert seed["shanxi_program"].pk not in shown

    def test_the_taiyuan_editor_sees_the_mirror_image(
        self, taiyuan_client, linfen_draft, taiyuan_draft, linfen_program, taiyuan_program
    ):
        assert listed(taiyuan_client, Observation) == {taiyuan_draft.pk}
        assert listed(taiyuan_client, Program) == {taiyuan_program.pk}

    def test_search(self, linfen_client, demo, linfen_draft, taiyuan_draft, taiyuan_program):
        assert listed(linfen_client, Observation, q="Taiyuan") == set()
        assert listed(linfen_client, Observation, q="太原") == set()
        assert listed(linfen_client, Observation, q="Online retail sales") == {linfen_draft.pk}
        assert listed(linfen_client, Program, q="Taiyuan") == set()
        assert listed(linfen_client, Program, q="night-market") == set()

    def test_program_parts(self, linfen_client, demo, linfen_program, taiyuan_program):
        linfen_outcome = OutcomeFactory(
            program=linfen_program, metric=demo.sales, region=demo.county
        )
        taiyuan_outcome = OutcomeFactory(
            program=taiyuan_program, metric=demo.sales, region=demo.taiyuan
        )
        shown = listed(linfen_client, Outcome)
        assert linfen_outcome.pk in shown
        assert taiyuan_outcome.pk not in shown
        assert not Outcome.objects.filter(pk__in=shown, region__code="140000").exists()

    def test_autocomplete_of_regions(self, linfen_client, demo):
        regions = autocomplete(linfen_client, "metrics", "observation", "region")
        assert str(demo.linfen.pk) in regions
        assert str(demo.county.pk) in regions
        assert str(demo.taiyuan.pk) not in regions
        assert str(demo.shanxi.pk) not in regions
        assert autocomplete(linfen_client, "programs", "outcome", "region", "Taiyuan") == set()
        assert autocomplete(linfen_client, "programs", "program", "regions", "太原") == set()

    def test_autocomplete_of_observations_and_programs(
        self, linfen_client, linfen_draft, taiyuan_draft, linfen_program, taiyuan_program
    ):
        results = autocomplete(linfen_client, "programs", "activity", "results")
        assert str(linfen_draft.pk) in results
        assert str(taiyuan_draft.pk) not in results
        programs = autocomplete(linfen_client, "programs", "outcome", "program")
        assert str(linfen_program.pk) in programs
        assert str(taiyuan_program.pk) not in programs
        assert str(taiyuan_program.pk) not in autocomplete(
            linfen_client, "programs", "program", "parent"
        )

    def test_history(
        self, linfen_client, linfen_editor, taiyuan_editor, linfen_draft, taiyuan_draft
    ):
        mine = with_history(linfen_draft, linfen_editor)
        theirs = with_history(taiyuan_draft, taiyuan_editor)
        assert linfen_client.get(url(Observation, "history", linfen_draft.pk)).status_code == 200
        assert linfen_client.get(url(Observation, "history", taiyuan_draft.pk)).status_code == 404
        assert (
            linfen_client.get(url(Observation, "revision", linfen_draft.pk, mine.pk)).status_code
            == 200
        )
        assert (
            linfen_client.get(url(Observation, "revision", taiyuan_draft.pk, theirs.pk)).status_code
            == 404
        )

    def test_a_revision_url_cannot_reach_another_model(self, demo, linfen_client, taiyuan_editor):
        """
        A revision URL names a record and a version: a version of a Taiyuan
        program, put after a Linfen observation that has the same id, must
        neither be shown nor reverted.
        """
        twin_id = 900_001
        observation = draft_observation(demo, demo.county, pk=twin_id)
        program = draft_program(demo.taiyuan, pk=twin_id, title_en="Taiyuan fair")
        theirs = with_history(program, taiyuan_editor)
        Program.objects.filter(pk=twin_id).update(title_en="Renamed by Taiyuan")
        page = url(Observation, "revision", observation.pk, theirs.pk)
        assert linfen_client.get(page).status_code == 404
        response = linfen_client.post(page, change_data(linfen_client, observation))
        assert response.status_code == 404
        assert Program.objects.get(pk=twin_id).title_en == "Renamed by Taiyuan"

    def test_a_revert_cannot_move_a_record_out_of_the_editors_regions(
        self, demo, linfen_client, linfen_editor, admin_user, linfen_draft
    ):
        """An old version of a Linfen draft that was once Taiyuan's stays old."""
        linfen_draft.region = demo.taiyuan
        old = with_history(linfen_draft, admin_user)
        linfen_draft.region = demo.county
        with_history(linfen_draft, admin_user)
        page = url(Observation, "revision", linfen_draft.pk, old.pk)
        data = change_data(linfen_client, linfen_draft)
        response = linfen_client.post(page, {**data, "region": str(demo.county.pk)})
        assert response.status_code in (403, 404)
        linfen_draft.refresh_from_db()
        assert linfen_draft.region == demo.county

    def test_export(self, linfen_client, linfen_draft, taiyuan_draft):
        form = linfen_client.get(url(Observation, "export")).context["form"]
        fields = {name: "on" for name in form.fields if name.startswith("observationexport_")}
        response = linfen_client.post(
            url(Observation, "export"), {"format": "0", "resource": "0", **fields}
        )
        assert response.status_code == 200
        lines = response.content.decode().splitlines()
        regions = {line.split(",")[0] for line in lines[1:]}
        assert regions == {"141000", "141023"}

    def test_export_of_hand_picked_taiyuan_rows(self, linfen_client, taiyuan_draft):
        form = linfen_client.get(url(Observation, "export")).context["form"]
        fields = {name: "on" for name in form.fields if name.startswith("observationexport_")}
        response = linfen_client.post(
            url(Observation, "export"),
            {"format": "0", "resource": "0", "export_items": [taiyuan_draft.pk], **fields},
        )
        # The form comes back: a row outside the user's regions is not a choice.
        assert response["Content-Type"].startswith("text/html")
        assert "140100" not in response.content.decode()

    def test_export_of_hand_picked_linfen_rows(self, linfen_client, linfen_draft, taiyuan_draft):
        form = linfen_client.get(url(Observation, "export")).context["form"]
        fields = {name: "on" for name in form.fields if name.startswith("observationexport_")}
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)
            response = linfen_client.post(
                url(Observation, "export"),
                {"format": "0", "resource": "0", "export_items": [linfen_draft.pk], **fields},
            )
        lines = response.content.decode().splitlines()
        assert [line.split(",")[0] for line in lines[1:]] == [linfen_draft.region.code]


# --- Editing a URL -------------------------------------------------------------------------


class TestUrlTampering:
    @pytest.mark.parametrize("view", ["change", "delete", "history", "review"])
    def test_taiyuan_observation(self, linfen_client, taiyuan_draft, view):
        assert linfen_client.get(url(Observation, view, taiyuan_draft.pk)).status_code == 404

    @pytest.mark.parametrize("view", ["change", "delete", "history", "review"])
    def test_taiyuan_program(self, linfen_client, taiyuan_program, view):
        assert linfen_client.get(url(Program, view, taiyuan_program.pk)).status_code == 404

    @pytest.mark.parametrize("model", [Outcome, Activity])
    def test_taiyuan_program_parts(self, demo, linfen_client, taiyuan_program, model):
        part = (
            OutcomeFactory(program=taiyuan_program, metric=demo.sales, region=demo.taiyuan)
            if model is Outcome
            else ActivityFactory(program=taiyuan_program, regions=[demo.taiyuan])
        )
        for view in ("change", "delete", "history"):
            assert linfen_client.get(url(model, view, part.pk)).status_code == 404
        assert linfen_client.post(url(model, "delete", part.pk), {"post": "yes"}).status_code == 404
        assert model.objects.filter(pk=part.pk).exists()

    def test_correcting_a_published_taiyuan_figure(self, demo, linfen_client):
        published = draft_observation(
            demo, demo.taiyuan, publication_state=PublicationState.PUBLISHED
        )
        assert linfen_client.post(url(Observation, "correct", published.pk)).status_code == 404
        assert not published.corrections.exists()

    def test_posting_a_change_to_a_taiyuan_draft(self, linfen_client, admin_client, taiyuan_draft):
        before = snapshot(taiyuan_draft)
        data = change_data(admin_client, taiyuan_draft, value="999")
        response = linfen_client.post(url(Observation, "change", taiyuan_draft.pk), data)
        assert response.status_code == 404
        assert snapshot(taiyuan_draft) == before

    def test_deleting_a_taiyuan_draft(self, linfen_client, taiyuan_draft, taiyuan_program):
        for record in (taiyuan_draft, taiyuan_program):
            response = linfen_client.post(url(type(record), "delete", record.pk), {"post": "yes"})
            assert response.status_code == 404
            assert type(record).objects.filter(pk=record.pk).exists()

    def test_reviewing_a_taiyuan_draft(self, linfen_client, taiyuan_draft):
        response = review(linfen_client, taiyuan_draft, PublicationState.IN_REVIEW)
        assert response.status_code == 404
        assert state_of(taiyuan_draft) == PublicationState.DRAFT

    def test_an_action_on_a_taiyuan_draft(self, linfen_client, linfen_draft, taiyuan_draft):
        response = post_action(
            linfen_client, Observation, "submit_for_review", [linfen_draft, taiyuan_draft]
        )
        assert response.status_code == 200
        assert state_of(taiyuan_draft) == PublicationState.DRAFT
        assert state_of(linfen_draft) == PublicationState.IN_REVIEW

    def test_an_action_on_only_a_taiyuan_program(self, linfen_client, taiyuan_program):
        post_action(linfen_client, Program, "submit_for_review", [taiyuan_program])
        assert state_of(taiyuan_program) == PublicationState.DRAFT

    def test_review_steps_of_taiyuan_records(
        self, linfen_client, taiyuan_editor, linfen_draft, taiyuan_draft
    ):
        mine = ReviewStepFactory(record=linfen_draft, user=taiyuan_editor)
        theirs = ReviewStepFactory(record=taiyuan_draft, user=taiyuan_editor)
        assert listed(linfen_client, ReviewStep) == {mine.pk}
        response = linfen_client.get(url(ReviewStep, "change", theirs.pk))
        assert response.status_code in (302, 403, 404)
        assert str(taiyuan_draft) not in response.content.decode()

    def test_publishing_by_posting_the_state_field(self, linfen_client, linfen_draft):
        data = change_data(linfen_client, linfen_draft, publication_state="published")
        response = linfen_client.post(url(Observation, "change", linfen_draft.pk), data)
        assert response.status_code == 302
        assert state_of(linfen_draft) == PublicationState.DRAFT

    def test_recovering_deleted_records_is_for_superusers(self, linfen_client, admin_client):
        assert linfen_client.get(url(Observation, "recoverlist")).status_code == 403
        assert admin_client.get(url(Observation, "recoverlist")).status_code == 200


# --- Posting forms -------------------------------------------------------------------------


def observation_add_data(client, demo, region, **changes):
    data = form_data(client.get(url(Observation, "add")), inlines=False)
    return {
        **data,
        "metric": str(demo.sales.pk),
        "region": str(region.pk),
        "period_type": "ytd",
        "period_start": "2021-01-01",
        "period_end": "2021-03-31",
        "value": "1500000000",
        "value_qualifier": "exact",
        "yoy_change": "12.5",
        "source": str(demo.source.pk),
        "source_quote": "Sales reached 1.5 billion yuan.",
        **changes,
    }


def program_add_data(client, region, **changes):
    data = form_data(client.get(url(Program, "add")))
    return {
        **data,
        "slug": "county-fair-2021",
        "title_en": "County fair 2021",
        "kind": "event_campaign",
        "status": "planned",
        "regions": [str(region.pk)],
        **changes,
    }


def field_errors(response, field: str) -> list[str]:
    return list(response.context["adminform"].form.errors.get(field, []))


class TestFormTampering:
    def test_editor_adds_an_observation_for_their_county(self, linfen_client, demo):
        response = linfen_client.post(
            url(Observation, "add"), observation_add_data(linfen_client, demo, demo.county)
        )
        assert response.status_code == 302, shown_errors(response)
        added = Observation.objects.get(region=demo.county, period_start="2021-01-01")
        assert added.publication_state == PublicationState.DRAFT

    def test_editor_cannot_add_an_observation_for_taiyuan(self, linfen_client, demo):
        count = Observation.objects.count()
        response = linfen_client.post(
            url(Observation, "add"), observation_add_data(linfen_client, demo, demo.taiyuan)
        )
        assert response.status_code == 200
        assert field_errors(response, "region")
        assert Observation.objects.count() == count

    def test_editor_cannot_add_a_program_for_taiyuan(self, linfen_client, demo):
        count = Program.objects.count()
        response = linfen_client.post(
            url(Program, "add"), program_add_data(linfen_client, demo.taiyuan)
        )
        assert response.status_code == 200
        assert field_errors(response, "regions")
        assert Program.objects.count() == count

    def test_editor_cannot_add_a_program_for_linfen_and_taiyuan(self, linfen_client, demo):
        count = Program.objects.count()
        data = program_add_data(
            linfen_client, demo.linfen, regions=[str(demo.linfen.pk), str(demo.taiyuan.pk)]
        )
        response = linfen_client.post(url(Program, "add"), data)
        assert response.status_code == 200
        assert field_errors(response, "regions")
        assert Program.objects.count() == count

    def test_editor_adds_a_program_for_linfen(self, linfen_client, demo):
        response = linfen_client.post(
            url(Program, "add"), program_add_data(linfen_client, demo.linfen)
        )
        assert response.status_code == 302, shown_errors(response)
        assert Program.objects.get(slug="county-fair-2021").publication_state == "draft"

    def test_an_outcome_inline_for_taiyuan(self, linfen_client, demo, linfen_program):
        data = change_data(
            linfen_client,
            linfen_program,
            **{
                "outcomes-TOTAL_FORMS": "1",
                "outcomes-0-metric": str(demo.sales.pk),
                "outcomes-0-region": str(demo.taiyuan.pk),
                "outcomes-0-effect": "increase",
                "outcomes-0-target_value": "2000000000",
                "outcomes-0-target_date": "2022-12-31",
            },
        )
        response = linfen_client.post(url(Program, "change", linfen_program.pk), data)
        assert response.status_code == 200
        [outcome_form] = response.context["inline_admin_formsets"][1].formset.forms
        assert outcome_form.errors["region"]
        assert not Outcome.objects.filter(program=linfen_program).exists()

    def test_moving_a_linfen_draft_to_taiyuan(self, linfen_client, demo, linfen_draft):
        before = snapshot(linfen_draft)
        data = change_data(linfen_client, linfen_draft, region=str(demo.taiyuan.pk))
        response = linfen_client.post(url(Observation, "change", linfen_draft.pk), data)
        assert response.status_code == 200
        assert field_errors(response, "region")
        assert snapshot(linfen_draft) == before

    def test_moving_a_linfen_program_to_taiyuan(self, linfen_client, demo, linfen_program):
        data = change_data(linfen_client, linfen_program, regions=[str(demo.taiyuan.pk)])
        response = linfen_client.post(url(Program, "change", linfen_program.pk), data)
        assert response.status_code == 200
        assert field_errors(response, "regions")
        assert list(linfen_program.regions.all()) == [demo.linfen]

    def test_attaching_a_taiyuan_figure_as_an_activity_result(
        self, linfen_client, linfen_program, taiyuan_draft
    ):
        response = linfen_client.post(
            url(Activity, "add"),
            {
                "program": str(linfen_program.pk),
                "kind": "livestream_events",
                "title_en": "Orchard livestreams",
                "results": [str(taiyuan_draft.pk)],
            },
        )
        assert response.status_code == 200
        assert field_errors(response, "results")
        assert not Activity.objects.filter(program=linfen_program).exists()


# --- Viewers look, never touch --------------------------------------------------------------


class TestViewer:
    def test_sees_the_lists_and_records_read_only(
        self, viewer_client, linfen_draft, taiyuan_program
    ):
        assert linfen_draft.pk in listed(viewer_client, Observation)
        assert taiyuan_program.pk in listed(viewer_client, Program)
        response = viewer_client.get(url(Observation, "change", linfen_draft.pk))
        assert response.status_code == 200
        assert not response.context["has_change_permission"]
        assert 'name="_save"' not in response.content.decode()

    def test_cannot_add(self, viewer_client, demo):
        count = Observation.objects.count()
        assert viewer_client.get(url(Observation, "add")).status_code == 403
        response = viewer_client.post(
            url(Observation, "add"),
            {"metric": str(demo.sales.pk), "region": str(demo.county.pk), "value": "1"},
        )
        assert response.status_code == 403
        assert Observation.objects.count() == count
        programs = Program.objects.count()
        response = viewer_client.post(url(Program, "add"), {"slug": "x", "title_en": "X"})
        assert response.status_code == 403
        assert Program.objects.count() == programs

    def test_cannot_change(self, viewer_client, admin_client, linfen_draft, linfen_program):
        for record in (linfen_draft, linfen_program):
            before = snapshot(record)
            data = change_data(admin_client, record)
            data["title_en" if isinstance(record, Program) else "value"] = "7"
            response = viewer_client.post(url(type(record), "change", record.pk), data)
            assert response.status_code == 403
            assert snapshot(record) == before

    def test_cannot_delete(self, viewer_client, linfen_draft, linfen_program):
        for record in (linfen_draft, linfen_program):
            response = viewer_client.post(url(type(record), "delete", record.pk), {"post": "yes"})
            assert response.status_code == 403
            assert type(record).objects.filter(pk=record.pk).exists()

    @pytest.mark.parametrize(
        ("state", "action"),
        [
            (PublicationState.DRAFT, "submit_for_review"),
            (PublicationState.IN_REVIEW, "publish"),
            (PublicationState.PUBLISHED, "withdraw"),
            (PublicationState.DRAFT, "delete_selected"),
        ],
    )
    def test_cannot_run_actions(self, viewer_client, demo, state, action):
        record = draft_observation(demo, demo.county, publication_state=state)
        response = viewer_client.get(url(Observation, "changelist"))
        assert response.context["action_form"] is None or action not in dict(
            response.context["action_form"].fields["action"].choices
        )
        post_action(viewer_client, Observation, action, [record], post="yes")
        assert Observation.objects.filter(pk=record.pk, publication_state=state).exists()

    def test_cannot_review_correct_or_import(self, viewer_client, demo, linfen_draft):
        assert viewer_client.get(url(Observation, "review", linfen_draft.pk)).status_code == 403
        response = review(viewer_client, linfen_draft, PublicationState.IN_REVIEW)
        assert response.status_code == 403
        assert state_of(linfen_draft) == PublicationState.DRAFT
        published = ObservationFactory(
            metric=demo.sales, region=demo.county, source=demo.source, published=True
        )
        assert viewer_client.post(url(Observation, "correct", published.pk)).status_code == 403
        assert not published.corrections.exists()
        assert viewer_client.get(url(ImportJob, "add")).status_code == 403
        assert viewer_client.post(url(ImportJob, "add"), {}).status_code == 403

    def test_cannot_revert(self, viewer_client, viewer, linfen_draft):
        version = with_history(linfen_draft, viewer)
        page = url(Observation, "revision", linfen_draft.pk, version.pk)
        response = viewer_client.post(page, {"value": "1"})
        assert response.status_code == 403


# --- The same screens in Simplified Chinese --------------------------------------------------


def zh(path: str) -> str:
    return path if path.startswith("/zh-hans/") else f"/zh-hans{path}"


def zh_page(client, path: str) -> str:
    response = client.get(zh(path))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans"' in html
    return html


def assert_labels(html: str, chinese: list[str], english: list[str]):
    """The project's labels are shown in Chinese and none of the English ones remain."""
    missing = [label for label in chinese if label not in html]
    assert not missing, f"not shown in Chinese: {missing}"
    left = [label for label in english if label in html]
    assert not left, f"left in English: {left}"


class TestChineseAdmin:
    """The catalogue is compiled from locale/zh_Hans (make translations)."""

    def test_index(self, reviewer_client):
        html = zh_page(reviewer_client, "/admin/")
        assert_labels(
            html,
            ["统计数据", "政策项目", "地区", "指标", "项目", "活动"],
            [">Statistics<", ">Policy programs<", ">Regions<", ">Metrics<"],
        )

    def test_observation_changelist(self, reviewer_client, demo):
        html = zh_page(reviewer_client, url(Observation, "changelist"))
        assert_labels(
            html,
            ["指标", "地区", "统计期", "数值", "同比", "发布状态", "已发布", "发布所选记录"],
            ["Publication state", "Year on year", ">Published<", "Publish selected"],
        )

    def test_observation_change_form(self, linfen_client, linfen_draft):
        html = zh_page(linfen_client, url(Observation, "change", linfen_draft.pk))
        assert_labels(
            html,
            [
                "统计期类型",
                "统计期开始日期",
                "统计期结束日期",
                "限定词",
                "公布的同比增长（%）",
                "来源原文",
                "推算",
                "按基本单位填写：107.7亿元填 10770000000。",
                "1月至今累计",
                "草稿",
            ],
            [
                "Period type",
                "Period start",
                "Quoted source sentence",
                "Reported year-on-year change",
                "In base units",
                "Publication state",
            ],
        )

    def test_program_change_form(self, linfen_client, linfen_program):
        html = zh_page(linfen_client, url(Program, "change", linfen_program.pk))
        assert_labels(
            html,
            [
                "标题（英文）",
                "牵头单位",
                "说明",
                "责任",
                "范围",
                "成效目标",
                "合作关系",
                "基线",
                "目标",
            ],
            ["Title (English)", "Lead organisation", "Responsibility", ">Outcomes<", "Baseline"],
        )

    def test_review_page(self, reviewer_client, linfen_draft):
        Observation.objects.filter(pk=linfen_draft.pk).update(
            publication_state=PublicationState.IN_REVIEW
        )
        html = zh_page(reviewer_client, url(Observation, "review", linfen_draft.pk))
        # The app and the state; the page's own words are not in the catalogue yet.
        assert_labels(html, ["统计数据", "审核中"], [">Statistics<", ">In review<"])

    def test_quality_page(self, reviewer_client, demo):
        html = zh_page(reviewer_client, "/admin/quality/")
        # Rules, metrics and states in Chinese; the headings are not in the catalogue yet.
        assert_labels(
            html,
            ["农村占比等于农村网络零售额÷网络零售额×100", "网络零售额", "已发布"],
            ["Rural share equals rural sales", "(Published)"],
        )
