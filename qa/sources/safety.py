"""Which addresses the service may fetch from: public ones only, unless told otherwise.

A feed URL comes from whoever can call the API, so without this check it could make the
service read its own admin ports, a cloud metadata endpoint (169.254.169.254) or the
private network, and store the answer as an article anyone can read."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Collection
from urllib.parse import urlsplit

from qa.errors import FetchError, UnsafeURL

ALLOW_HINT = "set QA_ALLOW_PRIVATE_URLS=1 to allow it"


def is_public(address: str) -> bool:
    """A globally routable unicast address (an IPv4-mapped IPv6 address judged as IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, allow_private: bool, allowed_hosts: Collection[str] = ()) -> None:
    """Raises unless ``url`` is http(s) with a host, and (unless ``allow_private``, or the
    host is one of ``allowed_hosts``) every address its host resolves to is public."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise FetchError(f"not an http:// or https:// URL: {url[:200]!r}")
    if allow_private or parts.hostname.lower() in allowed_hosts:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as exc:
        raise FetchError(f"cannot resolve {parts.hostname}: {exc}") from None
    for address in sorted({str(info[4][0]) for info in infos}):
        if not is_public(address):
            raise UnsafeURL(f"{parts.hostname} resolves to {address}, which is not a public "
                            f"address; {ALLOW_HINT}")
