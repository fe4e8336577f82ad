"""MultiHop-RAG (``../shared/data/multihop-rag/queries.jsonl``): questions over several news
articles. The full corpus is not available, so the corpus is the evidence facts of all
queries, grouped by URL into articles with their metadata. Null queries must be refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eval.datasets import DataMissing, Dataset, Question, shared_data
from qa.errors import ArticleParseError
from qa.sources.articles import LoadFailure, make_article
from qa.types import Article


def default_path() -> Path:
    return shared_data() / "multihop-rag" / "queries.jsonl"


def dataset(path: Path | None = None, limit: int | None = None) -> Dataset:
    path = path or default_path()
    if path.is_dir():
        path = path / "queries.jsonl"
    if not path.is_file():
        raise DataMissing(f"no MultiHop-RAG queries at {path}; see ../shared/data/README.md")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    articles, failures = _articles(rows)
    asked = [Question(id=f"mh-{row['id']}", question=row["question"],
                      answerable=row["question_type"] != "null_query",
                      reference=str(row.get("answer") or ""),
                      gold=[e["fact"] for e in row.get("evidence_list") or []],
                      type=row["question_type"]) for row in rows]
    if limit:
        asked = asked[:limit]
    return Dataset("multihop", articles, asked, failures,
                   about=f"MultiHop-RAG sample {path.name}: {len(asked)} queries, corpus of "
                         f"{len(articles)} articles built from their evidence facts")


def _articles(rows: list[dict[str, Any]]) -> tuple[list[Article], list[LoadFailure]]:
    """One article per URL: its facts in order of first appearance, with its metadata."""
    grouped: dict[str, dict[str, Any]] = {}
    for row in rows:
        for evidence in row.get("evidence_list") or []:
            entry = grouped.setdefault(evidence["url"], {"meta": evidence, "facts": []})
            if evidence["fact"] not in entry["facts"]:
                entry["facts"].append(evidence["fact"])
    articles, failures = [], []
    for url, entry in grouped.items():
        meta = entry["meta"]
        try:
            articles.append(make_article(
                title=meta.get("title"), text="\n\n".join(entry["facts"]), url=url,
                source=meta.get("source"), published_at=(meta.get("published_at") or "")[:10],
                authors=[meta["author"]] if meta.get("author") else None))
        except ArticleParseError as exc:
            failures.append(LoadFailure(url, str(exc)))
    return articles, failures
