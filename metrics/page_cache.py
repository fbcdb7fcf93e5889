"""
Whole public pages, cached until the database changes.

A public page shows published records only and is the same for every
visitor, so a rendered page can be served again until the data changes.
The cache key holds the database's snapshot (PostgreSQL's
pg_current_snapshot(): which transactions are committed): two requests
with the same snapshot see exactly the same data, and any committed write
(a publication, a withdrawal, an import) gives every later request a new
snapshot, hence a new key. Nothing has to remember to invalidate, and the
key is right on every app server and on a read replica alike.

Pages are rendered after the snapshot is read, so a cached page is never
older than its key. The open-data API's answers are cached alike
(metrics.api.PublicViewSet), after its rate limit has counted the request.
Requests with a session (staff) and anything but a
complete 200 answer are not cached. Other databases have no snapshot to
read: there the pages are always rendered.
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.db import connections, router
from django.utils.translation import get_language

from metrics.models import Observation


def database_snapshot() -> str | None:
    """The committed state public reads see, or None where it cannot be read."""
    connection = connections[router.db_for_read(Observation)]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_snapshot()::text")
        return cursor.fetchone()[0]


def _cacheable(request) -> bool:
    return (
        settings.PUBLIC_PAGE_CACHE_SECONDS > 0
        and request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def cache_public_page(view):
    """Serve the view's page from the cache while the database is unchanged."""

    @wraps(view)
    def cached_view(request, *args, **kwargs):
        if not _cacheable(request) or (snapshot := database_snapshot()) is None:
            return view(request, *args, **kwargs)
        # The whole address: API answers hold absolute links (pagination),
        # and the API's media type may ask for another layout (indent).
        page = "\n".join(
            [
                snapshot,
                get_language() or "",
                request.build_absolute_uri(),
                getattr(request, "accepted_media_type", ""),
            ]
        )
        key = "public-page:" + hashlib.sha256(page.encode()).hexdigest()
        cache = caches[settings.PUBLIC_PAGE_CACHE]
        if (response := cache.get(key)) is not None:
            return response
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming and not response.cookies:

            def store(rendered):
                cache.set(key, rendered, settings.PUBLIC_PAGE_CACHE_SECONDS)

            if getattr(response, "is_rendered", True):
                store(response)
            else:
                response.add_post_render_callback(store)
        return response

    return cached_view
