"""Import a large CSV of observations in one transaction (see metrics.bulk_import)."""

import time

from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError

from metrics.bulk_import import BulkImportError, import_observations, read_rows
from metrics.models import Observation


class Command(BaseCommand):
    help = (
        "Import observations from a CSV in the shape statistics releases use (the columns "
        "of the admin's import: region, metric, period, value, unit, yoy_change, qualifier, "
        "source, quote) as drafts of a staff account, as the publication policy allows it. "
        "All rows or none."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv_file")
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")
        parser.add_argument(
            "--user",
            required=True,
            help="Import as this staff account: its role and regions decide what it may enter.",
        )

    def handle(self, *args, csv_file, dry_run, user, **options):
        account = get_user_model().objects.filter(username=user, is_staff=True).first()
        if account is None:
            raise CommandError(f"There is no staff account {user!r}.")
        started = time.perf_counter()
        try:
            with open(csv_file, encoding="utf-8-sig", newline="") as stream:
                rows = read_rows(stream)
                result = import_observations(rows, user=account, dry_run=dry_run)
        except BulkImportError as error:
            for line, message in error.errors:
                self.stderr.write(f"line {line}: {message}")
            raise CommandError(f"{error.total} invalid row(s); nothing was imported.") from error
        except OSError as error:
            raise CommandError(str(error)) from error
        seconds = time.perf_counter() - started
        what = "checked (dry run)" if dry_run else f"{result.created} new, {result.updated} updated"
        if not dry_run:
            # One entry in the admin's log says who imported what.
            LogEntry.objects.create(
                user=account,
                content_type=ContentType.objects.get_for_model(Observation),
                object_repr=f"bulk import of {csv_file}"[:200],
                action_flag=ADDITION,
                change_message=f"Imported {result.rows} rows: {what}.",
            )
        self.stdout.write(self.style.SUCCESS(f"{result.rows} rows {what} in {seconds:.1f} s."))
