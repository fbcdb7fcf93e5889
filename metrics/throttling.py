"""The API's anonymous rate limit (its own module: DRF imports it while loading its views)."""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle


class PublicRateThrottle(AnonRateThrottle):
    """Anonymous rate limit; reads its rate when asked, so settings can change it."""

    @property
    def THROTTLE_RATES(self):  # noqa: N802 - the name DRF looks up
        return api_settings.DEFAULT_THROTTLE_RATES
