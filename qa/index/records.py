"""What a Chroma record holds for an article or a passage, and the article read back."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from qa.types import Article, Passage


def epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def passage_meta(passage: Passage, article: Article) -> dict[str, Any]:
    meta: dict[str, Any] = {"article_id": passage.article_id, "start": passage.start,
                            "end": passage.end}
    if article.published_at:
        meta["published_at"] = epoch(article.published_at)
    return meta


def article_meta(article: Article, text_hash: str, passages: int,
                 copy_of: str = "") -> dict[str, Any]:
    """Every key, always: Chroma merges the metadata of an upsert into the old record's, so a
    field the new version lacks must be written as empty, not left out. (All but ``copies``,
    the list a canonical article keeps of its copies: that is written by ``set_copies``.)
    ``copy_of``: the canonical article this one is a copy of ("" for a canonical one)."""
    return {
        "title": article.title,
        "text_hash": text_hash,
        "passages": passages,
        "authors": json.dumps(article.authors),
        "ingested_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "url": article.url or "",
        "source": article.source or "",
        "origin": article.origin or "",
        "published_date": article.published_at.isoformat() if article.published_at else "",
        "from_summary": article.from_summary,
        "copy_of": copy_of,
    }


def copy_entry(article: Article) -> dict[str, Any]:
    """What a canonical article's record keeps of one of its copies: where else the story
    was published."""
    return {"article_id": article.id, "source": article.source, "url": article.url,
            "published_at": article.published_at.isoformat() if article.published_at else None}


def copies_in(meta: Any) -> list[dict[str, Any]]:
    """The copies a canonical article's record lists (``copy_entry``), oldest first."""
    found = dict(meta or {}).get("copies") or ""
    return list(json.loads(found)) if found else []


def article_from(article_id: str, meta: Any, text: Any) -> Article:
    meta = dict(meta or {})
    published = meta.get("published_date")
    return Article(
        id=article_id, title=str(meta.get("title", "")), text=str(text or ""),
        url=meta.get("url") or None, source=meta.get("source") or None,
        published_at=date.fromisoformat(published) if published else None,
        authors=json.loads(meta.get("authors") or "[]"), origin=meta.get("origin") or None,
        from_summary=bool(meta.get("from_summary")),
    )


def summary(article_id: str, meta: Any) -> dict[str, Any]:
    meta = dict(meta or {})
    return {
        "id": article_id, "title": meta.get("title", ""), "url": meta.get("url") or None,
        "source": meta.get("source") or None, "published_at": meta.get("published_date") or None,
        "authors": json.loads(meta.get("authors") or "[]"), "passages": meta.get("passages", 0),
        "from_summary": bool(meta.get("from_summary")),
        "copy_of": meta.get("copy_of") or None,
    }
