"""
Background work, on Django's task framework (django.tasks): the check and
the import of uploaded releases, and the reminders by e-mail. A worker
(`manage.py db_worker`) runs them; the web requests that start them return
at once, and `manage.py schedule_reminders` queues the reminders on a timer.
"""

from django.tasks import task

from metrics import imports, reminders


@task()
def check_import(job_id: int) -> str:
    """Read and check an uploaded release: the preview staff confirm."""
    return imports.run_check(job_id)


@task()
def import_release(job_id: int) -> str:
    """Write a checked, confirmed release."""
    return imports.run_import(job_id)


@task()
def send_reminders() -> int:
    """Figures due soon and overdue, returned drafts, records waiting for review: each once."""
    return reminders.send_reminders()


@task()
def send_weekly_digests() -> int:
    """Each person's digest of what is open, once per week however often it runs."""
    return reminders.send_weekly_digests()
