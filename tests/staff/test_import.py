"""
Spreadsheets of observations through the admin's import screen: the upload
shows a dry-run preview (new, changed and invalid rows, a message for each
invalid one); the confirming POST writes drafts only if every row is valid,
even when someone posts the confirm step for a file the preview refused.
Period labels and units come as statistics releases write them, headers in
English or Chinese; an export imported again changes nothing.
"""

import csv
import io
from decimal import Decimal

import pytest
import tablib
from django.apps import apps
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape
from import_export.formats.base_formats import CSV
from reversion.models import Version

from metrics.models import Observation, PublicationState
from tests.staff.conftest import draft_observation
from tests.test_admin import url

pytestmark = pytest.mark.django_db

HEADERS = ["region", "metric", "period", "value", "unit", "yoy_change", "source", "quote"]
FORMATS = {"csv": "0", "xlsx": "1"}


def csv_file(rows, headers=HEADERS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode()


def as_cell(text: str):
    """Numbers as a spreadsheet holds them: numeric cells, not text."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text or None


def xlsx_file(rows, headers=HEADERS) -> bytes:
    cells = [tuple(as_cell(text) for text in row) for row in rows]
    return tablib.Dataset(*cells, headers=headers).export("xlsx")


def upload(client, content: bytes, kind: str = "csv", name: str | None = None):
    """The first step: upload a file and get the dry-run preview."""
    return client.post(
        url(Observation, "import"),
        {
            "format": FORMATS[kind],
            "resource": "0",
            "import_file": SimpleUploadedFile(name or f"figures.{kind}", content),
        },
    )


def confirm(client, preview):
    """The second step: post the confirm form the preview offered."""
    form = preview.context["confirm_form"]
    assert form is not None, "the preview offered no confirm step"
    data = {name: form.initial[name] for name in form.fields}
    return client.post(url(Observation, "process_import"), data, follow=True)


def forced_confirm(client, content: bytes, name="figures.csv"):
    """A confirm step posted for a file the preview never accepted."""
    model_admin = admin.site._registry[Observation]
    stored = model_admin.write_to_tmp_storage(SimpleUploadedFile(name, content), CSV())
    return client.post(
        url(Observation, "process_import"),
        {
            "import_file_name": stored.name,
            "original_file_name": name,
            "format": "0",
            "resource": "0",
        },
        follow=True,
    )


def row_counts() -> dict[str, int]:
    """Rows of every table the import could touch, history included."""
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in {"metrics", "programs", "reversion", "admin"}
    }


def import_types(preview) -> list[str]:
    return [row.import_type for row in preview.context["result"].rows]


def figure(region_code, period_start="2020-01-01", period_end="2020-06-30"):
    return Observation.objects.get(
        metric__slug="online-retail-sales",
        region__code=region_code,
        period_start=period_start,
        period_end=period_end,
        revision_of=None,
    )


class TestPreview:
    def test_lists_new_changed_and_invalid_rows_with_a_message_each(self, linfen_client, demo):
        existing = draft_observation(demo, demo.county, value=Decimal("1230000000"))
        rows = [
            ["141024", "online-retail-sales", "2020年1-6月", "1.2345", "亿元", "5.1", "", ""],
            ["141023", "online-retail-sales", "Jan-Mar 2020", "15", "亿元", "23.7", "", ""],
            ["140100", "online-retail-sales", "Jan-Jun 2020", "3", "亿元", "", "", ""],
            ["141025", "no-such-metric", "Jan-Jun 2020", "3", "亿元", "", "", ""],
            ["141025", "online-retail-sales", "2020年13月", "3", "亿元", "", "", ""],
            ["141025", "online-retail-sales", "Jan-Jun 2020", "3", "percent", "", "", ""],
        ]
        before = row_counts()
        preview = upload(linfen_client, csv_file(rows))
        assert preview.status_code == 200
        assert import_types(preview) == [
            "new",
            "update",
            "invalid",
            "invalid",
            "invalid",
            "invalid",
        ]
        errors = {
            row.number: [
                str(error) for errors in row.field_specific_errors.values() for error in errors
            ]
            + [str(error) for error in row.non_field_specific_errors]
            for row in preview.context["result"].invalid_rows
        }
        assert errors[3] == [
            "“Online retail sales, Taiyuan, Jan–Jun 2020” lies outside your regions."
        ]
        assert errors[4] == ["There is no metric 'no-such-metric'."]
        assert "is not a period this system understands" in errors[5][0]
        assert errors[6] == ["Online retail sales is measured in yuan."]

        html = preview.content.decode()
        for messages in errors.values():
            for message in messages:
                assert escape(message) in html
        assert '<tr class="new">' in html
        assert '<tr class="update">' in html
        assert preview.context.get("confirm_form") is None
        assert row_counts() == before
        existing.refresh_from_db()
        assert existing.value == Decimal("1230000000")

    def test_a_valid_file_is_previewed_without_writing(self, linfen_client, demo):
        before = row_counts()
        preview = upload(
            linfen_client,
            csv_file([["141023", "online-retail-sales", "H1 2020", "1", "亿元", "", "", ""]]),
        )
        assert import_types(preview) == ["new"]
        assert preview.context["confirm_form"] is not None
        assert row_counts() == before

    def test_a_row_changing_a_published_figure_is_invalid(self, admin_client, demo):
        rows = [["140000", "online-retail-sales", "Jan-Jun 2020", "11", "billion yuan", "23.7"]]
        preview = upload(admin_client, csv_file(rows, HEADERS[:6]))
        [invalid] = preview.context["result"].invalid_rows
        assert invalid.non_field_specific_errors == [
            "“Online retail sales, Shanxi, Jan–Jun 2020” is published: propose a correction, "
            "which goes through review."
        ]
        assert figure("140000").value == Decimal("10770000000")

    def test_a_file_without_a_column_leaves_that_field_alone(self, linfen_client, demo):
        draft = draft_observation(demo, demo.county)
        rows = [["141023", "online-retail-sales", "Jan-Mar 2020", "15", "亿元"]]
        preview = upload(linfen_client, csv_file(rows, HEADERS[:5]))
        assert import_types(preview) == ["update"]
        confirm(linfen_client, preview)
        draft.refresh_from_db()
        assert draft.value == Decimal("1500000000")
        assert draft.yoy_change == Decimal("23.7")
        assert draft.source == demo.source


class TestNothingIsWrittenUnlessEveryRowIsValid:
    ROWS = [
        ["141023", "online-retail-sales", "H1 2020", "1", "亿元", "", "", ""],
        ["140100", "online-retail-sales", "H1 2020", "2", "亿元", "", "", ""],
    ]

    def test_a_forced_confirm_of_an_invalid_file(self, linfen_client, demo):
        before = row_counts()
        response = forced_confirm(linfen_client, csv_file(self.ROWS))
        assert response.redirect_chain[-1][0] == url(Observation, "import")
        assert "Nothing was imported: the file changed or became invalid since the preview." in [
            str(message) for message in response.context["messages"]
        ]
        assert row_counts() == before

    def test_a_forced_confirm_by_a_superuser(self, admin_client, demo):
        rows = [*self.ROWS, ["141025", "no-such-metric", "H1 2020", "3", "亿元", "", "", ""]]
        before = row_counts()
        forced_confirm(admin_client, csv_file(rows))
        assert row_counts() == before

    def test_a_figure_published_between_preview_and_confirm(self, linfen_client, demo):
        draft = draft_observation(demo, demo.county, period=None)
        rows = [
            ["141024", "online-retail-sales", "H1 2020", "1", "亿元", "", "", ""],
            ["141023", "online-retail-sales", "Jan-Mar 2020", "15", "亿元", "", "", ""],
        ]
        preview = upload(linfen_client, csv_file(rows))
        assert import_types(preview) == ["new", "update"]
        Observation.objects.filter(pk=draft.pk).update(publication_state=PublicationState.PUBLISHED)
        before = row_counts()
        response = confirm(linfen_client, preview)
        assert "Nothing was imported" in " ".join(str(m) for m in response.context["messages"])
        assert row_counts() == before
        draft.refresh_from_db()
        assert draft.value == Decimal("1230000000")


class TestValidFiles:
    ROWS = [
        ["141023", "online-retail-sales", "2020年1-6月", "1.2345", "亿元", "5.1", "", ""],
        ["141024", "online-retail-sales", "Jan-Jun 2020", "3456.78", "万元", "-2", "", ""],
        ["141025", "online-retail-sales", "H1 2020", "10.77", "billion yuan", "23.7", "", ""],
        ["141026", "online-retail-sales", "2020年1-3月", "超过3000万元", "", "", "", ""],
    ]
    EXPECTED = {
        "141023": ("ytd", Decimal("123450000"), Decimal("5.1"), "exact"),
        "141024": ("ytd", Decimal("34567800"), Decimal("-2"), "exact"),
        "141025": ("half_year", Decimal("10770000000"), Decimal("23.7"), "exact"),
    }

    def assert_imported(self):
        for code, (period_type, value, change, qualifier) in self.EXPECTED.items():
            observation = figure(code)
            assert observation.period_type == period_type
            assert observation.value == value
            assert observation.yoy_change == change
            assert observation.value_qualifier == qualifier
            assert observation.publication_state == PublicationState.DRAFT
        more_than = figure("141026", "2020-01-01", "2020-03-31")
        assert more_than.value == Decimal("30000000")
        assert more_than.value_qualifier == "more_than"

    @pytest.mark.parametrize("kind", ["csv", "xlsx"])
    def test_labels_and_units_as_releases_write_them(
        self, linfen_client, linfen_editor, demo, kind
    ):
        content = csv_file(self.ROWS) if kind == "csv" else xlsx_file(self.ROWS)
        preview = upload(linfen_client, content, kind)
        assert import_types(preview) == ["new"] * 4
        response = confirm(linfen_client, preview)
        assert response.redirect_chain[-1][0] == url(Observation, "changelist")
        self.assert_imported()

        # The import is one revision, with its user.
        version = Version.objects.get_for_object(figure("141023")).get()
        assert version.revision.user == linfen_editor
        assert version.revision.get_comment() == f"Imported from figures.{kind}"
        assert version.revision.version_set.count() == 4

    def test_chinese_headers(self, linfen_client, demo):
        headers = ["地区", "指标", "统计期", "数值", "单位", "同比(%)"]
        rows = [
            ["襄汾县", "网络零售额", "2020年1-6月", "1.2345", "亿元", "5.1"],
            ["洪洞县", "online-retail-sales", "2020年1-6月", "3456.78", "万元", "-2%"],
            ["141025 古县", "Online retail sales", "2020年上半年", "10.77", "billion yuan", "23.7"],
        ]
        preview = upload(linfen_client, csv_file(rows, headers))
        assert import_types(preview) == ["new"] * 3
        confirm(linfen_client, preview)
        for code, (_type, value, change, _qualifier) in self.EXPECTED.items():
            assert (figure(code).value, figure(code).yoy_change) == (value, change)

    def test_an_editor_cannot_import_outside_their_regions(self, linfen_client, demo):
        rows = [
            ["140100", "online-retail-sales", "H1 2021", "1", "亿元", "", "", ""],
            ["140000", "online-retail-sales", "H1 2021", "1", "亿元", "", "", ""],
            ["太原市", "online-retail-sales", "H1 2022", "1", "亿元", "", "", ""],
        ]
        before = row_counts()
        preview = upload(linfen_client, csv_file(rows))
        assert import_types(preview) == ["invalid"] * 3
        assert row_counts() == before
        forced_confirm(linfen_client, csv_file(rows))
        assert row_counts() == before

    def test_viewers_cannot_import(self, viewer_client, demo):
        before = row_counts()
        assert upload(viewer_client, csv_file(self.ROWS)).status_code == 403
        assert forced_confirm(viewer_client, csv_file(self.ROWS)).status_code == 403
        assert row_counts() == before


class TestRoundTrip:
    def export(self, client, kind="csv") -> bytes:
        form = client.get(url(Observation, "export")).context["form"]
        fields = {name: "on" for name in form.fields if name.startswith("observationresource_")}
        response = client.post(
            url(Observation, "export"), {"format": FORMATS[kind], "resource": "0", **fields}
        )
        assert response.status_code == 200
        return response.content

    @pytest.mark.parametrize(
        ("who", "kind"),
        [("admin_client", "csv"), ("linfen_client", "csv"), ("admin_client", "xlsx")],
    )
    def test_export_then_import_changes_nothing(self, request, demo, who, kind):
        client = request.getfixturevalue(who)
        draft_observation(demo, demo.county, value=Decimal("1234567.89"), yoy_change=None)
        draft_observation(
            demo,
            demo.county,
            period=None,
            value=None,
            yoy_change=Decimal("-3.25"),
            period_start="2019-01-01",
            period_end="2019-12-31",
            period_type="year",
        )
        exported = self.export(client, kind)
        data = exported.decode() if kind == "csv" else exported
        assert len(tablib.Dataset().load(data, format=kind)) > 2
        before = row_counts()
        values = list(Observation.objects.order_by("pk").values())

        preview = upload(client, exported, kind)
        assert set(import_types(preview)) == {"skip"}, [
            (row.import_type, row.validation_error) for row in preview.context["result"].rows
        ]
        confirm(client, preview)
        assert list(Observation.objects.order_by("pk").values()) == values
        counts = row_counts()
        assert {k: v for k, v in counts.items() if k != "admin.LogEntry"} == {
            k: v for k, v in before.items() if k != "admin.LogEntry"
        }

    def test_export_with_a_correction_in_progress(self, admin_client, linfen_client, demo):
        published = Observation.objects.get(metric__slug="livestream-campaign-sales")
        linfen_client.post(url(Observation, "correct", published.pk))
        exported = self.export(admin_client).decode()
        assert exported.count("livestream-campaign-sales") == 1
        preview = upload(admin_client, exported.encode())
        assert set(import_types(preview)) == {"skip"}
