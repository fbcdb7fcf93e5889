"""Data-quality checks over the observations: what staff must look at."""

from django.core.cache import cache

from metrics.models import Observation, find_violations

WARNING_COUNT_CACHE_KEY = "metrics:open-warning-count"
WARNING_COUNT_SECONDS = 300


def change_mismatches(observations=None):
    """Observations whose reported y/y change disagrees with the one computed from levels."""
    base = Observation.objects.all() if observations is None else observations
    candidates = (
        base.filter(value__isnull=False, yoy_change__isnull=False)
        .with_prior_year(published_only=observations is not None)
        .filter(prior_year_value__isnull=False)
        .select_related("metric", "region")
    )
    return (
        observation
        for observation in candidates.iterator(chunk_size=2000)
        if observation.change_mismatch
    )


def open_warning_count() -> int:
    """
    How many published figures break a validation rule or disagree with
    their own computed change. Scanning every figure is too slow for each
    visit to the home page, so the count is cached for a few minutes.
    """
    count = cache.get(WARNING_COUNT_CACHE_KEY)
    if count is None:
        published = Observation.objects.published()
        count = sum(1 for _violation in find_violations(published))
        count += sum(1 for _mismatch in change_mismatches(published))
        cache.set(WARNING_COUNT_CACHE_KEY, count, WARNING_COUNT_SECONDS)
    return count
