"""Queue the reminder jobs (for cron or a systemd timer), or run them here with --now."""

from django.core.management.base import BaseCommand

from metrics.tasks import send_reminders, send_weekly_digests


class Command(BaseCommand):
    help = (
        "Queue the e-mail reminders (figures due soon and overdue, returned drafts, records "
        "waiting for review) and the weekly digests for the worker. Run it daily: every "
        "reminder goes once, and each person's digest once a week, however often it runs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            action="store_true",
            help="Send them in this process instead of queueing them (no worker needed).",
        )

    def handle(self, *args, now: bool = False, **options):
        for job in (send_reminders, send_weekly_digests):
            if now:
                sent = job.call()
                self.stdout.write(f"{job.name}: {sent} message(s) sent.")
            else:
                result = job.enqueue()
                self.stdout.write(f"{job.name}: queued ({result.id}).")
