"""The feeds followed, their poll status and the items already read (with their page's
validators, to ask for it again conditionally), kept in a small SQLite file in the data
folder (``feeds.sqlite3``), so they outlive the process."""

from __future__ import annotations

import sqlite3
import time
from contextlib import AbstractContextManager
from pathlib import Path

from pydantic import BaseModel, Field

from qa.errors import InvalidInput, NotFound
from qa.sqlite import SqliteFile

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY, title TEXT, interval_minutes INTEGER NOT NULL,
    added_at REAL NOT NULL, etag TEXT, last_modified TEXT,
    last_poll REAL, next_poll REAL NOT NULL, last_status TEXT, last_error TEXT,
    new INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
    summaries INTEGER NOT NULL DEFAULT 0, articles INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS items (
    feed_url TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL,
    article_id TEXT NOT NULL, seen_at REAL NOT NULL, PRIMARY KEY (feed_url, key));
"""
_ADDED = (("feeds", "deferred", "INTEGER NOT NULL DEFAULT 0"),
          ("items", "link", "TEXT"), ("items", "first_seen", "REAL"),
          ("items", "checked_at", "REAL"), ("items", "page_etag", "TEXT"),
          ("items", "page_last_modified", "TEXT"))
"""Columns added since the first schema; a file made before them gets them on opening."""


class PollCounts(BaseModel):
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    summaries: int = 0
    """Of the new and updated: how many are the item's summary (the page was not read)."""
    deferred: int = 0
    """New or changed items left for the next poll (QA_FEED_MAX_ITEMS, or the minute's
    QA_FETCH_PAGES_PER_MINUTE spent)."""


class KnownItem(BaseModel):
    """An item read before, as a page re-check needs it."""

    key: str
    link: str
    article_id: str
    page_etag: str | None = None
    page_last_modified: str | None = None


class Feed(BaseModel):
    url: str
    title: str | None = None
    interval_minutes: int
    added_at: float
    last_poll: float | None = Field(None, description="Unix seconds of the last poll.")
    next_poll: float
    last_status: str | None = Field(
        None, description="ok, not_modified (HTTP 304) or error; none before the first poll.")
    last_error: str | None = None
    last_counts: PollCounts = Field(default_factory=PollCounts,
                                    description="What the last poll that read items found.")
    articles: int = Field(0, description="Items of this feed read into articles so far.")
    etag: str | None = Field(None, exclude=True)
    last_modified: str | None = Field(None, exclude=True)


