"""
Background work, on Django's task framework (django.tasks): the check and
the import of uploaded releases. A worker (`manage.py db_worker`) runs them;
the web requests that start them return at once.
"""

from django.tasks import task

from metrics import imports


@task()
def check_import(job_id: int) -> str:
    """Read and check an uploaded release: the preview staff confirm."""
    return imports.run_check(job_id)


@task()
def import_release(job_id: int) -> str:
    """Write a checked, confirmed release."""
    return imports.run_import(job_id)
