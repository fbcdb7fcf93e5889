"""
Importing a statistics release: the check that previews it and the import
that writes it, for a release of any size.

The check reads the file once, row by row (`metrics.releases`), and
compares each batch of rows with the stored figures they name, read in one
query per batch: the figure each row would change (its id, version and
state are recorded), whether the row changes anything, and whether the
publication policy lets the uploader change it. It keeps the valid rows as
ImportRows (COPY on PostgreSQL) and every problem with its line and column,
then refuses rows that name the same figure twice. Nothing is locked
between the check and the import.

The import re-checks, inside its one transaction and after every earlier
import has finished writing, that no figure the rows match has changed
since the check (or been created meanwhile); if any has, it refuses and
names the rows. Otherwise it writes every new and changed figure in a few
statements, as drafts of the uploader, and keeps on each ImportRow what
the figure was before. All or nothing: one problem, and nothing is written.
"""

import csv
import hashlib
import io
import json
import logging
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from metrics.models import ImportJob, ImportProblem, ImportRow, Observation, PublicationState
from metrics.releases import (
    OPTIONAL_FIELDS,
    ReleaseFileError,
    ReleaseLookups,
    RowProblem,
    parse_release_row,
    read_release,
)
from metrics.statements import Basis
from metrics.workflow import policy
from metrics.workflow.policy import Step

logger = logging.getLogger(__name__)

BATCH = 5000
# A running job gives a sign of life at least this often; one silent for
# STALLED_AFTER was stopped (its worker killed or restarted).
HEARTBEAT_SECONDS = 5
STALLED_AFTER = timedelta(minutes=2)
ROW_FIELDS = [
    "line",
    "metric_id",
    "region_id",
    "period_type",
    "period_start",
    "period_end",
    "value",
    "value_qualifier",
    "yoy_change",
    "source_id",
    "source_quote",
]
KEY = ("metric_id", "region_id", "period_start", "period_end")
# Writers take this lock in turn, so that two imports never write the same rows.
WRITERS_LOCK = 7_264_011
CANCELLED = gettext_lazy("Cancelled by staff; nothing was imported.")


class Cancelled(Exception):
    """Staff cancelled the job; nothing was written."""


class Refused(Exception):
    """The import found rows it may not write; they are the job's problems now."""


# --- The check -------------------------------------------------------------------------


def check_release(job: ImportJob) -> ImportJob:
    """Read and check the job's file; the job ends CHECKED, or INVALID with its problems."""
    _forget_earlier_run(job)
    with job.file.open("rb") as stream:
        release = read_release(stream, job.file_name)
        ImportJob.objects.filter(pk=job.pk).update(
            columns=release.columns, headers=release.headers, encoding=release.encoding
        )
        job.columns, job.headers = release.columns, release.headers
        checker = _BatchChecker(job)
        read = 0
        for line, cells in release.rows:
            read += 1
            checker.add(line, cells)
            if checker.full:
                checker.flush()
                _progress(job, fraction_read=release.progress(), rows_read=read)
        checker.flush()
        _progress(job, fraction_read=1.0, rows_read=read)
    _refuse_duplicates(job)
    _analyze()
    _count(job, rows_read=read)
    job.refresh_from_db()
    return job


def _forget_earlier_run(job):
    """A job run again (after a failure) starts from its file alone."""
    job.rows.all().delete()
    job.problems.all().delete()


