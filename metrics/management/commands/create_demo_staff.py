"""Create (or reset) the demo staff account with a fresh random password."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create the demo superuser 'demo-admin', or give it a new password, "
        "and print the password. Never a fixed default."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo-admin")

    def handle(self, *args, username, **options):
        password = secrets.token_urlsafe(12)
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"email": ""}
        )
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        self.stdout.write(
            self.style.SUCCESS(
                f"\nDemo staff account {'created' if created else 'reset'}:\n"
                f"  admin:    http://127.0.0.1:8000/admin/\n"
                f"  username: {username}\n"
                f"  password: {password}\n"
            )
        )
