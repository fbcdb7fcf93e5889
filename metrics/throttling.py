"""
Rate limits counted per client in fixed windows: the API's anonymous rate
limit (its own module: DRF imports it while loading its views) and the
public pages' budget of uncached renders (metrics.render_budget).
"""

import math
import time

from django.core.cache import caches
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle

from config.clients import client_address

PERIODS = {"second": 1, "minute": 60, "hour": 3600}


def parse_budget(spec: str) -> tuple[int, int] | None:
    """(count, seconds) from a budget such as "120/minute"; None when it is empty."""
    if not spec:
        return None
    number, _slash, period = spec.partition("/")
    return int(number), PERIODS[period.strip()]


def _window(key: str, duration: int, now: float) -> tuple[str, float]:
    """The counter of the fixed window `now` falls in, and when that window ends."""
    window = int(now // duration)
    return f"{key}:{window}", (window + 1) * duration


def counted_in_window(cache, key: str, duration: int, now: float) -> tuple[int, float]:
    """What count_in_window has counted under `key` in the current window, counting nothing."""
    counter, ends = _window(key, duration, now)
    return cache.get(counter, 0), ends


def count_in_window(cache, key: str, duration: int, now: float) -> tuple[int, float]:
    """
    Count one more request under `key` in the current fixed window of
    `duration` seconds, with one atomic increment; return the count and
    when the window ends. A client may send up to twice a rate across a
    window's edge; the cost is the same at any rate.
    """
    counter, ends = _window(key, duration, now)
    cache.add(counter, 0, duration)
    try:
        count = cache.incr(counter)
    except ValueError:  # expired or culled since add(): the window starts again
        cache.set(counter, count := 1, duration)
    if count == 1:
        # Redis's INCR recreates a key that expired since add() without
        # an expiry; a window's first request makes sure it has one.
        cache.touch(counter, duration)
    return count, ends


def seconds_past_budget(spec: str, name: str, request) -> int | None:
    """
    Count one more use of the budget `spec` ("120/minute") named `name` by
    the request's client (its address through trusted proxies); past the
    budget, the seconds until its window ends, else None.
    """
    budget = parse_budget(spec)
    if budget is None:
        return None
    allowed, seconds = budget
    now = time.time()
    key = f"{name}:{client_address(request)}"
    count, window_ends = count_in_window(caches["default"], key, seconds, now)
    if count <= allowed:
        return None
    return max(1, math.ceil(window_ends - now))


class PublicRateThrottle(AnonRateThrottle):
    """
    Anonymous rate limit per client address (through trusted proxies only),
    counted in fixed windows of the rate's period. DRF's own throttle keeps
    the time of every request in the window and rewrites that list on each
    request, a cost that grows with the rate.
    """

    @property
    def THROTTLE_RATES(self):  # noqa: N802 - the name DRF looks up
        # Read when asked, so that settings can change the rate.
        return api_settings.DEFAULT_THROTTLE_RATES

    def get_ident(self, request):
        return client_address(request)

    def allow_request(self, request, view):
        if self.rate is None or (key := self.get_cache_key(request, view)) is None:
            return True
        self.now = self.timer()
        count, self.window_ends = count_in_window(self.cache, key, self.duration, self.now)
        return count <= self.num_requests

    def wait(self):
        """Seconds until the window ends: the Retry-After of a refused request."""
        return self.window_ends - self.now
