"""
Statistics releases through the admin: upload, a background check (the
preview), confirm, a background import. Every job runs through the real
worker (django-tasks-db's, run here in-process). Problems are listed with
line, column and message and downloadable; nothing is written unless every
row is valid; the confirm refuses when figures moved since the check.
"""

import csv
import io
from decimal import Decimal
from unittest import mock

import pytest
import tablib
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from metrics import imports
from metrics.models import ImportJob, ImportRow, Observation, PublicationState
from tests.staff.conftest import client_for, draft_observation, make_staff
from tests.test_admin import change_data, url

pytestmark = pytest.mark.django_db

HEADERS = ["region", "metric", "period", "value", "unit", "yoy_change", "source", "quote"]
S = ImportJob.State


def csv_file(rows, headers=HEADERS, encoding="utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_file(rows, headers=HEADERS) -> bytes:
    def cell(text):
        for kind in (int, float):
            try:
                return kind(text)
            except ValueError:
                pass
        return text or None

    return tablib.Dataset(*[[cell(t) for t in row] for row in rows], headers=headers).export("xlsx")


def run_worker():
    """Run every queued task through the real database worker, in this process."""
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="tests",
        excluded_queue_names=[],
    )
    # The worker closes "old" connections between tasks as a request would;
    # the test client skips that for the test's own connection, and so must
    # this, or PostgreSQL loses the transaction that holds the test's data.
    with mock.patch(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    ):
        worker.run()


def upload(client, content: bytes, name="release.csv", *, capture):
    """Upload a release; the job's check is queued when the request's transaction commits."""
    with capture(execute=True):
        response = client.post(
            url(ImportJob, "add"), {"file": SimpleUploadedFile(name, content)}, follow=False
        )
    return response


def latest_job() -> ImportJob:
    return ImportJob.objects.latest("pk")


def check(client, content, name="release.csv", *, capture) -> ImportJob:
    """Upload, then let the worker check the file."""
    response = upload(client, content, name, capture=capture)
    assert response.status_code == 302, response.content[:2000]
    run_worker()
    return latest_job()


def confirm(client, job, *, capture) -> ImportJob:
    with capture(execute=True):
        client.post(url(ImportJob, "confirm", job.pk))
    run_worker()
    job.refresh_from_db()
    return job


def problems(job) -> list[tuple[int, str, str]]:
    return [(p.line, p.column, p.message) for p in job.problems.order_by("line", "pk")]


def row_counts() -> dict[str, int]:
    """Rows of the tables an import could write figures into, history included."""
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in {"metrics", "programs", "reversion"}
        and model._meta.model_name not in {"importjob", "importrow", "importproblem"}
    }


def figure(region_code, period_start="2020-01-01", period_end="2020-06-30"):
    return Observation.objects.get(
        metric__slug="online-retail-sales",
        region__code=region_code,
        period_start=period_start,
        period_end=period_end,
        revision_of=None,
    )


# --- The path -------------------------------------------------------------------------------