class FeedRegistry:
    def __init__(self, path: Path) -> None:
        self._file = SqliteFile(path, _SCHEMA)
        self._db, self._lock = self._file.db, self._file.lock
        with self._lock:
            for table, column, kind in _ADDED:
                if column not in {row[1] for row in self._db.execute(
                        f"PRAGMA table_info({table})")}:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
            self._db.execute("UPDATE items SET first_seen = seen_at WHERE first_seen IS NULL")

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._file.transaction()

    def close(self) -> None:
        self._file.close()

    def add(self, url: str, interval_minutes: int) -> Feed:
        if interval_minutes < 1:
            raise InvalidInput("the poll interval must be at least 1 minute")
        now = time.time()
        with self._tx() as db:
            if db.execute("SELECT 1 FROM feeds WHERE url = ?", (url,)).fetchone():
                db.execute("UPDATE feeds SET interval_minutes = ? WHERE url = ?",
                           (interval_minutes, url))
            else:
                db.execute("INSERT INTO feeds (url, interval_minutes, added_at, next_poll) "
                           "VALUES (?, ?, ?, ?)", (url, interval_minutes, now, now))
        return self.get(url)

    def remove(self, url: str) -> None:
        with self._tx() as db:
            if not db.execute("DELETE FROM feeds WHERE url = ?", (url,)).rowcount:
                raise NotFound(f"no feed {url} is followed")
            db.execute("DELETE FROM items WHERE feed_url = ?", (url,))

    def get(self, url: str) -> Feed:
        with self._lock:
            row = self._db.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
        if row is None:
            raise NotFound(f"no feed {url} is followed")
        return _feed(row)

    def all(self) -> list[Feed]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM feeds ORDER BY added_at, url").fetchall()
        return [_feed(row) for row in rows]

    def due(self, now: float) -> list[Feed]:
        return [feed for feed in self.all() if feed.next_poll <= now]

    def fingerprint(self, url: str, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT fingerprint FROM items WHERE feed_url = ? AND key = ?",
                                   (url, key)).fetchone()
        return str(row[0]) if row else None

    def remember_item(self, url: str, key: str, fingerprint: str, article_id: str,
                      link: str | None = None, page_etag: str | None = None,
                      page_last_modified: str | None = None) -> None:
        """The item as read now, with its page's validators; when it was first seen stays."""
        now = time.time()
        with self._tx() as db:
            if db.execute("SELECT 1 FROM feeds WHERE url = ?", (url,)).fetchone():
                db.execute(
                    "INSERT INTO items (feed_url, key, fingerprint, article_id, seen_at, link, "
                    "first_seen, checked_at, page_etag, page_last_modified) VALUES "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (feed_url, key) DO UPDATE SET "
                    "fingerprint = excluded.fingerprint, article_id = excluded.article_id, "
                    "seen_at = excluded.seen_at, link = excluded.link, "
                    "checked_at = excluded.checked_at, page_etag = excluded.page_etag, "
                    "page_last_modified = excluded.page_last_modified",
                    (url, key, fingerprint, article_id, now, link, now, now, page_etag,
                     page_last_modified))

    def recent_items(self, url: str, since: float) -> list[KnownItem]:
        """The items of the feed first seen at ``since`` or later that link to a page, the
        one checked longest ago first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT key, link, article_id, page_etag, page_last_modified FROM items "
                "WHERE feed_url = ? AND first_seen >= ? AND link IS NOT NULL "
                "ORDER BY COALESCE(checked_at, 0), first_seen DESC", (url, since)).fetchall()
        return [KnownItem(**dict(row)) for row in rows]

    def page_checked(self, url: str, key: str, etag: str | None = None,
                     last_modified: str | None = None, replace: bool = False) -> None:
        """The item's page was asked for again, now. Its validators become ``etag`` and
        ``last_modified`` when ``replace`` (the page was read), else only those given (a 304
        may name a new ETag)."""
        with self._tx() as db:
            db.execute("UPDATE items SET checked_at = ?, "
                       "page_etag = CASE WHEN ? THEN ? ELSE COALESCE(?, page_etag) END, "
                       "page_last_modified = CASE WHEN ? THEN ? ELSE COALESCE(?, "
                       "page_last_modified) END WHERE feed_url = ? AND key = ?",
                       (time.time(), replace, etag, etag, replace, last_modified,
                        last_modified, url, key))

    def record_poll(self, url: str, status: str, error: str | None = None,
                    counts: PollCounts | None = None, title: str | None = None,
                    etag: str | None = None, last_modified: str | None = None,
                    keep_validators: bool = True, due_in: float | None = None) -> None:
        """The outcome of a poll; the next one is due an interval later (``due_in`` seconds
        when given). The validators (ETag, Last-Modified) are replaced only when
        ``keep_validators`` is false."""
        now = time.time()
        with self._tx() as db:
            row = db.execute("SELECT interval_minutes FROM feeds WHERE url = ?",
                             (url,)).fetchone()
            if row is None:  # removed while it was being polled
                return
            db.execute("UPDATE feeds SET last_poll = ?, next_poll = ?, last_status = ?, "
                       "last_error = ?, title = COALESCE(?, title) WHERE url = ?",
                       (now, now + (60 * int(row[0]) if due_in is None else due_in), status,
                        error, title, url))
            if counts is not None:
                db.execute("UPDATE feeds SET new = ?, updated = ?, unchanged = ?, failed = ?, "
                           "summaries = ?, deferred = ? WHERE url = ?",
                           (counts.new, counts.updated, counts.unchanged, counts.failed,
                            counts.summaries, counts.deferred, url))
            if not keep_validators:
                db.execute("UPDATE feeds SET etag = ?, last_modified = ? WHERE url = ?",
                           (etag, last_modified, url))
            db.execute("UPDATE feeds SET articles = (SELECT COUNT(*) FROM items "
                       "WHERE feed_url = ?) WHERE url = ?", (url, url))


def _feed(row: sqlite3.Row) -> Feed:
    data = dict(row)
    counts = PollCounts(**{k: data.pop(k) for k in PollCounts.model_fields})
    return Feed(**data, last_counts=counts)
