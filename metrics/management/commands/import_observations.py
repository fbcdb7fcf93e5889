"""Import a statistics release from the command line, as the admin's upload does."""

import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from metrics import imports
from metrics.models import ImportJob


class Command(BaseCommand):
    help = (
        "Import a release (CSV or XLSX, the columns of the admin's upload: region, metric, "
        "period, value, unit, yoy_change, qualifier, source, quote) as drafts of a staff "
        "account, as the publication policy allows it. The same check and import as the "
        "admin's, run here rather than by the worker; all rows or none. The job is kept "
        "(admin → Release imports), like an upload's."
    )

    def add_arguments(self, parser):
        parser.add_argument("release_file")
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")
        parser.add_argument(
            "--user",
            required=True,
            help="Import as this staff account: its role and regions decide what it may enter.",
        )

    def handle(self, *args, release_file, dry_run, user, **options):
        account = get_user_model().objects.filter(username=user, is_staff=True).first()
        if account is None:
            raise CommandError(f"There is no staff account {user!r}.")
        path = Path(release_file)
        if not path.is_file():
            raise CommandError(f"There is no file {release_file!r}.")
        started = time.perf_counter()
        with path.open("rb") as stream:
            job = imports.store_release(File(stream), name=path.name, user=account)
        job = imports.import_here(job, dry_run=dry_run)
        if job.problems.exists() or job.state not in (
            ImportJob.State.IMPORTED,
            ImportJob.State.CANCELLED,
        ):
            for problem in job.problems.all()[:50]:
                column = f"{problem.column}: " if problem.column else ""
                self.stderr.write(f"line {problem.line}: {column}{problem.message}")
            raise CommandError(f"{job.message or job.get_state_display()} (job {job.pk})")
        seconds = time.perf_counter() - started
        if dry_run:
            self.stdout.write(self.style.SUCCESS(f"{job.rows_read} rows checked (dry run)."))
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"{job.rows_read} rows {job.rows_new} new, {job.rows_changed} updated "
                f"in {seconds:.1f} s (job {job.pk})."
            )
        )