class TestTheWholePath:
    ROWS = [
        ["141024", "online-retail-sales", "2020年1-6月", "1.2345", "亿元", "5.1", "", ""],
        ["141023", "online-retail-sales", "Jan-Mar 2020", "15", "亿元", "23.7", "", ""],
        ["临汾市", "网络零售额", "H1 2021", "30", "亿元", "", "", ""],
    ]

    def test_upload_returns_at_once_and_queues_the_check(
        self, linfen_client, linfen_editor, demo, capture
    ):
        before = row_counts()
        response = upload(linfen_client, csv_file(self.ROWS), capture=capture)
        job = latest_job()
        assert response.status_code == 302
        assert response["Location"] == url(ImportJob, "change", job.pk)
        assert job.state == S.WAITING
        assert job.created_by == linfen_editor
        assert job.file_name == "release.csv"
        assert len(job.checksum) == 64
        assert job.file.read() == csv_file(self.ROWS)
        assert DBTaskResult.objects.filter(args_kwargs__args=[job.pk]).exists()
        assert row_counts() == before

    def test_the_check_previews_without_writing_then_the_import_writes_drafts(
        self, linfen_client, linfen_editor, demo, capture
    ):
        existing = draft_observation(demo, demo.county, value=Decimal("1230000000"))
        before = row_counts()
        job = check(linfen_client, csv_file(self.ROWS), capture=capture)
        assert job.state == S.CHECKED
        assert (job.rows_read, job.rows_new, job.rows_changed, job.rows_invalid) == (3, 2, 1, 0)
        assert row_counts() == before
        page = linfen_client.get(url(ImportJob, "change", job.pk))
        assert page.context["can_confirm"]
        assert "Import: 2 new, 1 changed" in page.content.decode()

        job = confirm(linfen_client, job, capture=capture)
        assert job.state == S.IMPORTED
        assert job.message == "2 new and 1 changed figures imported as drafts."
        existing.refresh_from_db()
        assert (existing.value, existing.yoy_change) == (Decimal("1500000000"), Decimal("23.7"))
        assert existing.lock_version == 1  # an open form on it can no longer save over it
        assert existing.authors == [linfen_editor.pk]  # so the importer does not publish it
        added = figure("141024")
        assert added.value == Decimal("123450000")
        assert added.publication_state == PublicationState.DRAFT
        assert added.authors == [linfen_editor.pk]
        # The job is the record of what the import changed, and from what.
        [changed] = ImportRow.objects.filter(job=job, changes=True, figure__isnull=False)
        assert Decimal(str(changed.before["value"])) == Decimal("1230000000")
        # ...which the figure's history shows: who changed it, by which release, from what.
        history = linfen_client.get(url(Observation, "history", existing.pk))
        [row] = history.context["imported"]
        assert (row.job, row.line) == (job, 3)
        html = history.content.decode()
        assert "Imports that wrote this figure" in html and "release.csv" in html
        added_history = linfen_client.get(url(Observation, "history", added.pk)).content.decode()
        assert "created by the import" in added_history

    def test_the_progress_page_and_its_status(self, linfen_client, demo, capture):
        upload(linfen_client, csv_file(self.ROWS), capture=capture)
        job = latest_job()
        page = linfen_client.get(url(ImportJob, "change", job.pk)).content.decode()
        assert '<noscript><meta http-equiv="refresh"' in page  # refreshes without JavaScript
        assert "import-progress.js" in page
        status = linfen_client.get(url(ImportJob, "status", job.pk)).json()
        assert status["state"] == "waiting" and status["running"] is True
        run_worker()
        status = linfen_client.get(url(ImportJob, "status", job.pk)).json()
        assert (status["state"], status["percent"], status["rows_read"]) == ("checked", 100, 3)
        page = linfen_client.get(url(ImportJob, "change", job.pk)).content.decode()
        assert "http-equiv" not in page


