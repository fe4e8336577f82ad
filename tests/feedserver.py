"""A real HTTP server on loopback (http.server in a thread) serving feeds and pages that a
test sets up, answering conditional requests with 304 and recording every request (the
``site`` fixture of tests/conftest.py)."""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    kind: str = "text/html; charset=utf-8"
    delay: float = 0.0
    """Seconds before answering (a slow page)."""
    location: str | None = None
    """A redirect's target."""
    etag: bool = True
    modified: str | None = None
    """A Last-Modified date to send (and to answer a matching If-Modified-Since with 304)."""


@dataclass
class Site:
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    base: str = ""

    def put(self, path: str, body: str | bytes, **options: object) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = Route(data, **options)  # type: ignore[arg-type]
        return self.base + path

    def seen(self, path: str) -> list[dict[str, str]]:
        """The headers of every request for ``path``."""
        return [headers for p, headers in self.requests if p == path]


@contextmanager
def serving() -> Iterator[Site]:
    site = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            path = self.path.split("?", 1)[0]  # as a news site, it ignores ?utm_source=…
            site.requests.append((path, headers))
            route = site.routes.get(path)
            if route is None:
                self._answer(404, b"not found", "text/plain")
                return
            time.sleep(route.delay)
            if route.location:
                self.send_response(route.status)
                self.send_header("Location", route.location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            tag = '"' + hashlib.sha256(route.body).hexdigest()[:12] + '"' if route.etag else None
            if (tag and headers.get("if-none-match") == tag) or (
                    route.modified and headers.get("if-modified-since") == route.modified):
                self.send_response(304)
                self._validators(tag, route.modified)
                self.end_headers()
                return
            self._answer(route.status, route.body, route.kind, tag, route.modified)

        def _answer(self, status: int, body: bytes, kind: str, tag: str | None = None,
                    modified: str | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self._validators(tag, modified)
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a client's limit
                self.wfile.write(body)

        def _validators(self, tag: str | None, modified: str | None) -> None:
            if tag:
                self.send_header("ETag", tag)
            if modified:
                self.send_header("Last-Modified", modified)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


def rss(title: str, items: list[dict[str, str]]) -> str:
    """An RSS 2.0 document; each item's keys are its elements (title, link, guid, …)."""
    body = "".join("<item>" + "".join(f"<{k}>{v}</{k}>" for k, v in item.items()) + "</item>"
                   for item in items)
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>{title}</title><link>http://example.org/</link>"
            f"<description>news</description>{body}</channel></rss>")


def atom(title: str, entries: list[dict[str, str]]) -> str:
    """An Atom 1.0 document; ``link`` becomes an alternate link, ``author`` a name."""
    def entry(e: dict[str, str]) -> str:
        parts = []
        for k, v in e.items():
            if k == "link":
                parts.append(f'<link rel="alternate" href="{v}"/>')
            elif k == "author":
                parts.append(f"<author><name>{v}</name></author>")
            else:
                parts.append(f"<{k}>{v}</{k}>")
        return "<entry>" + "".join(parts) + "</entry>"
    return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{title}</title><id>urn:test:{title}</id><updated>2024-05-01T00:00:00Z"
            f"</updated>{''.join(entry(e) for e in entries)}</feed>")


def page(title: str, *paragraphs: str) -> str:
    """A news page with one article."""
    text = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html><head><title>{title}</title></head><body><nav>Home | World</nav>"
            f"<article><h1>{title}</h1>{text}</article><footer>© Test</footer></body></html>")
