"""
Whole public pages, cached until published content changes.

A public page shows published records only and is the same for every
visitor, so a rendered page can be served again until published content
changes. The cache key holds the content version (metrics.content_version:
a counter the database raises in the same transaction as every change to
published content, and nothing else): any publication, withdrawal or
correction gives every later request a new key, on every app server and on
a read replica alike, and nothing has to remember to invalidate. Sessions,
sign-in attempts, logs, jobs and drafts never move it, so nothing a
visitor (or staff, outside published content) does empties the cache.

A page is kept per language too: the one it is served in (config.locale:
from the address, else the language cookie, else Accept-Language), never
the visitor's Accept-Language itself, so an address has at most one page
per language, and a Chinese visitor is never handed the English page.

The version is read before the page is rendered, so a cached page is never
older than its key. Signed-in staff always get a freshly rendered page;
everyone else, whatever cookies they send, is served from the cache. The
open-data API's answers are cached alike (metrics.api.PublicViewSet), after
its rate limit has counted the request. Only complete 200 answers that set
no cookie are kept.

A page rendered for a new address (another filter, sort or page) still
needs parts that every address of it shares: a filter's choices, a
region's latest figures, the home page's charts. `remembered` keeps such a
part under the same content version, so a miss costs the page's own rows,
not the whole page again; `remembered_records` keeps each record of a
list (the API's nested programs) so that another page of it builds only
the records not shown yet.
"""

import hashlib
from collections.abc import Callable
from contextvars import ContextVar
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import router
from django.template.response import TemplateResponse
from django.utils.translation import get_language

from metrics.models import ContentVersion
from metrics.render_budget import refuse_if_over_budget

# The version read once for a whole public page (cache_public_page): its
# key and every part it remembers agree, in one query.
_page_versions: ContextVar[dict | None] = ContextVar("page_versions", default=None)


def content_version() -> int:
    """The version of published content the public reads see (on the read database)."""
    using = router.db_for_read(ContentVersion)
    read = _page_versions.get()
    if read is None:
        return ContentVersion.current(using=using)
    if using not in read:
        read[using] = ContentVersion.current(using=using)
    return read[using]


def is_staff_request(request) -> bool:
    """Signed-in staff: never served from the public cache. A made-up cookie is no session."""
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff)


def _key(prefix: str, *parts) -> str:
    return prefix + hashlib.sha256("\n".join(map(str, parts)).encode()).hexdigest()


def remembered(name: str, build: Callable[[], Any], *vary) -> Any:
    """
    What `build()` returns for published content as it is now, in the
    active language: built once per content version (and per `vary`, such
    as a region's code) rather than on every render of a page that shows
    it. It must depend on nothing else (no request, no user); what depends
    on the date is bounded by PUBLIC_PART_CACHE_SECONDS, as pages are.
    """
    seconds = settings.PUBLIC_PART_CACHE_SECONDS
    if seconds <= 0:
        return build()
    cache = caches[settings.PUBLIC_PAGE_CACHE]
    key = _key("public-part:", content_version(), get_language() or "", name, *vary)
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = build()
        cache.set(key, value, seconds)
    return value


_MISSING = object()


def remembered_records(name: str, pks: list, build: Callable[[list], dict]) -> list:
    """
    The records with these primary keys, each as `build(missing_pks)`
    (a mapping from primary key to record) drew it for published content as
    it is now, in the active language: a record is built once per content
    version and then shared by every page that lists it (another filter,
    page size or order), so a page builds only the records no page has
    shown yet. Returned in the order of `pks`.
    """
    seconds = settings.PUBLIC_PART_CACHE_SECONDS
    if seconds <= 0:
        built = build(list(pks))
        return [built[pk] for pk in pks]
    cache = caches[settings.PUBLIC_PAGE_CACHE]
    version, language = content_version(), get_language() or ""
    keys = {pk: _key("public-record:", version, language, name, pk) for pk in pks}
    found = cache.get_many(keys.values())
    if missing := [pk for pk in pks if keys[pk] not in found]:
        built = {keys[pk]: record for pk, record in build(missing).items()}
        cache.set_many(built, seconds)
        found.update(built)
    return [found[keys[pk]] for pk in pks]


def _page_key(request) -> str:
    # The language served, not the header that asked for it; the whole
    # address: API answers hold absolute links (pagination); the API's
    # media type may ask for another layout (indent).
    return _key(
        "public-page:",
        content_version(),
        get_language() or "",
        request.build_absolute_uri(),
        getattr(request, "accepted_media_type", ""),
    )


def cache_public_page(view):
    """
    Serve the view's page from the cache while published content is
    unchanged; a render (a miss) counts against the client's render budget.
    """

    @wraps(view)
    def cached_view(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        token = _page_versions.set({})
        try:
            return serve(request, *args, **kwargs)
        finally:
            _page_versions.reset(token)

    def render(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        # Drawn here, while the page's content version is the one read.
        if isinstance(response, TemplateResponse) and not response.is_rendered:
            response.render()
        return response

    def serve(request, *args, **kwargs):
        if is_staff_request(request):
            return render(request, *args, **kwargs)
        cache, key = caches[settings.PUBLIC_PAGE_CACHE], None
        if settings.PUBLIC_PAGE_CACHE_SECONDS > 0:
            key = _page_key(request)
            if (response := cache.get(key)) is not None:
                return response
        if (refusal := refuse_if_over_budget(request)) is not None:
            return refusal
        response = render(request, *args, **kwargs)
        storable = response.status_code == 200 and not response.streaming
        if key is not None and storable and not response.cookies:

            def store(rendered):
                cache.set(key, rendered, settings.PUBLIC_PAGE_CACHE_SECONDS)

            if getattr(response, "is_rendered", True):
                store(response)
            else:
                response.add_post_render_callback(store)
        return response

    return cached_view


def within_render_budget(view):
    """A public view that is never cached (a download) but counts against the budget."""

    @wraps(view)
    def budgeted_view(request, *args, **kwargs):
        if not is_staff_request(request):
            if (refusal := refuse_if_over_budget(request)) is not None:
                return refusal
        return view(request, *args, **kwargs)

    return budgeted_view
