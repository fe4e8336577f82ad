"""RealTimeQA 2023 (``../shared/data/realtimeqa-2023``): weekly news quizzes with the search
results of their week. Read by path, never copied into the repository; absent data gives
an empty result and a message, never an error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from qa.articles import LoadFailure, make_article
from qa.errors import ArticleParseError
from qa.models import Article

DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "realtimeqa-2023"


def weeks(root: Path) -> list[str]:
    """The weeks present, as ``YYYYMMDD``, oldest first."""
    return sorted(p.name.split("_")[0] for p in root.glob("*_qa.jsonl")) if root.is_dir() else []


def corpus(root: Path, chosen: list[str]) -> Iterator[Article | LoadFailure]:
    """The search results of the chosen weeks, de-duplicated by URL, with publish dates."""
    seen: set[str] = set()
    for week in chosen:
        for line in (root / f"{week}_gcs.jsonl").read_text().splitlines():
            for result in json.loads(line).get("search_result", []):
                url = result.get("url")
                if not url or url in seen:
                    continue
                seen.add(url)
                try:
                    yield make_article(
                        title=result.get("title") or "", text=result.get("text") or "", url=url,
                        published_at=result.get("publish_date") or None,
                        authors=result.get("authors"),
                    )
                except ArticleParseError as exc:
                    yield LoadFailure(url, str(exc))


def questions(root: Path, chosen: list[str]) -> list[dict[str, str]]:
    """Each question with its right choice's text as the reference answer."""
    out = []
    for week in chosen:
        for line in (root / f"{week}_qa.jsonl").read_text().splitlines():
            row = json.loads(line)
            out.append({"question": row["question_sentence"],
                        "reference": row["choices"][int(row["answer"][0])], "week": week})
    return out
