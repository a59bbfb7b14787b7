"""What the portal needs to know about an HTTP request beyond what Django gives.

Behind a reverse proxy REMOTE_ADDR is the proxy's address. X-Forwarded-For carries the
client's, but any client can send that header with whatever it likes: only the entries
appended by proxies we run can be believed, and how many of those there are is a fact of
the deployment (settings.TRUSTED_PROXY_COUNT), not something the request can tell us.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _ip_or_none(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str | None:
    """The address of the client that sent ``request``, for audit logs.

    With ``TRUSTED_PROXY_COUNT`` = n > 0, each of our n proxies appended the address it was
    reached from to X-Forwarded-For, so the n-th entry from the right is the address the
    outermost proxy saw: the client. Entries further left came from the client and may be
    forged. A header with fewer than n entries, or an entry that is not an IP address,
    means the request did not come through our proxies as configured; then REMOTE_ADDR
    (the peer itself) is the only address we know to be true.
    """
    remote = _ip_or_none(request.META.get("REMOTE_ADDR") or "")
    trusted = max(getattr(settings, "TRUSTED_PROXY_COUNT", 0), 0)
    if trusted == 0:
        return remote
    # Several X-Forwarded-For headers reach Django joined by commas, in order.
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    forwarded = [entry.strip() for entry in header.split(",") if entry.strip()]
    if len(forwarded) < trusted:
        return remote
    return _ip_or_none(forwarded[-trusted]) or remote
