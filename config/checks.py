"""Deployment checks of this project's own (run by `manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Warning, register


@register("security", deploy=True)
def shared_cache_for_lockouts(app_configs, **kwargs):
    """
    Sign-in attempts are counted in the cache (never the database: a
    visitor's request writes nothing). Without a shared cache each server
    process counts on its own, so a lockout comes later than five failures.
    """
    if settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        return []
    return [
        Warning(
            "Sign-in attempts are counted per process: set REDIS_URL so that every app "
            "server and worker process counts them together.",
            id="config.W001",
        )
    ]


@register("security", deploy=True)
def proxies_named_for_client_addresses(app_configs, **kwargs):
    """
    Behind the TLS-terminating proxy the deployment requires, every
    connection comes from the proxy: without naming it, every visitor shares
    one address, and one client's traffic spends everyone's rate limit.
    """
    behind_a_proxy = settings.SECURE_PROXY_SSL_HEADER is not None
    if not behind_a_proxy or settings.TRUSTED_PROXY_COUNT or settings.TRUSTED_PROXY_NETWORKS:
        return []
    return [
        Warning(
            "X-Forwarded-Proto is trusted from a proxy, but no proxy is named for client "
            "addresses: set TRUSTED_PROXY_COUNT or TRUSTED_PROXY_NETWORKS, or every visitor "
            "has the proxy's address (rate limits, sign-in lockouts, logs).",
            id="config.W002",
        )
    ]
