"""Write every record, history included, to one compressed file that `restore` reads back."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

# Everything staff entered and its audit trail. Content types and
# permissions are rebuilt by `migrate`, sessions are ephemeral, and
# django-axes' login logs are kept by the log system, not by backups.
BACKED_UP = ["auth.user", "auth.group", "admin.logentry", "reversion", "metrics", "programs"]
# The content version is the database's own count of its publications: a
# restore is one more, so that no page cached before it is served after.
NOT_BACKED_UP = ["metrics.ContentVersion"]


class Command(BaseCommand):
    help = (
        "Back up all records and their history to OUTPUT (JSON lines; gzip when the name "
        "ends in .gz). Portable between SQLite and PostgreSQL; on PostgreSQL, pg_dump is "
        "the faster choice for whole-server backups (see docs/DEPLOYMENT.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("output", help="e.g. backup-2026-11-29.jsonl.gz")

    def handle(self, *args, output, **options):
        call_command(
            "dumpdata",
            *BACKED_UP,
            exclude=NOT_BACKED_UP,
            format="jsonl",
            natural_foreign=True,
            output=output,
            verbosity=0,
        )
        self.stdout.write(self.style.SUCCESS(f"Backed up to {output}."))
