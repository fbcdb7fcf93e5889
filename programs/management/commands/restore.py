"""Load a `backup` file into an empty, migrated database."""

from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.management.commands.loaddata import Command as DjangoLoadData
from django.db import transaction

from metrics.models import Region
from programs.models import Program


class Command(BaseCommand):
    help = (
        "Restore a file written by `backup` into an empty database that has been migrated. "
        "All or nothing: a failure leaves the database as it was."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", help="the file written by `backup`")

    def handle(self, *args, backup, **options):
        if Region.objects.exists() or Program.objects.exists():
            raise CommandError(
                "The database already holds records; restore into an empty, migrated database."
            )
        # Django's own loaddata: the records were validated when they were
        # entered, and their history is restored as it was, not written anew.
        with transaction.atomic():
            # `migrate` made the role groups; the backup brings them back as they were.
            Group.objects.all().delete()
            call_command(DjangoLoadData(), backup, verbosity=0)
        self.stdout.write(self.style.SUCCESS(f"Restored {backup}."))
