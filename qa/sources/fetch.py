"""Fetching feeds and pages for the service: public addresses only (every redirect checked
again, and every connection made to the very addresses checked), robots.txt obeyed, a
deadline and a size limit on each fetch, a pace per host and a cap on requests a minute, and
conditional requests (ETag, Last-Modified) answered by 304."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from qa.config import Settings
from qa.errors import FetchError, UnsafeURL
from qa.sources.safety import check_url, public_transport

USER_AGENT = "articleqa/0.1 (+feeds)"
MAX_REDIRECTS = 5
ROBOTS_TTL = 3600.0
WINDOW_S = 60.0
"""The span of QA_FETCH_PAGES_PER_MINUTE."""


class OverBudget(Exception):
    """A fetch that must not wait found this minute's requests spent (nothing was sent)."""


@dataclass(frozen=True)
class Page:
    """What a fetch got: ``status`` 200 with the body, or 304 (unchanged, no body)."""

    url: str
    status: int
    content: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def markup(self) -> str | bytes:
        """The body for an HTML reader: decoded when the server names its charset, else the
        bytes as sent (the reader then finds the page's own ``<meta charset>``)."""
        return self.text if "charset=" in self.headers.get("content-type", "") else self.content

    @property
    def text(self) -> str:
        """The body decoded with the charset the server named (else UTF-8, replacing)."""
        kind = self.headers.get("content-type", "")
        charset = kind.partition("charset=")[2].split(";")[0].strip().strip('"') or "utf-8"
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")


class Fetcher:
    """One fetcher a process: it keeps the pace and the robots.txt rules of every host."""

    def __init__(self, settings: Settings) -> None:
        self.allow_private = settings.allow_private_urls
        self.allowed_hosts = settings.private_host_list()
        self.timeout = settings.fetch_timeout
        self.max_bytes = settings.fetch_max_bytes
        self.per_minute = settings.fetch_pages_per_minute
        self.host_interval = settings.fetch_host_interval
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._recent: deque[float] = deque()
        self._robots: dict[str, tuple[float, RobotFileParser | None]] = {}

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
            self._client = None

    def _http(self) -> httpx.Client:
        """The HTTP client, made at the first fetch (an ingest of files never needs one)."""
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(
                    transport=public_transport(self.allow_private, self.allowed_hosts),
                    timeout=self.timeout, follow_redirects=False,
                    headers={"User-Agent": USER_AGENT})
            return self._client

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def get(self, url: str, etag: str | None = None, last_modified: str | None = None, *,
            wait: bool = True, keep_free: int = 0) -> Page:
        """The page at ``url`` (following redirects, each checked), or 304 when the server
        says the copy named by ``etag``/``last_modified`` is current. Raises ``FetchError``
        (``UnsafeURL`` for an address that is not public). With ``wait`` false, a request
        the minute's cap has no room for (leaving ``keep_free`` requests of it for others)
        raises ``OverBudget`` at once instead of waiting for the minute to turn."""
        headers = {k: v for k, v in (("If-None-Match", etag),
                                     ("If-Modified-Since", last_modified)) if v}
        deadline = time.monotonic() + self.timeout
        budget = (wait, keep_free)
        for _ in range(MAX_REDIRECTS + 1):
            check_url(url, self.allow_private, self.allowed_hosts)
            if not self._robots_allow(url, budget):
                raise FetchError(f"robots.txt of {urlsplit(url).hostname} disallows {url}")
            page, location = self._request(url, headers, deadline, budget)
            if page is not None:
                return page
            url = location
        raise FetchError(f"more than {MAX_REDIRECTS} redirects from {url}")

    def _request(self, url: str, headers: dict[str, str], deadline: float,
                 budget: tuple[bool, int] = (True, 0)) -> tuple[Page | None, str]:
        self._pace(urlsplit(url).netloc.lower(), *budget)
        try:
            with self._http().stream("GET", url, headers=headers) as response:
                if response.is_redirect and "location" in response.headers:
                    return None, urljoin(url, response.headers["location"])
                found = {k.lower(): v for k, v in response.headers.items()}
                if response.status_code == 304:
                    return Page(url, 304, headers=found), url
                if response.status_code >= 400:
                    raise FetchError(f"could not fetch {url}: HTTP {response.status_code}")
                return Page(url, response.status_code, self._body(response, url, deadline),
                            found), url
        except httpx.TimeoutException:
            raise FetchError(f"could not fetch {url}: timed out after {self.timeout:g} s"
                             ) from None
        except httpx.HTTPError as exc:
            raise FetchError(f"could not fetch {url}: {type(exc).__name__} {exc}".strip()
                             ) from None

    def _body(self, response: httpx.Response, url: str, deadline: float) -> bytes:
        too_large = FetchError(f"{url} is larger than the {self.max_bytes:,} byte limit "
                               "(QA_FETCH_MAX_BYTES)")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise too_large
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise too_large
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout("deadline")
            chunks.append(chunk)
        return b"".join(chunks)

    def _pace(self, host: str, wait_for_cap: bool = True, keep_free: int = 0) -> None:
        """Waits until ``host`` may be asked again and the minute's cap allows a request
        (or raises ``OverBudget`` when the cap does not and ``wait_for_cap`` is false)."""
        while True:
            with self._lock:
                now = time.monotonic()
                while self._recent and now - self._recent[0] >= WINDOW_S:
                    self._recent.popleft()
                wait = self._last.get(host, -1e9) + self.host_interval - now
                if len(self._recent) + (0 if wait_for_cap else keep_free) >= self.per_minute:
                    if not wait_for_cap:
                        raise OverBudget(f"{self.per_minute} requests a minute "
                                         "(QA_FETCH_PAGES_PER_MINUTE) reached")
                    wait = max(wait, self._recent[0] + WINDOW_S - now)
                if wait <= 0:
                    self._last[host] = now
                    self._recent.append(now)
                    return
            time.sleep(min(wait, 5.0))

    def _robots_allow(self, url: str, budget: tuple[bool, int]) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            cached = self._robots.get(origin)
        if cached is None or time.monotonic() - cached[0] > ROBOTS_TTL:
            cached = (time.monotonic(), self._read_robots(origin, budget))
            with self._lock:
                self._robots[origin] = cached
        rules = cached[1]
        return rules is None or rules.can_fetch(USER_AGENT, url)

    def _read_robots(self, origin: str, budget: tuple[bool, int]) -> RobotFileParser | None:
        """The site's rules; none (all allowed) when it has no robots.txt or it cannot be
        read; everything disallowed when the server refuses it (401, 403), as crawlers do.
        A refused address or a spent budget is raised, not taken for an absent robots.txt."""
        rules = RobotFileParser()
        try:
            page, _ = self._request(origin + "/robots.txt", {}, time.monotonic() + self.timeout,
                                    budget)
        except UnsafeURL:
            raise
        except FetchError as exc:
            if "HTTP 401" in str(exc) or "HTTP 403" in str(exc):
                rules.parse(["User-agent: *", "Disallow: /"])
                return rules
            return None
        if page is None:  # a redirected robots.txt: not followed, read as absent
            return None
        rules.parse(page.text.splitlines())
        return rules
