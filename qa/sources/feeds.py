"""RSS and Atom feeds (read by feedparser) and the article each item stands for: the page
it links to when that page has an article's text, else the item's own content or summary,
marked as such (``Article.from_summary``)."""

from __future__ import annotations

import calendar
import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from qa.errors import ArticleParseError, FetchError
from qa.sources.articles import article_from_html
from qa.sources.fields import clean_text, make_article
from qa.types import Article


class FeedError(FetchError):
    """The document is not an RSS or Atom feed."""


@dataclass(frozen=True)
class FeedItem:
    key: str
    """The item's guid (Atom id), else its link, else a hash of its title."""
    title: str
    link: str | None
    summary: str
    """The item's content (or summary) as plain text."""
    authors: list[str] = field(default_factory=list)
    published: date | None = None
    fingerprint: str = ""
    """Changes when the item as the feed states it changes (an edit, a new date)."""


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    items: list[FeedItem]


def parse_feed(data: bytes, url: str) -> ParsedFeed:
    """The items of an RSS or Atom document, newest first. Raises ``FeedError`` when it is
    neither (a feed with some flaws but readable items is read)."""
    import feedparser

    # bytes, never a str: given a string that looks like a URL, feedparser fetches it
    parsed = feedparser.parse(data, response_headers={"content-location": url})
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        raise FeedError(f"{url} is not an RSS or Atom feed"
                        + (f" ({str(problem).strip()[:200]})" if problem else ""))
    items = [_item(entry) for entry in parsed.entries]
    items.sort(key=lambda item: item.published or date.min, reverse=True)
    title = parsed.feed.get("title")
    return ParsedFeed(clean_text(title) if isinstance(title, str) and title.strip() else None,
                      items)


def _item(entry: Any) -> FeedItem:
    title = clean_text(str(entry.get("title") or "")).replace("\n", " ")
    link = entry.get("link") or None
    contents = [c.get("value", "") for c in entry.get("content") or []]
    summary = html_to_text(contents[0] if contents and contents[0] else
                           str(entry.get("summary") or ""))
    authors = [str(a.get("name")) for a in entry.get("authors") or [] if a.get("name")]
    if not authors and entry.get("author"):
        authors = [str(entry.get("author"))]
    # dict.get: feedparser's own get warns when it maps a missing "updated" to "published"
    stamp = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
    published = _day(stamp)
    key = str(entry.get("id") or link or "title:" + title)
    state = [title, link, summary, authors,
             dict.get(entry, "updated") or dict.get(entry, "published")]
    fingerprint = hashlib.sha256(json.dumps(state, default=str).encode()).hexdigest()[:16]
    return FeedItem(key, title, link, summary, authors, published, fingerprint)


def _day(stamp: time.struct_time | None) -> date | None:
    if not stamp:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(stamp), tz=UTC).date()
    except (OverflowError, ValueError):
        return None


def html_to_text(markup: str) -> str:
    """Readable text of an HTML fragment, a paragraph a line (feedparser has sanitised it)."""
    if "<" not in markup:
        return clean_text(markup)
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except Exception:  # lxml's errors on odd markup vary; the item is then read as text
        return clean_text(markup)
    for block in root.iter("p", "br", "div", "li", "h1", "h2", "h3", "h4", "blockquote"):
        block.tail = "\n" + (block.tail or "")
    return clean_text(root.text_content())


def item_article(item: FeedItem, outlet: str | None, html: str | bytes | None,
                 page_url: str | None) -> Article:
    """The item's article: the page's text (``html``) when it has one, with the item's
    title, link, outlet, authors and date; else the item's own text, marked as a summary.
    Raises ``ArticleParseError`` when neither has any text."""
    if html is not None:
        article = page_article(html, page_url, title=item.title, url=item.link, source=outlet,
                               published_at=item.published, authors=item.authors)
        if article is not None:
            return article
    article = make_article(title=item.title, text=item.summary, url=item.link, source=outlet,
                           published_at=item.published, authors=item.authors)
    return article.model_copy(update={"from_summary": True})


def page_article(html: str | bytes, page_url: str | None, *, title: str | None,
                 url: str | None, source: str | None, published_at: date | None,
                 authors: list[str]) -> Article | None:
    """The page's text with the fields given (the page's own where one is missing), or
    none when the page has no article text."""
    try:
        page = article_from_html(html, url=page_url)
        return make_article(title=title or page.title, text=page.text, url=url or page.url,
                            source=source or page.source,
                            published_at=published_at or page.published_at,
                            authors=authors or page.authors)
    except ArticleParseError:
        return None
