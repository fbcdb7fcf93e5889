"""Empty the public page cache: run once per release, after `migrate`."""

from django.conf import settings
from django.core.cache import caches
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Empty the cache of public pages and their remembered parts. Run it once per "
        "release: a remembered part may hold records as the previous release's code "
        "pickled them, and the content version only moves when published content does."
    )

    def handle(self, *args, **options):
        caches[settings.PUBLIC_PAGE_CACHE].clear()
        self.stdout.write("Public page cache emptied.")
