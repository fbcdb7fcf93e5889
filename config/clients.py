"""
Who a request comes from: the client's address, through the proxies the
site is configured to trust, and only those.

Behind a load balancer every request arrives from the balancer's address,
and the client's is in `X-Forwarded-For`, which each proxy extends with the
address it received the request from. A client can put anything it likes
at the front of that header, so only the entries added by trusted proxies
count: with TRUSTED_PROXY_COUNT=N, the N-th entry from the right; with
TRUSTED_PROXY_NETWORKS, the rightmost entry not inside those networks
(and the header is read only when the request came from one of them).
Without either, the header is ignored. The API's rate limit, the sign-in
lockout, the public render budget and the logs all ask this one function.
"""

import ipaddress
from functools import cache

from django.conf import settings


@cache
def _networks(spec: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(network, strict=False) for network in spec)


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.TRUSTED_PROXY_NETWORKS)))


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def client_address(request) -> str:
    """The address of the client that sent the request, as far as trusted proxies vouch for it."""
    remote = request.META.get("REMOTE_ADDR", "")
    forwarded = [
        hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop
    ]
    forwarded = [hop for hop in forwarded if hop]
    if count := settings.TRUSTED_PROXY_COUNT:
        if len(forwarded) >= count and _valid(forwarded[-count]):
            return forwarded[-count]
        return remote
    if settings.TRUSTED_PROXY_NETWORKS and _trusted(remote):
        for hop in reversed(forwarded):
            if not _valid(hop):
                break
            if not _trusted(hop):
                return hop
        return remote
    return remote


class ClientAddressFilter:
    """A logging filter that puts the request's client address on its records (`%(client)s`)."""

    def filter(self, record) -> bool:
        request = getattr(record, "request", None)
        record.client = client_address(request) if hasattr(request, "META") else "-"
        return True