class _BatchChecker:
    """
    Rows are checked a batch at a time: each alone (parse_release_row), then
    against the figures they would change, read in one query per batch: the
    figure's id, version and state are kept on the row, whether the row
    changes it, and whether the policy lets the uploader change it.
    """

    def __init__(self, job):
        self.job = job
        self.lookups = ReleaseLookups(job.created_by)
        self.compared = _compared_fields(job)
        self.rows, self.problems = [], []
        self._may_edit: dict[tuple[int, str], bool] = {}

    @property
    def full(self) -> bool:
        return len(self.rows) + len(self.problems) >= BATCH

    def add(self, line, cells):
        row, found = parse_release_row(line, cells, self.lookups)
        if row is None:
            self.problems += [(problem, cells) for problem in found]
        else:
            self.rows.append((row, cells))

    def flush(self):
        stored = _stored_figures([row for row, _cells in self.rows], self.compared)
        checked = []
        for row, cells in self.rows:
            figure = stored.get((row.metric_id, row.region_id, row.period_start, row.period_end))
            if figure is None:
                checked.append((*row, None, None, "", True))
                continue
            changes = any(figure[name] != getattr(row, name) for name in self.compared)
            if changes and not self.may_edit(row.region_id, figure["publication_state"]):
                self.problems.append((RowProblem(row.line, "", self.refusal(row, figure)), cells))
                continue
            checked.append(
                (*row, figure["id"], figure["lock_version"], figure["publication_state"], changes)
            )
        _store(self.job, checked, self.problems)
        self.rows, self.problems = [], []

    def may_edit(self, region_id, state) -> bool:
        """Changing a stored figure is editing it: the policy answers once per region and state."""
        key = (region_id, state)
        if key not in self._may_edit:
            region = self.lookups.regions_by_pk[region_id]
            probe = Observation(pk=0, region=region, publication_state=state)
            self._may_edit[key] = policy.can(self.job.created_by, Step.EDIT, probe)
        return self._may_edit[key]

    def refusal(self, row, figure) -> str:
        stored = Observation(
            pk=figure["id"],
            publication_state=figure["publication_state"],
            metric=self.lookups.metrics_by_pk[row.metric_id],
            region=self.lookups.regions_by_pk[row.region_id],
            period_type=row.period_type,
            period_start=row.period_start,
            period_end=row.period_end,
        )
        return policy.refusal(self.job.created_by, Step.EDIT, stored)


def _stored_figures(rows, compared) -> dict[tuple, dict]:
    """The stored figures (not corrections) the rows name, by key, in one indexed query."""
    if not rows:
        return {}
    keys = list({(r.metric_id, r.region_id, r.period_start, r.period_end) for r in rows})
    if connection.vendor == "postgresql":
        # Four arrays rather than thousands of placeholders: the driver
        # would spend longer splitting the statement than the database reading.
        keys_sql = "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::date[], %s::date[])"
        params = [list(column) for column in zip(*keys, strict=True)]
    else:
        keys_sql = "VALUES " + ", ".join(["(%s, %s, %s, %s)"] * len(keys))
        params = [part for key in keys for part in key]
    names = ["id", "lock_version", "publication_state", *KEY, *compared]
    columns = ", ".join(f"o.{name}" for name in dict.fromkeys(names))
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH k (metric_id, region_id, period_start, period_end) AS ({keys_sql}) "
            f"SELECT {columns} FROM metrics_observation o JOIN k "
            "ON o.metric_id = k.metric_id AND o.region_id = k.region_id "
            "AND o.period_start = k.period_start AND o.period_end = k.period_end "
            # An import brings reported figures: a derived one beside them is not theirs.
            "WHERE o.revision_of_id IS NULL AND o.basis = 'quoted'",
            params,
        )
        found = [dict(zip(dict.fromkeys(names), row, strict=True)) for row in cursor.fetchall()]
    for figure in found:
        for name in ("period_start", "period_end"):
            figure[name] = _as_date(figure[name])
        for name in ("value", "yoy_change"):
            if name in figure and figure[name] is not None:
                figure[name] = Decimal(str(figure[name]))
    return {(f["metric_id"], f["region_id"], f["period_start"], f["period_end"]): f for f in found}


def _as_date(value):
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _store(job, rows, problems):
    if rows:
        _copy_rows(job, rows)
    if problems:
        ImportProblem.objects.bulk_create(
            [
                ImportProblem(
                    job=job,
                    line=problem.line,
                    column=problem.column,
                    message=problem.message,
                    cells=cells,
                )
                for problem, cells in problems
            ]
        )


STORED_FIELDS = [*ROW_FIELDS, "figure_id", "figure_version", "figure_state", "changes"]


def _copy_rows(job, rows):
    if connection.vendor == "postgresql":
        columns = ", ".join(["job_id", *(_column(name) for name in STORED_FIELDS)])
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY metrics_importrow ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((job.pk, *row))
        return
    ImportRow.objects.bulk_create(
        [ImportRow(job=job, **dict(zip(STORED_FIELDS, row, strict=True))) for row in rows],
        batch_size=500,
    )