class TestProblems:
    ROWS = [
        ["141024", "online-retail-sales", "2020年1-6月", "1.2", "亿元", "5.1", "", ""],
        ["140100", "online-retail-sales", "Jan-Jun 2020", "3", "亿元", "", "", ""],
        ["141025", "no-such-metric", "Jan-Jun 2020", "3", "亿元", "", "", ""],
        ["141025", "online-retail-sales", "2020年13月", "3", "亿元", "", "", ""],
        ["141025", "online-retail-sales", "Jan-Jun 2020", "3", "percent", "", "", ""],
        ["141025", "online-retail-sales", "Jan-Jun 2020", "abc", "亿元", "", "", ""],
    ]

    def test_every_problem_has_its_line_column_and_message_and_nothing_is_imported(
        self, linfen_client, demo, capture
    ):
        before = row_counts()
        job = check(linfen_client, csv_file(self.ROWS), capture=capture)
        assert job.state == S.INVALID
        assert job.message == "5 rows are invalid; nothing will be imported."
        found = problems(job)
        assert found[0] == (
            3,
            "region",
            "“Online retail sales, Taiyuan, Jan–Jun 2020” lies outside your regions.",
        )
        assert found[1] == (4, "metric", "There is no metric 'no-such-metric'.")
        assert found[2][:2] == (5, "period") and "is not a period" in found[2][2]
        assert found[3] == (6, "unit", "Online retail sales is measured in yuan.")
        assert found[4] == (7, "value", "'abc' is not a number.")
        page = linfen_client.get(url(ImportJob, "change", job.pk))
        assert not page.context["can_confirm"]
        assert "nothing is imported until the file has none" in page.content.decode()
        # Confirming anyway changes nothing.
        job = confirm(linfen_client, job, capture=capture)
        assert job.state == S.INVALID
        assert row_counts() == before

    def test_the_refused_rows_download_with_their_problems(self, linfen_client, demo, capture):
        job = check(linfen_client, csv_file(self.ROWS), capture=capture)
        response = linfen_client.get(url(ImportJob, "problems", job.pk))
        text = response.content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == ["line", *HEADERS, "problems"]
        assert [row[0] for row in rows[1:]] == ["3", "4", "5", "6", "7"]
        assert rows[2][:4] == ["4", "141025", "no-such-metric", "Jan-Jun 2020"]
        assert rows[2][-1] == "metric: There is no metric 'no-such-metric'."

    @pytest.mark.parametrize(
        ("state", "reason"),
        [
            (
                PublicationState.IN_REVIEW,
                "is in review: it stays as the reviewer saw it until a reviewer publishes it "
                "or returns it to draft.",
            ),
            (
                PublicationState.PUBLISHED,
                "is published: propose a correction, which goes through review.",
            ),
            (PublicationState.WITHDRAWN, "is withdrawn: a reviewer reopens it as a draft first."),
        ],
    )
    def test_a_figure_that_is_not_a_draft_is_refused_by_name(
        self, linfen_client, demo, capture, state, reason
    ):
        stored = draft_observation(demo, demo.county, publication_state=state)
        row = ["141023", "online-retail-sales", "Jan-Mar 2020", "99", "亿元", "", "", ""]
        job = check(linfen_client, csv_file([row]), capture=capture)
        assert problems(job) == [(2, "", f"“{stored}” {reason}")]
        assert job.state == S.INVALID

    def test_an_unchanged_published_figure_is_no_problem(self, admin_client, demo, capture):
        """A file exported and uploaded again changes nothing, published figures included."""
        row = ["140000", "online-retail-sales", "Jan-Jun 2020", "107.7", "亿元", "23.7"]
        job = check(admin_client, csv_file([row], HEADERS[:6]), capture=capture)
        assert (job.state, job.rows_unchanged, job.rows_invalid) == (S.CHECKED, 1, 0)

    def test_two_rows_for_one_figure_are_both_refused(self, linfen_client, demo, capture):
        rows = [
            ["141021", "online-retail-sales", "H1 2021", "1", "亿元", "", "", ""],
            ["141021", "online-retail-sales", "H1 2021", "2", "亿元", "", "", ""],
        ]
        job = check(linfen_client, csv_file(rows), capture=capture)
        message = "The file has 2 rows for this figure."
        assert problems(job) == [(2, "", message), (3, "", message)]

    def test_a_file_without_a_required_column(self, linfen_client, demo, capture):
        job = check(
            linfen_client, csv_file([["141021", "2021"]], ["region", "period"]), capture=capture
        )
        assert job.state == S.INVALID
        assert job.message == "The file lacks the columns: metric."


class TestBetweenCheckAndImport:
    ROW = ["141023", "online-retail-sales", "Jan-Mar 2020", "15", "亿元", "", "", ""]

    def test_nothing_is_locked_and_a_figure_changed_since_is_refused(
        self, linfen_client, other_linfen_client, demo, capture
    ):
        draft = draft_observation(demo, demo.county)
        job = check(linfen_client, csv_file([self.ROW]), capture=capture)
        # Between the check and the confirm, someone saves the draft: nothing stops them.
        response = other_linfen_client.post(
            url(Observation, "change", draft.pk),
            change_data(other_linfen_client, draft, value="1111000000"),
        )
        assert response.status_code == 302
        job = confirm(linfen_client, job, capture=capture)
        assert job.state == S.REFUSED
        [(line, column, message)] = problems(job)
        assert line == 2 and "changed since the check" in message
        draft.refresh_from_db()
        assert draft.value == Decimal("1111000000")

    def test_a_figure_created_since_is_refused(self, linfen_client, demo, capture):
        job = check(linfen_client, csv_file([self.ROW]), capture=capture)
        draft_observation(demo, demo.county)
        job = confirm(linfen_client, job, capture=capture)
        assert job.state == S.REFUSED
        assert "was created since the check" in problems(job)[0][2]

    def test_two_imports_of_the_same_rows_cannot_both_write_them(
        self, linfen_client, demo, capture
    ):
        first = check(linfen_client, csv_file([self.ROW]), capture=capture)
        other = ["141023", "online-retail-sales", "Jan-Mar 2020", "16", "亿元", "", "", ""]
        second = check(linfen_client, csv_file([other]), capture=capture)
        assert (first.state, second.state) == (S.CHECKED, S.CHECKED)
        assert confirm(linfen_client, first, capture=capture).state == S.IMPORTED
        assert confirm(linfen_client, second, capture=capture).state == S.REFUSED
        assert figure("141023", period_end="2020-03-31").value == Decimal("1500000000")


