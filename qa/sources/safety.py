"""Which addresses the service may fetch from: public ones only, unless told otherwise.

A feed URL comes from whoever can call the API, so without this check it could make the
service read its own admin ports, a cloud metadata endpoint (169.254.169.254) or the
private network, and store the answer as an article anyone can read.

The check is made twice: ``check_url`` before a request (a clear error before anything is
sent), and ``PublicOnlyBackend`` when the connection is opened, on the very addresses it
connects to. A name that resolves to a public address for the first look and to a private
one a moment later (DNS rebinding) is therefore refused too."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Collection, Iterable
from urllib.parse import urlsplit

import httpcore
import httpx

from qa.errors import FetchError, UnsafeURL

ALLOW_HINT = "set QA_ALLOW_PRIVATE_URLS=1 to allow it"


def is_public(address: str) -> bool:
    """A globally routable unicast address (an IPv4-mapped IPv6 address judged as IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def public_addresses(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to, in the resolver's order. Raises ``UnsafeURL``
    when any of them is not public: which one a connection would get is not ours to say."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:
        raise FetchError(f"cannot resolve {host}: {exc}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in sorted(addresses):
        if not is_public(address):
            raise UnsafeURL(f"{host} resolves to {address}, which is not a public "
                            f"address; {ALLOW_HINT}")
    return addresses


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
    except ValueError as exc:
        raise FetchError(f"not a valid URL: {url[:200]!r} ({exc})") from None
    public_addresses(parts.hostname, port)


class PublicOnlyBackend(httpcore.SyncBackend):
    """Opens TCP connections only to addresses it has just checked: it resolves the host
    itself and connects to those addresses, never letting the socket resolve the name a
    second time. TLS is unaffected: httpcore starts it on this stream with the URL's host
    as the server name (SNI, certificate check), and the Host header is the URL's."""

    def __init__(self, allow_private: bool, allowed_hosts: Collection[str]) -> None:
        self.allow_private = allow_private
        self.allowed_hosts = {h.lower() for h in allowed_hosts}

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
                    ) -> httpcore.NetworkStream:
        if self.allow_private or host.lower() in self.allowed_hosts:
            return super().connect_tcp(host, port, timeout, local_address, socket_options)
        failure: Exception | None = None
        for address in public_addresses(host, port):
            try:
                return super().connect_tcp(address, port, timeout, local_address,
                                           socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc  # the next address, as socket.create_connection would
        raise failure or httpcore.ConnectError(f"{host} resolves to no address")


def public_transport(allow_private: bool, allowed_hosts: Collection[str]) -> httpx.HTTPTransport:
    """An httpx transport whose connections go through ``PublicOnlyBackend``. httpx takes
    no network backend, so its connection pool is replaced by an equal one that has it
    (httpcore's public ``ConnectionPool(network_backend=...)``). Being a transport of our
    own, it also ignores proxy variables: through a proxy the address could not be checked."""
    ssl_context = httpx.create_ssl_context()
    transport = httpx.HTTPTransport(verify=ssl_context)
    if not isinstance(getattr(transport, "_pool", None), httpcore.ConnectionPool):
        raise RuntimeError("this httpx keeps no httpcore.ConnectionPool in HTTPTransport._pool;"
                           " the address check cannot be attached to its connections")
    transport._pool.close()
    transport._pool = httpcore.ConnectionPool(
        ssl_context=ssl_context, max_connections=20, max_keepalive_connections=10,
        keepalive_expiry=5.0, network_backend=PublicOnlyBackend(allow_private, allowed_hosts))
    return transport