def _analyze():
    """
    Tell the planner how many rows the check wrote: the import joins them
    with the figures, and a table it believes empty would be joined the
    slow way (autovacuum may analyse it much later, or never).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE metrics_importrow")


def _column(name):
    return ImportRow._meta.get_field(name.removesuffix("_id")).column


def _progress(job, **counts):
    """Record progress (committed at once, for the progress page), and stop if cancelled."""
    now = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=now, **counts)
    if ImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
        raise Cancelled


def _refuse_duplicates(job):
    """Two rows for one figure: both are refused, neither wins."""
    rows = ImportRow.objects.filter(job=job)
    duplicated = rows.values(*KEY).annotate(count=Count("pk")).filter(count__gt=1).order_by()
    problems, lines = [], []
    for group in duplicated:
        count = group.pop("count")
        message = _("The file has %(count)d rows for this figure.") % {"count": count}
        for line in rows.filter(**group).values_list("line", flat=True):
            problems.append(ImportProblem(job=job, line=line, column="", message=message))
            lines.append(line)
    if problems:
        ImportProblem.objects.bulk_create(problems)
        rows.filter(line__in=lines).delete()


def _compared_fields(job) -> list[str]:
    """The figure's fields the file sets: the ones it has columns for."""
    fields = ["period_type"]
    for column, names in OPTIONAL_FIELDS.items():
        if column in job.columns:
            fields += names
    return fields


def _count(job, **extra):
    rows = ImportRow.objects.filter(job=job)
    problems = ImportProblem.objects.filter(job=job)
    invalid = problems.values("line").distinct().count()
    ImportJob.objects.filter(pk=job.pk).update(
        rows_invalid=invalid,
        rows_new=rows.filter(figure__isnull=True).count(),
        rows_changed=rows.filter(figure__isnull=False, changes=True).count(),
        rows_unchanged=rows.filter(figure__isnull=False, changes=False).count(),
        **extra,
    )


# --- The import ------------------------------------------------------------------------


def write_release(job: ImportJob) -> ImportJob:
    """
    Write the checked rows as drafts of the uploader, or nothing: refused
    (Refused) when a figure they match changed or appeared since the check.
    """
    user = job.created_by
    rows = ImportRow.objects.filter(job=job)
    with transaction.atomic():
        _wait_for_other_writers()
        moved = _moved_since_the_check(job)
        if not moved:
            fields = _compared_fields(job)
            _keep_values_before(job, fields)
            created = _insert_new(job, user)
            updated = _update_changed(job, user, fields)
    if moved:  # recorded after the transaction, which wrote nothing
        ImportProblem.objects.bulk_create(
            [ImportProblem(job=job, line=line, column="", message=m) for line, m in moved]
        )
        raise Refused
    ImportJob.objects.filter(pk=job.pk).update(
        message=_("%(created)d new and %(updated)d changed figures imported as drafts.")
        % {"created": created, "updated": updated},
        rows_new=created,
        rows_changed=updated,
        rows_unchanged=rows.filter(changes=False).count(),
    )
    job.refresh_from_db()
    return job


def _wait_for_other_writers():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [WRITERS_LOCK])
    # SQLite lets one writer at a time into the database anyway.


def _moved_since_the_check(job) -> list[tuple[int, str]]:
    """Rows whose figure changed, went, or came into being since the check."""
    message_changed = _(
        "This figure changed since the check (someone saved, reviewed or imported it): "
        "upload the release again to check it against the figure as it is now."
    )
    message_new = _(
        "This figure was created since the check: upload the release again to check it "
        "against the figure as it is now."
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.line FROM metrics_importrow r LEFT JOIN metrics_observation o "
            "ON o.id = r.figure_id WHERE r.job_id = %s AND r.figure_id IS NOT NULL "
            "AND (o.id IS NULL OR o.lock_version <> r.figure_version "
            "OR o.publication_state <> r.figure_state)",
            [job.pk],
        )
        moved = [(line, message_changed) for (line,) in cursor.fetchall()]
        cursor.execute(
            "SELECT r.line FROM metrics_importrow r JOIN metrics_observation o "
            "ON o.revision_of_id IS NULL AND o.basis = 'quoted' AND o.metric_id = r.metric_id "
            "AND o.region_id = r.region_id AND o.period_start = r.period_start "
            "AND o.period_end = r.period_end WHERE r.job_id = %s AND r.figure_id IS NULL",
            [job.pk],
        )
        moved += [(line, message_new) for (line,) in cursor.fetchall()]
    return sorted(moved)


def _keep_values_before(job, fields):
    """Each changed figure's values as they were, on the row that changes them."""
    pairs = ", ".join(f"'{name}', o.{name}" for name in fields)
    build = "jsonb_build_object" if connection.vendor == "postgresql" else "json_object"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE metrics_importrow SET before = {build}({pairs}) FROM metrics_observation o "
            "WHERE metrics_importrow.job_id = %s AND metrics_importrow.changes "
            "AND o.id = metrics_importrow.figure_id",
            [job.pk],
        )