class TestFiles:
    ROWS = [["141023", "online-retail-sales", "2020年1-3月", "15", "亿元", "23.7", "", ""]]

    @pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
    def test_csv_as_chinese_offices_save_it(self, linfen_client, demo, capture, encoding):
        headers = ["地区", "指标", "统计期", "数值", "单位", "同比增长(%)", "来源", "原文"]
        rows = [["襄汾县", "网络零售额", "2020年1-3月", "15", "亿元", "23.7", "", "原文"]]
        job = check(linfen_client, csv_file(rows, headers, encoding), capture=capture)
        assert job.state == S.CHECKED, problems(job)
        assert job.encoding == encoding

    def test_xlsx(self, linfen_client, demo, capture):
        job = check(linfen_client, xlsx_file(self.ROWS), "release.xlsx", capture=capture)
        assert (job.state, job.rows_new) == (S.CHECKED, 1)

    def test_the_upload_limit(self, linfen_client, demo, capture):
        with override_settings(IMPORT_MAX_UPLOAD_MB=0):
            response = upload(linfen_client, csv_file(self.ROWS), capture=capture)
        assert response.status_code == 200
        [message] = response.context["form"].errors["file"]
        assert "files of up to 0 MB are accepted (IMPORT_MAX_UPLOAD_MB)" in message
        assert not ImportJob.objects.exists()

    def test_only_csv_and_xlsx(self, linfen_client, demo, capture):
        response = upload(linfen_client, b"%PDF-1.4", "release.pdf", capture=capture)
        assert response.context["form"].errors["file"] == ["Upload a .csv or .xlsx file."]

    @pytest.mark.parametrize("kind", ["csv", "xlsx", "csv-zh", "xlsx-zh"])
    def test_the_templates_read_back_as_valid_releases(self, admin_client, demo, capture, kind):
        response = admin_client.get(url(ImportJob, "template", kind))
        assert response.status_code == 200
        name = f"template.{kind.split('-')[0]}"
        job = check(admin_client, response.content, name, capture=capture)
        assert (job.state, job.rows_read) == (S.CHECKED, 2), problems(job)

    def test_the_upload_page_documents_the_columns(self, linfen_client, demo):
        page = linfen_client.get(url(ImportJob, "add")).content.decode()
        for text in ("yoy_change", "同比增长(%)", "2020年1-6月", "亿元", "107.7"):
            assert text in page


class TestRoundTrip:
    @pytest.mark.parametrize("quote", ["plain", '=HYPERLINK("http://evil.example","q")'])
    def test_an_export_uploaded_again_changes_nothing(self, admin_client, demo, capture, quote):
        if quote != "plain":  # neutralised in the export, read back as it was
            Observation.objects.filter(region=demo.shanxi).update(source_quote=quote)
        form = admin_client.get(url(Observation, "export")).context["form"]
        fields = {name: "on" for name in form.fields if name.startswith("observationexport_")}
        response = admin_client.post(
            url(Observation, "export"), {"format": "0", "resource": "0", **fields}
        )
        exported = b"".join(response) if response.streaming else response.content
        before = row_counts()
        job = check(admin_client, exported, "export.csv", capture=capture)
        assert job.state == S.CHECKED, problems(job)
        assert job.rows_unchanged == Observation.objects.canonical().filter(basis="quoted").count()
        assert (job.rows_new, job.rows_changed) == (0, 0)
        assert confirm(admin_client, job, capture=capture).state == S.IMPORTED
        assert row_counts() == before


