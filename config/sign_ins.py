"""
A budget of failed sign-ins per client address, whatever the account.

django-axes locks an account on an address after five failures. Someone
trying a new account name each time is never locked, and every attempt
costs a password hash (PBKDF2 with 1.5 million rounds: about half a
second of a processor), which everyone else's pages feel. Past
SIGN_IN_FAILURE_BUDGET failures from one address (for example "30/hour"),
a sign-in is answered 429 with Retry-After before any password is
checked, until the window ends. Only failures count, so a department
signing in from behind one address is not held up by its own successes.
The address is the client's through trusted proxies (config.clients).
"""

import math
import time

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.cache import caches
from django.dispatch import receiver
from django.template.response import TemplateResponse

from config.clients import client_address
from metrics.throttling import count_in_window, counted_in_window, parse_budget


def _key(request) -> str:
    return f"sign-in-failures:{client_address(request)}"


@receiver(user_login_failed, dispatch_uid="sign-in-failure-budget")
def count_failure(sender, credentials, request=None, **kwargs):
    budget = parse_budget(settings.SIGN_IN_FAILURE_BUDGET)
    if request is not None and budget is not None:
        count_in_window(caches["default"], _key(request), budget[1], time.time())


def refuse_if_over_budget(request, context: dict) -> TemplateResponse | None:
    """A 429 answer (in the admin's `context`) when the address has used up its failures."""
    if (budget := parse_budget(settings.SIGN_IN_FAILURE_BUDGET)) is None:
        return None
    failures, seconds = budget
    now = time.time()
    counted, window_ends = counted_in_window(caches["default"], _key(request), seconds, now)
    if counted < failures:
        return None
    wait = max(1, math.ceil(window_ends - now))
    response = TemplateResponse(
        request,
        "registration/too_many_sign_ins.html",
        {**context, "minutes": math.ceil(wait / 60)},
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response