def _insert_new(job, user) -> int:
    fields = ", ".join(name for name in ROW_FIELDS if name != "line")
    authors = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO metrics_observation ({fields}, basis, basis_note, note_en, "
            "note_zh, publication_state, published_at, lock_version, authors) "
            f"SELECT {fields}, %s, '', '', '', %s, NULL, 0, {authors} FROM metrics_importrow "
            "WHERE job_id = %s AND figure_id IS NULL",
            [Basis.QUOTED, PublicationState.DRAFT, json.dumps([user.pk]), job.pk],
        )
        return cursor.rowcount


def _update_changed(job, user, fields) -> int:
    """Only drafts reach this: the check refused every other state, and nothing moved since."""
    assignments = ", ".join(f"{name} = r.{name}" for name in fields)
    if connection.vendor == "postgresql":
        with_author = (
            "CASE WHEN metrics_observation.authors @> %s::jsonb THEN metrics_observation.authors "
            "ELSE metrics_observation.authors || %s::jsonb END"
        )
        params = [json.dumps([user.pk]), json.dumps([user.pk])]
    else:
        with_author = (
            "CASE WHEN EXISTS (SELECT 1 FROM json_each(metrics_observation.authors) "
            "WHERE value = %s) THEN metrics_observation.authors "
            "ELSE json_insert(metrics_observation.authors, '$[#]', %s) END"
        )
        params = [user.pk, user.pk]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE metrics_observation SET {assignments}, authors = {with_author}, "
            "lock_version = metrics_observation.lock_version + 1 "
            "FROM metrics_importrow r WHERE r.job_id = %s AND r.changes "
            "AND r.figure_id = metrics_observation.id",
            [*params, job.pk],
        )
        return cursor.rowcount


# --- Problems as a file -----------------------------------------------------------------


def problems_csv(job: ImportJob) -> io.StringIO:
    """Every refused row as uploaded, with its problems in a last column (for correcting)."""
    out = io.StringIO()
    writer = csv.writer(out)
    columns = [column for column in job.columns if column] or ["line"]
    writer.writerow([_("line"), *(job.header_of(c) for c in columns), _("problems")])
    by_line: dict[int, list] = {}
    for problem in job.problems.order_by("line", "pk").iterator():
        entry = by_line.setdefault(problem.line, [problem.cells, []])
        entry[0] = entry[0] or problem.cells
        label = f"{job.header_of(problem.column)}: " if problem.column else ""
        entry[1].append(f"{label}{problem.message}")
    for line, (cells, messages) in sorted(by_line.items()):
        writer.writerow([line, *(cells.get(column, "") for column in columns), " ".join(messages)])
    out.seek(0)
    return out


# --- Jobs that stopped without a word ------------------------------------------------------


def fail_stalled_jobs() -> int:
    """Mark jobs whose worker stopped (no sign of life for a while) as failed; their files stay."""
    since = timezone.now() - STALLED_AFTER
    return ImportJob.objects.stalled(since=since).update(
        state=ImportJob.State.FAILED,
        finished_at=timezone.now(),
        message=_(
            "The worker stopped while running this job; nothing was imported. "
            "The file is kept: run the job again."
        ),
    )


# --- Jobs: the steps staff take and the worker runs ----------------------------------------

S = ImportJob.State


