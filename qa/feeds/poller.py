"""One poll of one feed: fetch it (conditionally), read its new and changed items, and
ingest the article each stands for. Nothing already stored is touched when the feed cannot
be fetched or read; an item whose article cannot be made is retried at the next poll."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from qa.engine import QAEngine
from qa.errors import FetchError, InvalidInput
from qa.feeds.registry import FeedRegistry, PollCounts
from qa.sources.feeds import FeedItem, item_article, parse_feed
from qa.sources.fetch import Fetcher
from qa.types import Article

Outcome = dict[str, Any]
"""One item's outcome: ``source`` (its link or key), ``status`` (new, updated, unchanged,
failed), ``article_id``, ``title``, ``summary`` (read from the feed, not the page), ``reason``."""


@dataclass
class PollReport:
    url: str
    status: str = "ok"
    """ok, not_modified or error."""
    error: str | None = None
    counts: PollCounts = field(default_factory=PollCounts)
    outcomes: list[Outcome] = field(default_factory=list)
    deferred: int = 0
    """New or changed items left for the next poll (above QA_FEED_MAX_ITEMS)."""


class FeedPoller:
    def __init__(self, engine: QAEngine, registry: FeedRegistry, fetcher: Fetcher) -> None:
        self.engine = engine
        self.registry = registry
        self.fetcher = fetcher
        self.max_items = engine.settings.feed_max_items

    def poll(self, url: str, on_item: Callable[[Outcome, int], object] | None = None
             ) -> PollReport:
        """Polls the feed at ``url`` once; ``on_item(outcome, total)`` follows each item."""
        feed = self.registry.get(url)
        report = PollReport(url)
        try:
            page = self.fetcher.get(url, feed.etag, feed.last_modified)
            if page.not_modified:
                report.status = "not_modified"
                self.registry.record_poll(url, "not_modified")
                return report
            parsed = parse_feed(page.content, page.url)
        except FetchError as exc:
            report.status, report.error = "error", str(exc)
            self.registry.record_poll(url, "error", str(exc))
            return report
        todo = [item for item in parsed.items
                if self.registry.fingerprint(url, item.key) != item.fingerprint]
        report.counts.unchanged = len(parsed.items) - len(todo)
        report.deferred = max(0, len(todo) - self.max_items)
        todo = todo[:self.max_items]
        for item in todo:
            outcome = self._read(url, item, parsed.title or feed.title)
            report.outcomes.append(outcome)
            status = str(outcome["status"])
            setattr(report.counts, status, getattr(report.counts, status) + 1)
            if outcome.get("summary") and status in {"new", "updated"}:
                report.counts.summaries += 1
            if on_item:
                on_item(outcome, len(todo))
        # items left over would be hidden by a 304 next time: keep the old validators then
        self.registry.record_poll(url, "ok", counts=report.counts, title=parsed.title,
                                  etag=page.etag, last_modified=page.last_modified,
                                  keep_validators=report.deferred > 0)
        return report

    def _read(self, url: str, item: FeedItem, outlet: str | None) -> Outcome:
        source = item.link or item.key
        html: str | bytes | None = None
        page_url, why = None, None
        if item.link:
            try:
                page = self.fetcher.get(item.link)
                # the body as sent when the server names no charset: the page's own <meta> does
                html, page_url = (page.text if "charset=" in page.headers.get(
                    "content-type", "") else page.content), page.url
            except FetchError as exc:
                why = str(exc)
        try:
            article = item_article(item, outlet, html, page_url)
        except InvalidInput as exc:
            return {"source": source, "status": "failed",
                    "reason": "; ".join(x for x in (why, str(exc)) if x)}
        status = self._ingest(article)
        if status != "failed":
            self.registry.remember_item(url, item.key, item.fingerprint, article.id)
        outcome: Outcome = {"source": source, "status": status, "article_id": article.id,
                            "title": article.title, "summary": article.from_summary}
        if article.from_summary:
            outcome["reason"] = why or "the page has no article text"
        return outcome

    def _ingest(self, article: Article) -> str:
        report = self.engine.ingest_items([article])
        for status in ("new", "updated", "unchanged"):
            if getattr(report, status):
                return status
        return "failed"
