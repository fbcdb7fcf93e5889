"""Site-wide answers: the health check, the error pages and the favicon."""

import logging
import sys
import time

from django.contrib import admin
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext_lazy as _
from django.views import i18n
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from metrics.models import Region
from metrics.workflow.policy import Role

logger = logging.getLogger("config.database")

RETRY_AFTER_SECONDS = 5
# A day: the redirect may be kept that long, and a new icon is seen the day after.
FAVICON_CACHED_FOR = 24 * 60 * 60
# Reading the migration files takes a while; load balancers ask every few seconds.
MIGRATIONS_CHECKED_FOR = 60
_migrations_checked_at = 0.0


@never_cache
def healthz(request):
    """
    For load balancers: 200 when the database answers and every migration
    is applied, 503 otherwise, with the reason.
    """
    global _migrations_checked_at
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        if time.monotonic() - _migrations_checked_at > MIGRATIONS_CHECKED_FOR:
            executor = MigrationExecutor(connection)
            if executor.migration_plan(executor.loader.graph.leaf_nodes()):
                return JsonResponse({"status": "migrations pending"}, status=503)
            _migrations_checked_at = time.monotonic()
    except DatabaseError as error:
        logger.warning("Health check: database unavailable: %s", error)
        return JsonResponse({"status": "database unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def favicon(request):
    """
    /favicon.ico, which browsers and feed readers ask for whatever the page
    links: the site's icon, by a permanent redirect to the static file
    (no session, no database).
    """
    response = HttpResponsePermanentRedirect(static("favicon.svg"))
    patch_cache_control(response, public=True, max_age=FAVICON_CACHED_FOR)
    return response


@csrf_exempt
def set_language(request):
    """
    Django's language switch (the language cookie, then back to the page in
    that language). Without the form token: public pages are cached for
    everyone and hold none, and a forged switch changes nothing but the
    language a visitor reads in, which the switch on every page undoes.
    """
    return i18n.set_language(request)


def _page(template, status):
    return HttpResponse(
        render_to_string(template), status=status, content_type="text/html; charset=utf-8"
    )


def _staff_in_admin(request) -> bool:
    """
    Whether the request is to the staff site from someone signed in to it:
    they get its error pages; anyone else gets the public ones, which say
    nothing about the staff site.
    """
    match = getattr(request, "resolver_match", None)
    if match is None or admin.site.name not in match.namespaces:
        return False
    return hasattr(request, "user") and admin.site.has_permission(request)


def _staff_page(request, template, status, title):
    """An error page in the staff site's look: its header, navigation and breadcrumbs."""
    user = request.user
    request.current_app = admin.site.name
    roles = [Role(group.name).label for group in user.groups.all() if group.name in Role.values]
    context = {
        **admin.site.each_context(request),
        "title": title,
        "roles": roles,
        # A superuser works everywhere; everyone else on the regions assigned to them.
        "assigned_regions": None
        if user.is_superuser
        else list(Region.objects.filter(assignments__user=user).order_by("path")),
    }
    response = render(request, template, context, status=status)
    # It names the signed-in account: no shared cache may keep it.
    add_never_cache_headers(response)
    return response


def bad_request(request, exception=None):
    return _page("400.html", 400)


def permission_denied(request, exception=None):
    """
    403: in the staff site, what the account may do and whom to ask;
    elsewhere the public page.
    """
    if _staff_in_admin(request):
        return _staff_page(request, "admin/403.html", 403, _("Not allowed"))
    return _page("403.html", 403)


def page_not_found(request, exception=None):
    """
    404: in the staff site, that the record may be outside the user's
    regions, and whom to ask; elsewhere the public page.
    """
    if _staff_in_admin(request):
        return _staff_page(request, "admin/404.html", 404, _("Page not found"))
    return _page("404.html", 404)


def _database_unavailable(error) -> bool:
    """
    Whether the error, or one it came from, says the database is out of
    reach: Django's wrapped errors or the driver's own, which escape
    unwrapped from a few places (closing a server-side cursor, for one).
    """
    kinds = {OperationalError, InterfaceError}
    for connection in connections.all():
        kinds |= {connection.Database.OperationalError, connection.Database.InterfaceError}
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, tuple(kinds)):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def server_error(request):
    """
    500, or 503 when the database is down or restarting: the client may
    retry, and the broken connections are dropped so the next request
    opens fresh ones. The app recovers by itself when the database is back.
    """
    if _database_unavailable(sys.exc_info()[1]):
        for connection in connections.all(initialized_only=True):
            try:
                connection.close()
            except DatabaseError:
                pass
        response = _page("503.html", 503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return _page("500.html", 500)


def bench_floor(request):
    """The benchmark's floor: the whole stack, no work (only with DJANGO_BENCH_ENDPOINTS=1)."""
    return HttpResponse("ok", content_type="text/plain")