def store_release(file, *, name: str, user) -> ImportJob:
    """
    Keep a release file (a Django File) as a new job of the user's, with its
    checksum; its messages will be in the language active now (the uploader's).
    """
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    job = ImportJob(
        file_name=name[:255],
        checksum=digest.hexdigest(),
        size=file.size,
        created_by=user,
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    job.file.save(name, file, save=False)
    job.save()
    return job


def start_job(*, uploaded, user) -> ImportJob:
    """Store an uploaded release and queue its check (the request returns at once)."""
    job = store_release(uploaded, name=uploaded.name, user=user)
    _enqueue("check_import", job)
    return job


def import_here(job: ImportJob, *, dry_run: bool = False) -> ImportJob:
    """
    Check and import a stored release in this process (the command line and
    scripts): the same steps the worker takes after an upload and a confirm.
    """
    if run_check(job.pk) == S.CHECKED:
        if dry_run:
            cancel(job)
            ImportJob.objects.filter(pk=job.pk).update(
                message=_("Checked only (a dry run); nothing was imported.")
            )
        elif confirm(job, user=job.created_by, enqueue=False):
            run_import(job.pk)
    job.refresh_from_db()
    return job


def confirm(job: ImportJob, *, user, enqueue: bool = True) -> bool:
    """
    Queue the import of a checked release (for the worker, unless the caller
    runs it itself); False when the release is not, or no longer, checked.
    """
    queued = ImportJob.objects.filter(pk=job.pk, state=S.CHECKED, rows_invalid=0).update(
        state=S.QUEUED, confirmed_by=user, fraction_read=0, started_at=None
    )
    if queued and enqueue:
        _enqueue("import_release", job)
    return bool(queued)


def cancel(job: ImportJob) -> bool:
    """Stop a job that is waiting or running; it ends cancelled, nothing imported."""
    waiting = ImportJob.objects.filter(pk=job.pk, state__in=[S.WAITING, S.CHECKED, S.QUEUED])
    if waiting.update(
        state=S.CANCELLED, cancel_requested=True, finished_at=timezone.now(), message=str(CANCELLED)
    ):
        ImportRow.objects.filter(job=job).delete()
        return True
    return bool(
        ImportJob.objects.filter(pk=job.pk, state__in=ImportJob.RUNNING).update(
            cancel_requested=True
        )
    )


def retry(job: ImportJob) -> bool:
    """Check a failed job's file again from the start."""
    again = ImportJob.objects.filter(pk=job.pk, state=S.FAILED).update(
        state=S.WAITING,
        cancel_requested=False,
        fraction_read=0,
        rows_read=0,
        started_at=None,
        finished_at=None,
        message="",
    )
    if again:
        _enqueue("check_import", job)
    return bool(again)


def _enqueue(task_name: str, job):
    from metrics import tasks

    task = getattr(tasks, task_name)
    transaction.on_commit(lambda: task.enqueue(job.pk))


def _claim(job_id: int, *, waiting: str, running: str) -> ImportJob | None:
    """Move the job from its waiting state to its running one, unless another worker has."""
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job_id, state=waiting, cancel_requested=False).update(
        state=running, started_at=now, heartbeat_at=now, fraction_read=0
    )
    return ImportJob.objects.select_related("created_by").get(pk=job_id) if claimed else None


def _finish(job, state, message="", **fields):
    ImportJob.objects.filter(pk=job.pk).update(
        state=state,
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
        **fields,
        message=message,
    )


def _run_claimed(job_id: int, *, waiting, running, work, otherwise: str) -> str:
    """Claim the job from `waiting` and do `work` in its uploader's language."""
    job = _claim(job_id, waiting=waiting, running=running)
    if job is None:
        return otherwise
    with translation.override(job.language):
        return work(job)


def run_check(job_id: int) -> str:
    """The worker's check of an uploaded release."""
    return _run_claimed(
        job_id, waiting=S.WAITING, running=S.CHECKING, work=_check, otherwise="not waiting"
    )


def _check(job) -> str:
    job_id = job.pk
    try:
        job = check_release(job)
    except Cancelled:
        ImportRow.objects.filter(job=job).delete()
        _finish(job, S.CANCELLED, str(CANCELLED))
    except ReleaseFileError as error:
        _finish(job, S.INVALID, str(error))
    except BaseException:  # an error, or the worker being stopped mid-job
        logger.exception("The check of import job %s failed", job_id)
        _finish(job, S.FAILED, _("The check stopped with an error; nothing was imported."))
        raise
    else:
        if job.rows_invalid:
            message = _("%(count)d rows are invalid; nothing will be imported.") % {
                "count": job.rows_invalid
            }
            _finish(job, S.INVALID, message, fraction_read=1.0)
        else:
            ImportJob.objects.filter(pk=job.pk).update(
                state=S.CHECKED, fraction_read=1.0, heartbeat_at=timezone.now()
            )
    return ImportJob.objects.get(pk=job_id).state


def run_import(job_id: int) -> str:
    """The worker's import of a confirmed release."""
    return _run_claimed(
        job_id, waiting=S.QUEUED, running=S.IMPORTING, work=_import, otherwise="not queued"
    )


def _import(job) -> str:
    job_id = job.pk
    try:
        write_release(job)
    except Refused:
        _finish(
            job,
            S.REFUSED,
            _("Figures changed since the check; nothing was imported. Upload the file again."),
            rows_invalid=job.problems.values("line").distinct().count(),
        )
    except BaseException:  # an error, or the worker being stopped mid-job
        logger.exception("Import job %s failed", job_id)
        _finish(job, S.FAILED, _("The import stopped with an error; nothing was imported."))
        raise
    else:
        ImportJob.objects.filter(pk=job.pk).update(
            state=S.IMPORTED,
            fraction_read=1.0,
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
        )
    return ImportJob.objects.get(pk=job_id).state
