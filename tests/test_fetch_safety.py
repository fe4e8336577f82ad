"""What the fetcher may reach, against a real HTTP server on loopback: a name that rebinds
to a private address between the check and the connection (DNS rebinding) is refused, an
allowed name keeps its Host header, and `articleqa ingest URL` and `POST /api/articles` go
through the same checks as feeds.

The rebinding name is answered by a stand-in for the system resolver (``socket.getaddrinfo``),
as a rebinding DNS server would answer; everything of ours runs as it does in the service."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from qa.config import Settings
from qa.errors import UnsafeURL
from qa.sources.fetch import Fetcher
from tests.conftest import make_settings
from tests.feedserver import Site, page
from tests.test_api import assert_error
from tests.test_feeds import HARBOUR, cli

REBINDING = "rebind.test"
PUBLIC = "93.184.216.34"


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """``rebind.test`` resolves to a public address the first time it is asked and to
    127.0.0.1 every time after; the names looked up are recorded. Other names resolve as
    usual."""
    asked: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name != REBINDING:
            return real(host, port, *args, **kwargs)
        asked.append(name)
        address = PUBLIC if len(asked) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "",
                 (address, int(port)))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def _fetcher(tmp_path: Path, **overrides: Any) -> Fetcher:
    settings: Settings = make_settings(tmp_path, fetch_host_interval=0, fetch_timeout=2,
                                       **overrides)
    return Fetcher(settings)


def test_a_name_that_rebinds_to_a_private_address_is_refused(
        site: Site, resolver: list[str], tmp_path: Path) -> None:
    site.put("/story", page("Harbour reopens", *HARBOUR))
    port = site.base.rsplit(":", 1)[1]
    with _fetcher(tmp_path) as fetcher, pytest.raises(
            UnsafeURL, match=r"rebind\.test resolves to 127\.0\.0\.1, which is not a public"):
        fetcher.get(f"http://{REBINDING}:{port}/story")
    # checked once (public), then resolved again where the connection is made: refused there
    assert len(resolver) >= 2
    assert site.requests == []  # nothing reached the loopback server, not even robots.txt


def test_an_allowed_name_is_fetched_with_its_own_host_header(
        site: Site, resolver: list[str], tmp_path: Path) -> None:
    site.put("/story", page("Harbour reopens", *HARBOUR))
    port = site.base.rsplit(":", 1)[1]
    resolver.append("taken")  # resolves to 127.0.0.1 from now on
    with _fetcher(tmp_path, allowed_private_hosts=REBINDING) as fetcher:
        got = fetcher.get(f"http://{REBINDING}:{port}/story")
    assert got.status == 200 and b"Ferries to the islands" in got.content
    assert site.seen("/story")[0]["host"] == f"{REBINDING}:{port}"


def test_the_fetcher_ignores_proxy_variables(site: Site, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy would resolve the name itself, past the check: the fetcher connects directly."""
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    site.put("/story", page("Harbour reopens", *HARBOUR))
    with _fetcher(tmp_path, allow_private_urls=True) as fetcher:
        assert fetcher.get(site.base + "/story").status == 200


# -- articleqa ingest URL --------------------------------------------------------------
def test_ingesting_a_private_url_is_refused_unless_allowed(site: Site, tmp_path: Path) -> None:
    url = site.put("/story.html", page("Harbour reopens", *HARBOUR))
    refused = cli(tmp_path, "ingest", url)
    assert refused.returncode == 1
    [line] = refused.stderr.strip().splitlines()
    assert line.startswith(f"failed: {url}: 127.0.0.1 resolves to 127.0.0.1, which is not a "
                           "public address") and "QA_ALLOW_PRIVATE_URLS=1" in line
    assert site.requests == []
    allowed = cli(tmp_path, "ingest", url, QA_ALLOW_PRIVATE_URLS="1")
    assert allowed.returncode == 0, allowed.stderr
    assert "1 new, 0 updated, 0 unchanged, 0 failed" in allowed.stdout
    assert [p for p, _ in site.requests] == ["/robots.txt", "/story.html"]  # robots.txt obeyed
    assert "Harbour reopens" in cli(tmp_path, "articles", "list").stdout


def test_ingesting_a_url_keeps_to_the_fetch_limits(site: Site, tmp_path: Path) -> None:
    site.put("/robots.txt", "User-agent: *\nDisallow: /private/\n", kind="text/plain")
    private = site.put("/private/story.html", page("Secret", *HARBOUR))
    huge = site.put("/huge.html", page("Huge", *HARBOUR * 200))
    port = site.base.rsplit(":", 1)[1]
    site.put("/moved.html", "", status=302, location=f"http://127.0.0.1:{port}/private/x")
    moved = f"http://localhost:{port}/moved.html"
    allow = {"QA_ALLOW_PRIVATE_URLS": "1", "QA_FETCH_MAX_BYTES": "20000"}
    run = cli(tmp_path, "ingest", private, huge, **allow)
    assert run.returncode == 1
    assert f"failed: {private}: robots.txt of 127.0.0.1 disallows {private}" in run.stderr
    assert f"failed: {huge}: {huge} is larger than the 20,000 byte limit" in run.stderr
    assert site.seen("/private/story.html") == []
    # localhost allowed by name; its redirect to 127.0.0.1, which is not, is checked again
    redirected = cli(tmp_path, "ingest", moved, QA_ALLOWED_PRIVATE_HOSTS="localhost")
    assert redirected.returncode == 1
    assert "127.0.0.1 resolves to 127.0.0.1, which is not a public address" in redirected.stderr
    assert site.seen("/private/x") == []


# -- POST /api/articles ----------------------------------------------------------------
def test_posting_an_article_with_a_url_fetches_nothing(site: Site,
                                                       serve: Callable[..., str]) -> None:
    """The API stores the article it is sent; its url is the article's link, never fetched."""
    url = serve(seed=False)
    story = site.put("/story.html", page("Harbour reopens", *HARBOUR))
    assert_error(httpx.post(f"{url}/api/articles", json={"url": story}, timeout=30), 422,
                 "invalid_input", "no text")
    sent = httpx.post(f"{url}/api/articles", timeout=30, json={
        "title": "Harbour reopens", "text": " ".join(HARBOUR), "url": story})
    assert sent.status_code == 200 and sent.json()["counts"]["new"] == 1
    assert site.requests == []
