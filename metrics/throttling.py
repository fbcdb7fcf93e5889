"""The API's anonymous rate limit (its own module: DRF imports it while loading its views)."""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle


class PublicRateThrottle(AnonRateThrottle):
    """
    Anonymous rate limit, counted per address in fixed windows of the rate's
    period with one atomic increment. DRF's own throttle keeps the time of
    every request in the window and rewrites that list on each request, a
    cost that grows with the rate; a counter costs the same at any rate.
    A client may send up to twice the rate across a window's edge.
    """

    @property
    def THROTTLE_RATES(self):  # noqa: N802 - the name DRF looks up
        # Read when asked, so that settings can change the rate.
        return api_settings.DEFAULT_THROTTLE_RATES

    def allow_request(self, request, view):
        if self.rate is None or (key := self.get_cache_key(request, view)) is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        counter = f"{key}:{window}"
        self.cache.add(counter, 0, self.duration)
        try:
            count = self.cache.incr(counter)
        except ValueError:  # expired or culled since add(): the window starts again
            self.cache.set(counter, count := 1, self.duration)
        if count == 1:
            # Redis's INCR recreates a key that expired since add() without
            # an expiry; a window's first request makes sure it has one.
            self.cache.touch(counter, self.duration)
        return count <= self.num_requests

    def wait(self):
        """Seconds until the window ends: the Retry-After of a refused request."""
        return self.window_ends - self.now
