"""Create (or reset) the demo staff accounts, one per role, with fresh random passwords."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from metrics.models import Region, RegionAssignment
from metrics.workflow.policy import Role

# (username, role or None for a superuser, region codes the account works on)
DEMO_ACCOUNTS = [
    ("demo-admin", None, []),
    ("demo-editor", Role.EDITOR, ["141000"]),  # Linfen and its counties
    ("demo-reviewer", Role.REVIEWER, ["140000"]),  # all of Shanxi
    ("demo-viewer", Role.VIEWER, ["140000"]),
]
# Reminders need an address; example.org is reserved (RFC 2606) and reaches nobody.
DEMO_MAIL_DOMAIN = "example.org"


class Command(BaseCommand):
    help = (
        "Create the demo staff accounts (a superuser, an editor for Linfen, a reviewer "
        "and a viewer for Shanxi), or give them new passwords, and print them. "
        "Never a fixed default."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        lines = ["", "Demo staff accounts (sign in at http://127.0.0.1:8000/admin/):"]
        for username, role, codes in DEMO_ACCOUNTS:
            password = secrets.token_urlsafe(12)
            user, created = get_user_model().objects.get_or_create(username=username)
            user.is_staff = True
            user.is_superuser = role is None
            user.email = f"{username}@{DEMO_MAIL_DOMAIN}"
            user.set_password(password)
            user.save()
            user.groups.set(Group.objects.filter(name=role) if role else [])
            RegionAssignment.objects.filter(user=user).delete()
            for region in Region.objects.filter(code__in=codes):
                RegionAssignment.objects.create(user=user, region=region)
            what = "superuser" if role is None else f"{role} for {', '.join(codes)}"
            lines.append(f"  {username:<14} {password}   ({what})")
        self.stdout.write(self.style.SUCCESS("\n".join(lines) + "\n"))
