"""Trust ``X-Forwarded-*`` only from the proxies we were told about.

Behind a TLS-terminating proxy the client's address, scheme and host arrive in
``X-Forwarded-*`` headers (Twilio's signature is computed on the public https
URL; the audit log records who acted).  Anyone can send those headers, so they
are applied only when the connection itself comes from an address in
``TRUSTED_PROXY_ADDRESSES``; reached directly, the app sees the real peer.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING

from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(entries: Iterable[str]) -> list[Network]:
    """Parse addresses or networks; ``ValueError`` names a bad entry."""
    found = []
    for entry in entries:
        try:
            found.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"TRUSTED_PROXY_ADDRESSES: {entry!r} is not an address or network") from exc
    return found


def address_allowed(remote_addr: str | None, allow: Iterable[str]) -> bool:
    """Whether ``remote_addr`` (the client, as ``TrustedProxies`` resolved it) is in
    one of the ``allow`` addresses or networks; a malformed entry matches nothing."""
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return False
    for entry in allow:
        try:
            if address in ipaddress.ip_network(entry.strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


class TrustedProxies:
    """WSGI middleware: ProxyFix for requests from a trusted proxy, nothing otherwise."""

    def __init__(self, app: WSGIApplication, trusted: list[Network], hops: int = 1):
        self.app = app
        self.trusted = trusted
        self.fixed = ProxyFix(app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)

    def is_trusted(self, peer: str | None) -> bool:
        try:
            address = ipaddress.ip_address(peer or "")
        except ValueError:
            return False
        return any(address in network for network in self.trusted)

    def __call__(self, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes]:
        if self.is_trusted(environ.get("REMOTE_ADDR")):
            return self.fixed(environ, start_response)
        return self.app(environ, start_response)
