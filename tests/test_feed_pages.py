"""The pages behind feed items, against a real HTTP server on loopback: a page edited under
an unchanged item is asked for again (conditionally) and replaces its article; and a poll
never fetches more than the minute's cap, leaving the rest for the next poll, losing nothing."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from qa.engine import QAEngine
from qa.feeds.registry import FeedRegistry
from qa.index.embedding import Embedder
from qa.intake import Intake
from tests.conftest import make_settings
from tests.feedserver import Site, page, rss
from tests.test_feeds import news_site

TRAINS_NOW = ("Night trains between Oslo and Trondheim will run twice a week from July, the "
              "railway said on Wednesday.", "The June timetable was withdrawn.")


def _followed(site: Site, make_intake: Callable[..., Intake]) -> tuple[Intake, str]:
    """An intake that has read the news site's feed once, and the trains article's id."""
    intake = make_intake()
    intake.add_feed(news_site(site))
    intake.poll_now()
    [row] = [r for r in intake.engine.list_articles() if "Night" in r["title"]]
    return intake, str(row["id"])


def _passages(intake: Intake, article_id: str) -> list[str]:
    return [text for pid, text, _ in intake.engine.store.iter_passages()
            if pid.startswith(article_id + ":")]


def test_an_edited_page_under_an_unchanged_item_replaces_its_article(
        site: Site, make_intake: Callable[..., Intake]) -> None:
    intake, trains = _followed(site, make_intake)
    site.put("/trains", page("Night trains return", *TRAINS_NOW))  # the feed stays as it was
    [second] = intake.poll_now()
    assert second.status == "not_modified"  # the feed: 304
    assert second.counts.updated == 1 and second.counts.new == 0 and second.rechecked == 2
    [outcome] = second.outcomes
    assert outcome["status"] == "updated" and outcome["rechecked"] is True
    assert outcome["article_id"] == trains
    assert intake.engine.count_articles() == 2
    article = intake.engine.get_article(trains)
    assert "twice a week from July" in article.text and "daily from June" not in article.text
    assert article.title == "Night trains return" and article.source == "Fjord Gazette"
    assert str(article.published_at) == "2024-05-07" and not article.from_summary
    passages = _passages(intake, trains)
    assert passages and not any("daily from June" in p for p in passages)  # replaced, not added
    answer = intake.engine.ask("How often will the night trains between Oslo and Trondheim "
                               "run from July?")
    assert not answer.refused
    assert any(c.article_id == trains and "twice a week" in c.quote for c in answer.citations)
    [feed] = intake.list_feeds()
    assert feed.last_status == "not_modified" and feed.last_counts.updated == 1
    assert feed.articles == 2
    # nothing changed since: each page is asked for with its ETag and answered 304
    asked = len(site.seen("/trains"))
    [third] = intake.poll_now()
    assert third.outcomes == [] and third.counts.updated == 0 and third.rechecked == 2
    assert len(site.seen("/trains")) == asked + 1
    assert site.seen("/trains")[-1].get("if-none-match", "").startswith('"')
    assert intake.engine.count_articles() == 2
    assert intake.engine.get_article(trains).text == article.text
    assert intake.list_feeds()[0].last_counts.updated == 1  # the poll that read something


def test_a_page_with_only_a_date_is_asked_for_if_modified_since(
        site: Site, make_intake: Callable[..., Intake]) -> None:
    intake = make_intake()
    stamp = "Tue, 07 May 2024 10:00:00 GMT"
    site.put("/trains", page("Night trains return", "Night trains will run daily from June, "
                             "the railway said."), etag=False, modified=stamp)
    url = site.put("/feed.xml", rss("Fjord Gazette", [
        {"title": "Night trains return", "link": site.base + "/trains", "guid": "t1"}]),
        etag=False, modified="Tue, 07 May 2024 10:05:00 GMT")
    intake.add_feed(url)
    intake.poll_now()
    [again] = intake.poll_now()
    assert again.status == "not_modified" and again.outcomes == []
    sent = site.seen("/trains")[-1]
    assert sent.get("if-modified-since") == stamp and "if-none-match" not in sent
    newer = "Wed, 08 May 2024 08:00:00 GMT"
    site.put("/trains", page("Night trains return", *TRAINS_NOW), etag=False, modified=newer)
    [edited] = intake.poll_now()
    assert [o["status"] for o in edited.outcomes] == ["updated"]
    [_, sent] = site.seen("/trains")[-2:]
    assert sent.get("if-modified-since") == stamp
    intake.poll_now()
    assert site.seen("/trains")[-1].get("if-modified-since") == newer


def test_a_page_that_fails_when_asked_again_keeps_its_article(
        site: Site, make_intake: Callable[..., Intake]) -> None:
    intake, trains = _followed(site, make_intake)
    text = intake.engine.get_article(trains).text
    site.put("/trains", b"", status=500)
    [report] = intake.poll_now()
    assert report.outcomes == [] and report.counts.updated == report.counts.failed == 0
    site.put("/trains", "<html><head><title>Moved</title></head><body><img src=x></body>"
                        "</html>")  # no article text now
    [report] = intake.poll_now()
    assert report.outcomes == []
    article = intake.engine.get_article(trains)
    assert article.text == text and not article.from_summary  # never downgraded


def test_a_summary_is_replaced_by_its_page_once_the_page_can_be_read(
        site: Site, make_intake: Callable[..., Intake]) -> None:
    intake = make_intake()
    url = site.put("/feed.xml", rss("Fjord Gazette", [
        {"title": "Night trains return", "link": site.base + "/trains", "guid": "t1",
         "description": "Trains are back."}]))
    intake.add_feed(url)
    [first] = intake.poll_now()  # the page 404s: the item's summary is stored
    [outcome] = first.outcomes
    assert outcome["summary"] and intake.engine.get_article(outcome["article_id"]).from_summary
    site.put("/trains", page("Night trains return", *TRAINS_NOW))
    [second] = intake.poll_now()
    assert [o["status"] for o in second.outcomes] == ["updated"]
    article = intake.engine.get_article(outcome["article_id"])
    assert not article.from_summary and "twice a week from July" in article.text
    assert intake.engine.count_articles() == 1


def test_a_deleted_article_is_not_brought_back(site: Site,
                                               make_intake: Callable[..., Intake]) -> None:
    intake, trains = _followed(site, make_intake)
    intake.engine.delete_article(trains)
    site.put("/trains", page("Night trains return", *TRAINS_NOW))
    [report] = intake.poll_now()
    assert report.outcomes == [] and intake.engine.count_articles() == 1


def test_only_items_first_seen_within_the_window_are_asked_for_again(
        site: Site, make_intake: Callable[..., Intake]) -> None:
    intake = make_intake(feed_recheck_days=1.5 / 86400)  # a second and a half
    intake.add_feed(news_site(site))
    intake.poll_now()
    [soon] = intake.poll_now()
    assert soon.rechecked == 2
    time.sleep(1.6)
    site.put("/trains", page("Night trains return", *TRAINS_NOW))
    asked = len(site.requests)
    [late] = intake.poll_now()
    assert late.rechecked == 0 and late.outcomes == []
    assert [p for p, _ in site.requests[asked:]] == ["/feed.xml"]
    off = make_intake(feed_recheck_days=0)
    off.add_feed(news_site(site))
    off.poll_now()
    asked = len(site.requests)
    [report] = off.poll_now()
    assert report.rechecked == 0 and [p for p, _ in site.requests[asked:]] == ["/feed.xml"]


# -- the cap on requests a minute --------------------------------------------------------
def test_a_poll_fetches_at_most_the_cap_and_leaves_the_rest_for_the_next(
        site: Site, tmp_path: Path, embedder: Embedder) -> None:
    """Each `articleqa feeds poll` is a process of its own, with the minute's cap to itself:
    three of them read a feed of five items under a cap of four requests a minute."""
    items = []
    for n in range(1, 6):
        site.put(f"/story{n}", page(f"Story {n}", f"Ferry route {n} reopened on Monday after "
                                    "the storm, the port authority said.", "Crews are back."))
        items.append({"title": f"Story {n}", "link": f"{site.base}/story{n}", "guid": f"s{n}",
                      "pubDate": f"Mon, 0{n} Apr 2024 09:00:00 GMT", "description": "Short."})
    url = site.put("/feed.xml", rss("Fjord Gazette", items))
    settings = make_settings(tmp_path / "store", allow_private_urls=True,
                             fetch_host_interval=0, fetch_pages_per_minute=4)

    def poll() -> tuple[list[str], list[str], float]:
        intake = Intake(QAEngine(settings, embedder=embedder))
        try:
            if not intake.list_feeds():
                intake.add_feed(url)
            asked = len(site.requests)
            [report] = intake.poll_now()
            [feed] = intake.list_feeds()
            return ([str(o["status"]) for o in report.outcomes],
                    [p for p, _ in site.requests[asked:]],
                    feed.next_poll - (feed.last_poll or 0))
        finally:
            intake.close()

    statuses, asked, due = poll()
    # robots.txt, the feed, two pages: the cap; the three older items wait, unread
    assert asked == ["/robots.txt", "/feed.xml", "/story5", "/story4"]
    assert statuses == ["new", "new", "deferred", "deferred", "deferred"]
    assert due == pytest.approx(60, abs=1)  # polled again in a minute, not in 15
    statuses, asked, due = poll()  # the feed in full again: its validators were kept
    assert asked == ["/robots.txt", "/feed.xml", "/story3", "/story2"]
    assert statuses == ["new", "new", "deferred"] and due == pytest.approx(60, abs=1)
    statuses, asked, due = poll()
    # the last item; no re-check of the others: it would leave less than half the cap
    assert asked == ["/robots.txt", "/feed.xml", "/story1"] and statuses == ["new"]
    assert due == pytest.approx(15 * 60, abs=1)
    engine = QAEngine(settings, embedder=embedder)
    rows = engine.list_articles()
    assert sorted(r["title"] for r in rows) == [f"Story {n}" for n in range(1, 6)]
    assert not any(r["from_summary"] for r in rows)  # every one read from its page


def test_a_feeds_file_from_before_the_rechecks_is_read_and_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "feeds.sqlite3"
    with sqlite3.connect(path) as db:  # the first schema, as an earlier version left it
        db.executescript("""
            CREATE TABLE feeds (url TEXT PRIMARY KEY, title TEXT, interval_minutes INTEGER
                NOT NULL, added_at REAL NOT NULL, etag TEXT, last_modified TEXT, last_poll REAL,
                next_poll REAL NOT NULL, last_status TEXT, last_error TEXT,
                new INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL DEFAULT 0,
                unchanged INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
                summaries INTEGER NOT NULL DEFAULT 0, articles INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE items (feed_url TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT
                NOT NULL, article_id TEXT NOT NULL, seen_at REAL NOT NULL,
                PRIMARY KEY (feed_url, key));
            INSERT INTO feeds (url, interval_minutes, added_at, next_poll, new, articles)
                VALUES ('http://feed.example/rss', 15, 1, 1, 2, 1);
            INSERT INTO items VALUES ('http://feed.example/rss', 'k1', 'f1', 'a1', 100);
        """)
    registry = FeedRegistry(path)
    try:
        [feed] = registry.all()
        assert feed.last_counts.new == 2 and feed.last_counts.deferred == 0
        assert registry.fingerprint(feed.url, "k1") == "f1"
        assert registry.recent_items(feed.url, 0) == []  # no link was kept then
        registry.remember_item(feed.url, "k1", "f2", "a1", "http://feed.example/1", '"e1"')
        [known] = registry.recent_items(feed.url, 50)
        assert known.page_etag == '"e1"' and known.link == "http://feed.example/1"
        assert registry.recent_items(feed.url, 101) == []  # first seen at 100 still
    finally:
        registry.close()
