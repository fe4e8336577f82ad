"""One article's fields, validated and normalised, and its stable id."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from qa.errors import ArticleParseError
from qa.types import Article

_TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ocid|cmpid)$", re.I)


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no default port, no fragment, no tracking parameters,
    the rest of the query kept (sorted, bare values like ``?1001`` included), no trailing
    slash."""
    parts = urlsplit(url.strip())
    scheme, host = parts.scheme.lower(), parts.netloc.lower()
    if (scheme, host.rsplit(":", 1)[-1]) in {("http", "80"), ("https", "443")}:
        host = host.rsplit(":", 1)[0]
    fields = [f for f in parts.query.split("&")
              if f and not _TRACKING_PARAMS.match(f.split("=", 1)[0])]
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((scheme, host, path, "&".join(sorted(fields)), ""))


def normalise(text: str) -> str:
    return " ".join(text.casefold().split())


def article_id_for(title: str, text: str, url: str | None) -> str:
    """A stable id: from the canonical URL when there is one, else from title and text."""
    if url:
        key = "url:" + canonical_url(url)
    else:
        key = "text:" + normalise(title) + "\n" + normalise(text)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def clean_text(text: str) -> str:
    """NFC, Unix newlines, no trailing spaces on lines, no blank runs, trimmed."""
    text = re.sub(r"[\ud800-\udfff]", "\ufffd", text)  # lone surrogates cannot be stored
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\x00", "")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def parse_date(value: Any) -> date | None:
    """Dates as ISO strings, ``YYYY/MM/DD``, datetimes or epoch seconds; None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, tz=UTC).date()
        except (OverflowError, OSError, ValueError):
            raise ArticleParseError(f"unreadable date {value!r}") from None
    text = str(value).strip().replace("/", "-")
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    match = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    raise ArticleParseError(f"unreadable date {value!r} (use YYYY-MM-DD)")


def make_article(
    *,
    title: object,
    text: object,
    url: object = None,
    source: object = None,
    published_at: Any = None,
    authors: Any = None,
    origin: str | None = None,
) -> Article:
    """Validate and normalise one article's fields and give it its id."""
    if not isinstance(title, str | None) or not isinstance(text, str | None):
        raise ArticleParseError("title and text must be strings")
    if authors is not None and not isinstance(authors, str | list):
        raise ArticleParseError("authors must be a list of names or a string")
    for name, value in (("url", url), ("source", source)):
        if value is not None and not isinstance(value, str):
            raise ArticleParseError(f"{name} must be a string")
    title = clean_text(str(title or "")).replace("\n", " ")
    text = clean_text(str(text or ""))
    if not re.search(r"\w", text):
        raise ArticleParseError("the article has no text")
    if not title:
        title = text.split("\n", 1)[0][:120]
    if isinstance(authors, str):
        authors = [a.strip() for a in re.split(r",| and ", authors) if a.strip()]
    if any(not isinstance(a, str) for a in authors or []):
        raise ArticleParseError("authors must be a list of names (strings)")
    author_list = [clean_text(a) for a in (authors or []) if isinstance(a, str) and a.strip()]
    link = clean_text(str(url)) if url else None
    if link and not re.match(r"^https?://\S+$", link, re.I):
        raise ArticleParseError(f"url must be http:// or https:// with no spaces: {link[:80]!r}")
    try:
        link = canonical_url(link) if link else None  # stored without tracking parameters
        article_id = article_id_for(title, text, link)
    except ValueError as exc:  # urlsplit rejects some malformed URLs
        raise ArticleParseError(f"invalid url {link!r}: {exc}") from None
    return Article(
        id=article_id,
        title=title,
        text=text,
        url=link,
        source=clean_text(str(source)) if source else _outlet(link),
        published_at=parse_date(published_at),
        authors=author_list,
        origin=origin,
    )


def _outlet(url: str | None) -> str | None:
    """The site's host name ("apnews.com") as the outlet when the article names none."""
    host = urlsplit(url).hostname if url else None
    return host.removeprefix("www.") if host else None
