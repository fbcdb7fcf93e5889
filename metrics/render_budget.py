"""
A budget of uncached renders per client: pages served from the page cache
cost almost nothing, but each distinct address (another filter, another
page) is rendered, and one client asking for thousands of them could keep
the servers busy for everyone. Past PUBLIC_RENDER_BUDGET renders (for
example "120/minute") a client is answered 429 with Retry-After until the
window ends; cached pages are still served to it. Staff are not counted.
The client is its address through trusted proxies (config.clients).
"""

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string

from metrics.throttling import seconds_past_budget


def refuse_if_over_budget(request) -> HttpResponse | None:
    """Count an uncached render for the request's client; a 429 answer once past the budget."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        return None
    wait = seconds_past_budget(settings.PUBLIC_RENDER_BUDGET, "render-budget", request)
    if wait is None:
        return None
    response = HttpResponse(
        render_to_string("429.html", {"seconds": wait}, request=request), status=429
    )
    response["Retry-After"] = str(wait)
    return response
