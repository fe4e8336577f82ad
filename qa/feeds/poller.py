"""One poll of one feed: fetch it (conditionally), read its new and changed items and ingest
the article each stands for, then ask again (conditionally) for the pages of the items first
seen lately, replacing an article whose page's text has changed since.

Nothing already stored is touched when the feed cannot be fetched or read, nor when a page
asked for again cannot be; an item whose article cannot be made is retried at the next poll.
Pages are fetched without waiting for the minute's cap (QA_FETCH_PAGES_PER_MINUTE): the
items it has no room for are left, unread and unremembered, for the next poll, which is then
due a minute later; re-checks only use the half of the cap that new items leave."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from qa.engine import QAEngine
from qa.errors import FetchError, InvalidInput, NotFound
from qa.feeds.registry import FeedRegistry, KnownItem, PollCounts
from qa.sources.feeds import FeedItem, item_article, page_article, parse_feed
from qa.sources.fetch import Fetcher, OverBudget, Page
from qa.types import Article

SOON_S = 60.0
"""When a poll left items for the next one, that one is due this soon (the cap's window),
not an interval later."""

Outcome = dict[str, Any]
"""One item's outcome: ``source`` (its link or key), ``status`` (new, updated, unchanged,
failed, or deferred: left for the next poll), ``article_id``, ``title``, ``summary`` (read
from the feed, not the page), ``rechecked`` (its page was asked for again and had changed),
``reason``."""


@dataclass
class PollReport:
    url: str
    status: str = "ok"
    """ok, not_modified (the feed; its pages may still have been re-checked) or error."""
    error: str | None = None
    counts: PollCounts = field(default_factory=PollCounts)
    outcomes: list[Outcome] = field(default_factory=list)
    rechecked: int = 0
    """Pages of items read before asked for again."""


class FeedPoller:
    def __init__(self, engine: QAEngine, registry: FeedRegistry, fetcher: Fetcher) -> None:
        self.engine = engine
        self.registry = registry
        self.fetcher = fetcher
        self.max_items = engine.settings.feed_max_items
        self.recheck_s = engine.settings.feed_recheck_days * 86400

    def poll(self, url: str, on_item: Callable[[Outcome, int], object] | None = None
             ) -> PollReport:
        """Polls the feed at ``url`` once; ``on_item(outcome, total)`` follows each item."""
        feed = self.registry.get(url)
        report = PollReport(url)
        try:
            page = self.fetcher.get(url, feed.etag, feed.last_modified)
            parsed = None if page.not_modified else parse_feed(page.content, page.url)
        except FetchError as exc:
            report.status, report.error = "error", str(exc)
            self.registry.record_poll(url, "error", str(exc))
            return report
        planned = 0

        def tell(outcome: Outcome) -> None:
            report.outcomes.append(outcome)
            status = str(outcome["status"])
            setattr(report.counts, status, getattr(report.counts, status) + 1)
            if outcome.get("summary") and status in {"new", "updated"}:
                report.counts.summaries += 1
            if on_item:
                on_item(outcome, max(planned, len(report.outcomes)))

        unchanged: set[str] = set()
        if parsed is None:
            report.status = "not_modified"
        else:
            todo = [item for item in parsed.items
                    if self.registry.fingerprint(url, item.key) != item.fingerprint]
            unchanged = {item.key for item in parsed.items} - {item.key for item in todo}
            report.counts.unchanged = len(parsed.items) - len(todo)
            report.counts.deferred = max(0, len(todo) - self.max_items)
            planned = min(len(todo), self.max_items)
            self._read_items(url, todo[:planned], parsed.title or feed.title, tell)
        self._recheck(url, report, unchanged, tell)
        read_items = parsed is not None or report.counts.updated > 0
        # items left over would be hidden by a 304 next time: keep the old validators then
        self.registry.record_poll(
            url, report.status, counts=report.counts if read_items else None,
            title=parsed.title if parsed else None, etag=page.etag,
            last_modified=page.last_modified,
            keep_validators=parsed is None or report.counts.deferred > 0,
            due_in=SOON_S if report.counts.deferred else None)
        return report

    def _read_items(self, url: str, items: list[FeedItem], outlet: str | None,
                    tell: Callable[[Outcome], None]) -> None:
        spent: str | None = None
        for item in items:
            if spent is None:
                try:
                    tell(self._read(url, item, outlet))
                    continue
                except OverBudget as exc:
                    spent = str(exc)
            tell({"source": item.link or item.key, "status": "deferred", "title": item.title,
                  "reason": f"left for the next poll: {spent}"})

    def _read(self, url: str, item: FeedItem, outlet: str | None) -> Outcome:
        source = item.link or item.key
        page: Page | None = None
        why = None
        if item.link:
            try:
                page = self.fetcher.get(item.link, wait=False)
            except FetchError as exc:
                why = str(exc)
        try:
            article = item_article(item, outlet, page.markup if page else None,
                                   page.url if page else None)
        except InvalidInput as exc:
            return {"source": source, "status": "failed",
                    "reason": "; ".join(x for x in (why, str(exc)) if x)}
        status = self._ingest(article)
        if status != "failed":
            self.registry.remember_item(url, item.key, item.fingerprint, article.id, item.link,
                                        page.etag if page else None,
                                        page.last_modified if page else None)
        outcome: Outcome = {"source": source, "status": status, "article_id": article.id,
                            "title": article.title, "summary": article.from_summary}
        if article.from_summary:
            outcome["reason"] = why or "the page has no article text"
        return outcome

    def _recheck(self, url: str, report: PollReport, unchanged: set[str],
                 tell: Callable[[Outcome], None]) -> None:
        """Asks again for the pages of the items first seen within QA_FEED_RECHECK_DAYS
        (checked longest ago first, while half the minute's cap is free) and replaces each
        article whose page's text has changed."""
        if self.recheck_s <= 0:
            return
        just_read = {o.get("article_id") for o in report.outcomes}
        keep_free = self.fetcher.per_minute // 2
        for known in self.registry.recent_items(url, time.time() - self.recheck_s):
            if known.article_id in just_read:
                continue
            try:
                page = self.fetcher.get(known.link, known.page_etag, known.page_last_modified,
                                        wait=False, keep_free=keep_free)
            except OverBudget:
                return
            except FetchError:  # gone or failing for now: the article read earlier stands
                self.registry.page_checked(url, known.key)
                continue
            report.rechecked += 1
            if page.not_modified:
                self.registry.page_checked(url, known.key, page.etag, page.last_modified)
                continue
            outcome = self._replace(known, page)
            if outcome is None or outcome["status"] != "failed":
                self.registry.page_checked(url, known.key, page.etag, page.last_modified,
                                           replace=True)
            if outcome is not None and outcome["status"] != "unchanged":
                if outcome["status"] == "updated" and known.key in unchanged:
                    report.counts.unchanged -= 1
                tell(outcome)

    def _replace(self, known: KnownItem, page: Page) -> Outcome | None:
        """The item's article again, with the page's text now: none when the article was
        deleted (that stands) or the page has no article text any more (the earlier stays)."""
        try:
            stored = self.engine.get_article(known.article_id)
        except NotFound:
            return None
        article = page_article(page.markup, page.url, title=stored.title, url=stored.url,
                               source=stored.source, published_at=stored.published_at,
                               authors=stored.authors)
        if article is None or article.id != known.article_id:  # never a second article
            return None
        return {"source": known.link, "status": self._ingest(article), "article_id": article.id,
                "title": article.title, "summary": False, "rechecked": True}

    def _ingest(self, article: Article) -> str:
        report = self.engine.ingest_items([article])
        for status in ("new", "updated", "unchanged"):
            if getattr(report, status):
                return status
        return "failed"
