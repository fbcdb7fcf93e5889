"""Create (or reset) the demo staff accounts, one per role, with fresh random passwords."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse

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
# A server listening on every interface is reached on this machine by the loopback address.
ANY_INTERFACE = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "[::]": "[::1]", "0": "127.0.0.1"}


def site_address(address: str) -> str:
    """
    The browser's address of a server started with runserver's `HOST:PORT`
    (or a bare port, or a whole URL), without a trailing slash.
    """
    if "://" in address:
        return address.rstrip("/")
    host, _, port = address.rpartition(":")
    if not port.isdigit():
        raise CommandError(f"Not HOST:PORT: {address!r}")
    host = host or "127.0.0.1"
    host = ANY_INTERFACE.get(host, host)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    return f"http://{host}:{port}"


class Command(BaseCommand):
    help = (
        "Create the demo staff accounts (a superuser, an editor for Linfen, a reviewer "
        "and a viewer for Shanxi), or give them new passwords, and print them. "
        "Never a fixed default."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--address",
            default=None,
            help=(
                "Where the site is served, as runserver's HOST:PORT or a URL, for the "
                "sign-in address printed (default: the SITE_URL setting)."
            ),
        )

    @transaction.atomic
    def handle(self, *args, **options):
        site = site_address(options["address"] or settings.SITE_URL)
        sign_in = site + reverse("admin:index")
        lines = ["", f"Demo staff accounts (sign in at {sign_in}):"]
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
