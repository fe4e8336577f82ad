"""Following feeds against a real HTTP server on loopback (tests/feedserver.py): RSS and
Atom, pages read with trafilatura, summaries when a page fails (404, too slow, too large,
robots.txt), conditional requests, re-polls and edits, a malformed feed, the address
checks, the pace, and the same over the CLI and the HTTP API."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from qa.engine import QAEngine
from qa.errors import UnsafeURL
from qa.index.embedding import Embedder
from qa.intake import Intake
from qa.sources.safety import check_url, is_public
from tests.conftest import NO_MODELS, ROOT, make_settings
from tests.feedserver import Site, atom, page, rss
from tests.test_api import assert_error
from tests.uploads import wait_job

HARBOUR = ("The harbour of Bergen reopened on Monday after a storm closed it for three days, "
           "the port authority said.", "Ferries to the islands ran on time again by noon.")
TRAINS = ("Night trains between Oslo and Trondheim will run daily from June, the railway "
          "said on Tuesday.", "Tickets go on sale next week.")
KEY = "feed-test-key-7731"


def news_site(site: Site) -> str:
    site.put("/harbour", page("Harbour reopens", *HARBOUR))
    site.put("/trains", page("Night trains return", *TRAINS))
    return site.put("/feed.xml", rss("Fjord Gazette", [
        {"title": "Harbour reopens after storm", "link": site.base + "/harbour?utm_source=rss",
         "guid": "harbour-1", "pubDate": "Mon, 06 May 2024 09:00:00 GMT",
         "description": "The harbour is open again."},
        {"title": "Night trains return", "link": site.base + "/trains", "guid": "trains-1",
         "pubDate": "Tue, 07 May 2024 10:00:00 GMT", "description": "Trains are back."},
    ]), kind="application/rss+xml")


def test_rss_items_become_articles_with_the_items_fields(site: Site,
                                                        make_intake: Callable[..., Intake]) -> None:
    intake = make_intake()
    url = news_site(site)
    intake.add_feed(url)
    [report] = intake.poll_now()
    assert report.status == "ok" and report.counts.new == 2 and report.counts.summaries == 0
    by_title = {o["title"]: o for o in report.outcomes}
    article = intake.engine.get_article(by_title["Harbour reopens after storm"]["article_id"])
    assert article.url == site.base + "/harbour"  # canonical: the tracking parameter is gone
    assert article.source == "Fjord Gazette"
    assert article.published_at is not None and article.published_at.isoformat() == "2024-05-06"
    assert "Ferries to the islands ran on time" in article.text  # the page, not the summary
    assert "Home | World" not in article.text and not article.from_summary
    answer = intake.engine.ask("When did the harbour of Bergen reopen?")
    assert not answer.refused and answer.citations[0].article_id == article.id
    [feed] = intake.list_feeds()
    assert feed.last_status == "ok" and feed.title == "Fjord Gazette"
    assert feed.last_counts.new == 2 and feed.articles == 2


def test_atom_entries_keep_their_author_and_date(site: Site,
                                                 make_intake: Callable[..., Intake]) -> None:
    intake = make_intake()
    site.put("/trains", page("Night trains return", *TRAINS))
    url = site.put("/atom.xml", atom("Rail Weekly", [
        {"title": "Night trains return", "link": site.base + "/trains", "id": "urn:trains",
         "updated": "2024-05-07T10:00:00Z", "author": "Kari Nordmann",
         "summary": "Trains are back."}]), kind="application/atom+xml")
    intake.add_feed(url)
    [report] = intake.poll_now()
    assert report.counts.new == 1
    article = intake.engine.get_article(report.outcomes[0]["article_id"])
    assert article.authors == ["Kari Nordmann"] and article.source == "Rail Weekly"
    assert str(article.published_at) == "2024-05-07" and "Tickets go on sale" in article.text


def test_a_page_in_a_legacy_encoding_is_read_by_its_own_meta_charset(
        site: Site, make_intake: Callable[..., Intake]) -> None:
    intake = make_intake()
    html = ('<html><head><meta charset="iso-8859-1"><title>Ferjer i Tromsø</title></head><body>'
            "<article><h1>Ferjer i Tromsø</h1><p>Ferjene i Tromsø gikk som normalt på mandag "
            "etter stormen, sa havnesjefen.</p><p>Øyene fikk strøm igjen.</p></article>"
            "</body></html>")
    site.put("/tromso", html.encode("latin-1"), kind="text/html")  # no charset in the header
    url = site.put("/feed.xml", rss("Nordlys", [
        {"title": "Ferjer i Tromsø", "link": site.base + "/tromso", "guid": "t1"}]))
    intake.add_feed(url)
    [report] = intake.poll_now()
    article = intake.engine.get_article(report.outcomes[0]["article_id"])
    assert not article.from_summary and "Øyene fikk strøm igjen." in article.text


def test_one_feed_is_never_queued_twice(site: Site, make_intake: Callable[..., Intake]) -> None:
    intake = make_intake()  # not started: its jobs wait
    intake.add_feed(news_site(site))
    [queued] = intake.poll_jobs()
    assert intake.enqueue_due() == []  # due, but a poll is already waiting
    assert [j.id for j in intake.poll_jobs()] == [queued.id]
    assert len(intake.jobs.unfinished()) == 1


@pytest.mark.parametrize(("route", "reason"), [
    ({}, "HTTP 404"),
    ({"body": page("Slow", *HARBOUR), "delay": 3.5}, "timed out"),
    ({"body": page("Huge", *HARBOUR * 2000)}, "larger than the 100,000 byte limit"),
])
def test_a_page_that_cannot_be_read_leaves_the_items_summary_marked(
        site: Site, make_intake: Callable[..., Intake], route: dict[str, Any],
        reason: str) -> None:
    intake = make_intake()
    if route:
        site.put("/story", route.pop("body"), **route)
    url = site.put("/feed.xml", rss("Fjord Gazette", [
        {"title": "Storm closes harbour", "link": site.base + "/story", "guid": "s1",
         "description": "&lt;p&gt;A storm closed the harbour of Bergen for three days.&lt;/p&gt;"
                        "&lt;p&gt;Ferries stayed in port.&lt;/p&gt;"}]))
    intake.add_feed(url)
    [report] = intake.poll_now()
    [outcome] = report.outcomes
    assert outcome["status"] == "new" and outcome["summary"] is True
    assert reason in outcome["reason"]
    assert report.counts.summaries == 1
    article = intake.engine.get_article(outcome["article_id"])
    assert article.from_summary
    assert article.text == "A storm closed the harbour of Bergen for three days.\nFerries " \
                           "stayed in port."
    listed = intake.engine.list_articles()
    assert [row["from_summary"] for row in listed] == [True]


def test_a_repoll_sends_the_etag_and_adds_nothing(site: Site,
                                                  make_intake: Callable[..., Intake]) -> None:
    intake = make_intake()
    url = news_site(site)
    intake.add_feed(url)
    intake.poll_now()
    pages = len(site.seen("/harbour"))
    [again] = intake.poll_now()
    sent = site.seen("/feed.xml")[-1]
    assert sent.get("if-none-match", "").startswith('"')  # the server answered 304
    assert again.status == "not_modified" and again.outcomes == []
    # the page re-checked, conditionally (tests/test_feed_pages.py): 304, nothing read
    assert len(site.seen("/harbour")) == pages + 1
    assert site.seen("/harbour")[-1].get("if-none-match", "").startswith('"')
    assert again.rechecked == 2 and again.counts.updated == 0
    assert intake.engine.count_articles() == 2
    assert intake.list_feeds()[0].last_status == "not_modified"
    site.routes["/feed.xml"].etag = False  # no validators: the items are compared instead
    [third] = intake.poll_now()
    assert third.status == "ok" and third.counts.unchanged == 2 and third.counts.new == 0
    assert intake.engine.count_articles() == 2


def test_an_edited_item_replaces_its_article(site: Site,
                                             make_intake: Callable[..., Intake]) -> None:
    intake = make_intake()
    url = news_site(site)
    intake.add_feed(url)
    [first] = intake.poll_now()
    old_id = next(o["article_id"] for o in first.outcomes if "Night" in o["title"])
    site.put("/trains", page("Night trains return", "Night trains between Oslo and Trondheim "
                             "will run twice a week from July, the railway said."))
    feed = site.routes["/feed.xml"].body.decode().replace("Tue, 07 May 2024 10:00:00",
                                                          "Wed, 08 May 2024 08:00:00")
    site.put("/feed.xml", feed, kind="application/rss+xml")
    [second] = intake.poll_now()
    assert second.counts.updated == 1 and second.counts.unchanged == 1
    assert second.counts.new == 0 and intake.engine.count_articles() == 2
    article = intake.engine.get_article(old_id)
    assert "twice a week from July" in article.text and "daily from June" not in article.text


def test_a_malformed_feed_is_a_clear_error_and_loses_nothing(
        site: Site, make_intake: Callable[..., Intake]) -> None:
    intake = make_intake()
    url = news_site(site)
    intake.add_feed(url)
    intake.poll_now()
    site.put("/feed.xml", "<html><body>We moved! <b>Not a feed</b></body></html>")
    [report] = intake.poll_now()
    assert report.status == "error" and "is not an RSS or Atom feed" in str(report.error)
    assert intake.engine.count_articles() == 2
    [feed] = intake.list_feeds()
    assert feed.last_status == "error" and "not an RSS or Atom feed" in str(feed.last_error)
    assert feed.articles == 2


def test_items_above_the_limit_wait_for_the_next_poll(site: Site,
                                                      make_intake: Callable[..., Intake]) -> None:
    intake = make_intake(feed_max_items=1)
    url = news_site(site)
    intake.add_feed(url)
    [first] = intake.poll_now()
    assert first.counts.new == 1 and first.counts.deferred == 1
    [feed] = intake.list_feeds()  # due again in a minute, not an interval
    assert feed.next_poll - feed.last_poll == pytest.approx(60, abs=1)  # type: ignore[operator]
    assert feed.last_counts.deferred == 1
    [second] = intake.poll_now()  # no 304: the validators were not kept
    assert second.counts.new == 1 and second.counts.deferred == 0
    assert intake.engine.count_articles() == 2


def test_robots_txt_is_obeyed(site: Site, make_intake: Callable[..., Intake]) -> None:
    intake = make_intake()
    site.put("/robots.txt", "User-agent: *\nDisallow: /private/\n", kind="text/plain")
    site.put("/private/story", page("Secret", *HARBOUR))
    url = site.put("/feed.xml", rss("Fjord Gazette", [
        {"title": "Storm", "link": site.base + "/private/story", "guid": "p1",
         "description": "A storm closed the harbour."}]))
    intake.add_feed(url)
    [report] = intake.poll_now()
    assert "robots.txt" in report.outcomes[0]["reason"] and report.outcomes[0]["summary"]
    assert site.seen("/private/story") == []


def test_requests_to_one_host_keep_their_pace(site: Site,
                                              make_intake: Callable[..., Intake]) -> None:
    intake = make_intake(fetch_host_interval=0.4)
    site.put("/a", "a")
    started = time.monotonic()
    for _ in range(3):
        intake.fetcher.get(site.base + "/a")
    # robots.txt and three pages: four requests, three waits
    assert time.monotonic() - started >= 1.1


@pytest.mark.parametrize(("address", "public"), [
    ("93.184.216.34", True), ("2606:4700::1111", True), ("127.0.0.1", False),
    ("10.1.2.3", False), ("192.168.0.10", False), ("172.16.5.4", False),
    ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False), ("::1", False),
    ("fe80::1", False), ("fd00::1", False), ("::ffff:127.0.0.1", False),
    ("::ffff:93.184.216.34", True), ("224.0.0.1", False),
])
def test_only_public_addresses_count_as_public(address: str, public: bool) -> None:
    assert is_public(address) is public


def test_private_urls_are_refused_unless_allowed(site: Site,
                                                 make_intake: Callable[..., Intake]) -> None:
    with pytest.raises(UnsafeURL, match="QA_ALLOW_PRIVATE_URLS"):
        check_url("http://127.0.0.1:9/feed.xml", allow_private=False)
    check_url("http://127.0.0.1:9/feed.xml", allow_private=True)
    intake = make_intake(allow_private_urls=False)
    with pytest.raises(UnsafeURL, match=r"127\.0\.0\.1, which is not a public address"):
        intake.add_feed(news_site(site))
    assert intake.list_feeds() == [] and site.requests == []


def test_a_redirect_to_a_private_address_is_refused(site: Site,
                                                    make_intake: Callable[..., Intake]) -> None:
    """``localhost`` is allowed by name (an intranet host); its redirect to 127.0.0.1, which
    is not, is checked again and refused before anything is asked of it."""
    intake = make_intake(allow_private_urls=False, allowed_private_hosts="localhost")
    port = site.base.rsplit(":", 1)[1]
    site.put("/secret.xml", rss("Internal", []))
    site.put("/feed.xml", "", status=302, location=f"http://127.0.0.1:{port}/secret.xml")
    intake.add_feed(f"http://localhost:{port}/feed.xml")
    [report] = intake.poll_now()
    assert report.status == "error"
    assert "127.0.0.1 resolves to 127.0.0.1, which is not a public address" in str(report.error)
    assert site.seen("/feed.xml") and site.seen("/secret.xml") == []


# -- the CLI -------------------------------------------------------------------------------
def cli(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    environ |= {"QA_MODELS_DIR": str(NO_MODELS), "QA_DATA_DIR": str(data_dir),
                "QA_FETCH_HOST_INTERVAL": "0", "PYTHONWARNINGS": "ignore", **env}
    return subprocess.run([sys.executable, "-m", "qa.cli", *args], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=300)


def test_the_cli_adds_polls_lists_and_removes_feeds(site: Site, tmp_path: Path) -> None:
    url = news_site(site)
    refused = cli(tmp_path, "feeds", "add", url)
    assert refused.returncode == 1 and "QA_ALLOW_PRIVATE_URLS=1" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    allow = {"QA_ALLOW_PRIVATE_URLS": "1"}
    added = cli(tmp_path, "feeds", "add", url, "--interval", "30", **allow)
    assert added.returncode == 0 and "every 30 min" in added.stdout
    polled = cli(tmp_path, "feeds", "poll", **allow)
    assert polled.returncode == 0, polled.stderr
    assert f"{url}: 2 new, 0 updated, 0 unchanged, 0 failed" in polled.stdout
    listed = cli(tmp_path, "feeds", "list").stdout
    assert url in listed and "Fjord Gazette" in listed and "2 articles" in listed
    site.put("/feed.xml", "not a feed at all")
    broken = cli(tmp_path, "feeds", "poll", **allow)
    assert broken.returncode == 1 and "not an RSS or Atom feed" in broken.stderr
    assert "error: " in cli(tmp_path, "feeds", "list").stdout
    assert cli(tmp_path, "feeds", "remove", url).returncode == 0
    gone = cli(tmp_path, "feeds", "remove", url)
    assert gone.returncode == 1 and "no feed" in gone.stderr
    assert "no feeds" in cli(tmp_path, "feeds", "list").stdout
    assert "Harbour reopens" in cli(tmp_path, "articles", "list").stdout  # articles stay


# -- the HTTP API --------------------------------------------------------------------------
def test_the_api_follows_a_feed_as_a_job(site: Site, serve: Callable[..., str]) -> None:
    feed_url = news_site(site)
    url = serve(seed=False, allow_private_urls=True, fetch_host_interval=0, api_key=KEY)
    auth = {"Authorization": f"Bearer {KEY}"}
    assert_error(httpx.post(f"{url}/api/feeds", json={"url": feed_url}), 401, "unauthorized")
    assert_error(httpx.post(f"{url}/api/feeds", json={"url": "ftp://x"}, headers=auth), 422,
                 "invalid_request")
    added = httpx.post(f"{url}/api/feeds", json={"url": feed_url, "interval_minutes": 5},
                       headers=auth)
    assert added.status_code == 201, added.text
    assert added.json()["feed"]["interval_minutes"] == 5
    job = wait_job(url, added.json()["job"]["id"])
    assert job["status"] == "done" and job["kind"] == "poll"
    assert job["counts"]["new"] == 2 and job["progress"] == {"done": 2, "total": 2}
    [feed] = httpx.get(f"{url}/api/feeds").json()["feeds"]
    assert feed["last_status"] == "ok" and feed["last_counts"]["new"] == 2
    assert "etag" not in feed and feed["articles"] == 2
    assert httpx.get(f"{url}/api/articles").json()["total"] == 2
    polled = httpx.post(f"{url}/api/feeds/poll", headers=auth)
    assert polled.status_code == 202
    again = wait_job(url, polled.json()["jobs"][0]["id"])
    assert again["status"] == "done" and again["outcomes"] == []
    assert httpx.get(f"{url}/api/feeds").json()["feeds"][0]["last_status"] == "not_modified"
    listed = httpx.get(f"{url}/api/jobs").json()["jobs"]
    assert [j["id"] for j in listed[:2]] == [again["id"], job["id"]]
    assert_error(httpx.delete(f"{url}/api/feeds", params={"url": feed_url}), 401, "unauthorized")
    removed = httpx.delete(f"{url}/api/feeds", params={"url": feed_url}, headers=auth)
    assert removed.status_code == 200 and removed.json() == {"removed": feed_url}
    assert_error(httpx.delete(f"{url}/api/feeds", params={"url": feed_url}, headers=auth), 404,
                 "not_found")
    assert_error(httpx.get(f"{url}/api/jobs/nope"), 404, "not_found")


def test_the_api_refuses_a_private_feed_and_reports_a_broken_one(
        site: Site, serve: Callable[..., str]) -> None:
    url = serve(seed=False)
    refused = httpx.post(f"{url}/api/feeds", json={"url": news_site(site)})
    assert_error(refused, 422, "invalid_input", "QA_ALLOW_PRIVATE_URLS=1")
    assert httpx.get(f"{url}/api/feeds").json()["feeds"] == [] and site.requests == []
    open_url = serve(seed=False, allow_private_urls=True, fetch_host_interval=0)
    broken = site.put("/broken.xml", "<rss><channel><item><title>half")
    job = wait_job(open_url, httpx.post(f"{open_url}/api/feeds",
                                        json={"url": broken}).json()["job"]["id"])
    # read as far as it goes: one item with nothing in it, which fails, and nothing stored
    assert job["status"] == "failed" and "nothing was ingested" not in job["error"]
    assert job["counts"]["failed"] == 1 and "no text" in job["outcomes"][0]["reason"]
    [feed] = httpx.get(f"{open_url}/api/feeds").json()["feeds"]
    assert feed["last_status"] == "ok" and feed["last_counts"]["failed"] == 1
    site.put("/gone.xml", b"", status=500)
    job = wait_job(open_url, httpx.post(f"{open_url}/api/feeds", json={
        "url": site.base + "/gone.xml"}).json()["job"]["id"])
    assert job["status"] == "failed" and "HTTP 500" in job["error"]


def test_the_service_polls_a_feed_when_due_and_stops_cleanly(
        site: Site, tmp_path: Path, embedder: Embedder) -> None:
    settings = make_settings(tmp_path / "store", allow_private_urls=True, fetch_host_interval=0)
    intake = Intake(QAEngine(settings, embedder=embedder), tick=0.1)
    intake.add_feed(news_site(site), interval_minutes=60)
    intake.start()
    try:
        deadline = time.monotonic() + 60
        while intake.list_feeds()[0].last_poll is None:
            assert time.monotonic() < deadline, "the feed was never polled"
            time.sleep(0.1)
        time.sleep(1.0)  # ten more ticks: not due again for an hour
        polls = [j for j in intake.recent_jobs() if j.kind == "poll"]
        assert len(polls) == 1 and polls[0].status == "done" and polls[0].counts["new"] == 2
        assert len(site.seen("/feed.xml")) == 1
        [feed] = intake.list_feeds()
        assert feed.next_poll - feed.last_poll == pytest.approx(3600, abs=1)  # type: ignore[operator]
        threads = intake.running
    finally:
        intake.close()
    assert threads and not intake.running
