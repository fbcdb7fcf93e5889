"""
A budget of uncached renders per client: pages served from the page cache
cost almost nothing, but each distinct address (another filter, another
page) is rendered, and one client asking for thousands of them could keep
the servers busy for everyone. Past PUBLIC_RENDER_BUDGET renders (for
example "120/minute") a client is answered 429 with Retry-After until the
window ends; cached pages are still served to it. Staff are not counted.
The client is its address through trusted proxies (config.clients).
"""

import math
import time

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.template.loader import render_to_string

from config.clients import client_address
from metrics.throttling import count_in_window, parse_budget


def refuse_if_over_budget(request) -> HttpResponse | None:
    """Count an uncached render for the request's client; a 429 answer once past the budget."""
    budget = parse_budget(settings.PUBLIC_RENDER_BUDGET)
    user = getattr(request, "user", None)
    if budget is None or (user is not None and user.is_authenticated and user.is_staff):
        return None
    renders, seconds = budget
    now = time.time()
    key = f"render-budget:{client_address(request)}"
    count, window_ends = count_in_window(caches["default"], key, seconds, now)
    if count <= renders:
        return None
    wait = max(1, math.ceil(window_ends - now))
    response = HttpResponse(
        render_to_string("429.html", {"seconds": wait}, request=request), status=429
    )
    response["Retry-After"] = str(wait)
    return response
