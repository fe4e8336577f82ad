"""Batched, idempotent, resumable ingest.

Each batch is written in three steps: (1) the batch's article records, marked incomplete;
(2) the old passages of those articles (and older versions of the same file) removed, and
the new passages written; (3) the records marked complete. A record that is complete and
has the same content hash means "unchanged"; anything else is (re)done. So a run killed at
any point and run again ends with exactly the passages of a clean run, no passage is ever
left without its article record, and a crash costs at most one batch of embedding work.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from qa.articles import LoadFailure
from qa.chunking import split_passages
from qa.embedding import Embedder
from qa.models import Article, IngestReport, Passage
from qa.store import ArticleStore

Progress = Callable[[int, int], object]


def content_hash(article: Article) -> str:
    """Changes when anything stored about the article changes."""
    fields = article.model_dump(mode="json", exclude={"id", "origin"})
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


def headline(article: Article) -> str:
    """Headline and standfirst: the text behind an article record's vector."""
    return article.title + "\n" + article.text.split("\n", 1)[0]


@dataclass
class _Batch:
    articles: list[Article] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    had_record: set[str] = field(default_factory=set)


class Ingester:
    def __init__(self, store: ArticleStore, embedder: Embedder, batch_passages: int) -> None:
        self.store = store
        self.embedder = embedder
        self.batch_passages = batch_passages
        self._seen: set[str] = set()

    def run(self, items: Iterable[Article | LoadFailure],
            progress: Progress | None = None) -> IngestReport:
        report = IngestReport()
        batch = _Batch()
        self._seen = set()
        for item in items:
            if isinstance(item, LoadFailure):
                report.failed.append({"source": item.origin, "reason": item.reason})
                continue
            if item.id in self._seen:
                report.unchanged.append(item.id)
                continue
            self._seen.add(item.id)
            status, had_record = self._status(item)
            if status == "unchanged":
                report.unchanged.append(item.id)
                if progress:
                    progress(1, 0)
                continue
            (report.new if status == "new" else report.updated).append(item.id)
            batch.articles.append(item)
            if had_record:
                batch.had_record.add(item.id)
            batch.passages.extend(split_passages(item, self.embedder.count_tokens))
            if len(batch.passages) >= self.batch_passages:
                report.passages += self._write(batch, progress)
                batch = _Batch()
        report.passages += self._write(batch, progress)
        return report

    def _status(self, article: Article) -> tuple[str, bool]:
        """('new' | 'updated' | 'unchanged', whether a record of this id exists)."""
        known = self.store.article_meta([article.id]).get(article.id)
        if known is not None and known.get("complete"):
            if known.get("text_hash") != content_hash(article):
                return "updated", True
            if (article.origin or "") != known.get("origin", ""):
                # moved or copied to another file, or now (also) read from a collection
                self.store.set_origin(article.id, article.origin or "")
                self._drop_older_versions(article)
            return "unchanged", True
        older = self.store.ids_with_origin(article.origin) if article.origin else []
        return ("updated" if set(older) - {article.id} else "new"), known is not None

    def _drop_older_versions(self, article: Article) -> None:
        """Delete what the same file held before, unless this run also read it elsewhere."""
        if article.origin:
            for old_id in set(self.store.ids_with_origin(article.origin)) - self._seen:
                self.store.delete_article(old_id)

    def _write(self, batch: _Batch, progress: Progress | None) -> int:
        if not batch.articles:
            return 0
        vectors = self.embedder.embed([p.text for p in batch.passages])
        heads = self.embedder.embed([headline(a) for a in batch.articles])
        counts = {a.id: 0 for a in batch.articles}
        for passage in batch.passages:
            counts[passage.article_id] += 1
        hashes = {a.id: content_hash(a) for a in batch.articles}
        # Old versions are hidden first, so a crash anywhere below leaves them incomplete
        # (redone by the next run, never served) rather than complete with wrong passages.
        self.store.mark_complete(sorted(batch.had_record), complete=False)
        self.store.delete_passages_of(sorted(batch.had_record))
        self.store.write_articles(batch.articles, heads, hashes, counts, complete=False)
        for article in batch.articles:
            self._drop_older_versions(article)
        self.store.write_passages(batch.passages, vectors, {a.id: a for a in batch.articles})
        self.store.mark_complete([a.id for a in batch.articles])
        if progress:
            progress(len(batch.articles), len(batch.passages))
        return len(batch.passages)