class TestJobs:
    def test_cancel_before_the_worker_runs(self, linfen_client, demo, capture):
        upload(linfen_client, csv_file(TestFiles.ROWS), capture=capture)
        job = latest_job()
        linfen_client.post(url(ImportJob, "cancel", job.pk))
        run_worker()
        job.refresh_from_db()
        assert job.state == S.CANCELLED

    def test_cancel_while_the_check_runs(self, linfen_client, demo, capture, monkeypatch):
        rows = [
            ["141023", "online-retail-sales", f"{day}", "1", "亿元", "", "", ""]
            for day in (f"2020-01-{d:02d}/2020-01-{d:02d}" for d in range(1, 29))
        ]
        monkeypatch.setattr(imports, "BATCH", 10)
        upload(linfen_client, csv_file(rows), capture=capture)
        job = latest_job()
        real_progress = imports._progress

        def staff_press_cancel(job, **counts):
            ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)
            real_progress(job, **counts)

        monkeypatch.setattr(imports, "_progress", staff_press_cancel)
        run_worker()
        job.refresh_from_db()
        assert job.state == S.CANCELLED
        assert not job.rows.exists()

    def test_a_job_killed_halfway_writes_nothing_and_can_run_again(
        self, linfen_client, demo, capture, monkeypatch
    ):
        rows = [["141023", "online-retail-sales", "Jan-Mar 2020", "15", "亿元", "", "", ""]]
        job = check(linfen_client, csv_file(rows), capture=capture)
        before = row_counts()

        def killed(*args, **kwargs):
            raise SystemExit("the worker was killed")  # a BaseException, as a kill would end it

        monkeypatch.setattr(imports, "_update_changed", killed)
        job = confirm(linfen_client, job, capture=capture)
        assert job.state == S.FAILED
        assert row_counts() == before
        assert job.file.storage.exists(job.file.name)

    def test_a_job_whose_worker_vanished_is_marked_failed_and_runs_again(
        self, linfen_client, demo, capture
    ):
        rows = [["141023", "online-retail-sales", "Jan-Mar 2020", "15", "亿元", "", "", ""]]
        upload(linfen_client, csv_file(rows), capture=capture)
        job = latest_job()
        # The worker claimed it, then died without a word (kill -9): only silence tells.
        long_ago = job.created_at - imports.STALLED_AFTER * 2
        ImportJob.objects.filter(pk=job.pk).update(state=S.CHECKING, heartbeat_at=long_ago)
        page = linfen_client.get(url(ImportJob, "change", job.pk))
        job.refresh_from_db()
        assert job.state == S.FAILED
        assert "The worker stopped while running this job" in page.content.decode()
        assert page.context["can_retry"]
        with capture(execute=True):
            linfen_client.post(url(ImportJob, "retry", job.pk))
        run_worker()
        job.refresh_from_db()
        assert job.state == S.CHECKED
        assert confirm(linfen_client, job, capture=capture).state == S.IMPORTED


class TestWhoMay:
    def test_viewers_cannot_upload(self, viewer_client, demo, capture):
        assert upload(viewer_client, csv_file(TestFiles.ROWS), capture=capture).status_code == 403
        assert not ImportJob.objects.exists()

    def test_staff_see_their_own_jobs_only(self, linfen_client, taiyuan_client, demo, capture):
        upload(linfen_client, csv_file(TestFiles.ROWS), capture=capture)
        job = latest_job()
        assert taiyuan_client.get(url(ImportJob, "change", job.pk)).status_code == 404
        assert taiyuan_client.post(url(ImportJob, "confirm", job.pk)).status_code == 404
        listed = taiyuan_client.get(url(ImportJob, "changelist")).context["cl"].result_list
        assert job not in listed

    def test_only_the_uploader_confirms(self, linfen_client, admin_client, demo, capture):
        job = check(linfen_client, csv_file(TestFiles.ROWS), capture=capture)
        assert admin_client.post(url(ImportJob, "confirm", job.pk)).status_code == 403
        job.refresh_from_db()
        assert job.state == S.CHECKED


@pytest.fixture
def other_linfen_client(demo):
    return client_for(make_staff("editor", demo.linfen))


@pytest.mark.parametrize("object_id", ["abc", "1/change", "99999999999999999999", "-1"])
def test_a_made_up_job_address_is_a_404(linfen_client, demo, object_id):
    assert linfen_client.get(f"/admin/metrics/importjob/{object_id}/status.json").status_code == 404
