"""Count the open data-quality warnings and keep the count for the home page."""

from django.core.management.base import BaseCommand

from metrics.quality import record_quality_check


class Command(BaseCommand):
    help = (
        "Count published figures that break a validation rule or disagree with their own "
        "year-on-year change, and keep the count for the home page. Run it on a timer "
        "(every few minutes) once there are many figures."
    )

    def handle(self, *args, **options):
        check = record_quality_check()
        self.stdout.write(f"{check.open_warnings} open warning(s), checked at {check.checked_at}.")
