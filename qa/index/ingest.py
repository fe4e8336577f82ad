"""Batched, idempotent, resumable ingest.

Each batch is written in three steps: (1) the batch's article records, marked incomplete;
(2) the old passages of those articles (and older versions of the same file) removed, and
the new passages written; (3) the records marked complete. A record that is complete and
has the same content hash means "unchanged"; anything else is (re)done. So a run killed at
any point and run again ends with exactly the passages of a clean run, no passage is ever
left without its article record, and a crash costs at most one batch of embedding work
(and the batch being written meanwhile: a writer thread takes Chroma's writes out of the
embedding's way, one batch at a time).

With the local model, vectors come from ``qa.index.pooling``: each stretch of text read once, the
article record's vector its first passage's (which holds the standfirst), and every
sentence's vector stored with the article for the extractive answerer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import numpy as np

from qa.index.chunking import plan_passages
from qa.index.embedding import Embedder
from qa.index.pooling import ArticlePlan, LatePooler, Units
from qa.index.store import ArticleStore
from qa.sources.articles import LoadFailure
from qa.types import Article, IngestReport, Passage

Progress = Callable[[int, int], object]
RECORDS_READ = 64
"""Articles whose stored records are read in one Chroma call."""


def content_hash(article: Article) -> str:
    """Changes when anything stored about the article changes."""
    # from_summary only when set, so the hashes of articles stored before it existed hold
    exclude = {"id", "origin"} | (set() if article.from_summary else {"from_summary"})
    fields = article.model_dump(mode="json", exclude=exclude)
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


def headline(article: Article) -> str:
    """Headline and standfirst: the text behind an article record's vector."""
    return article.title + "\n" + article.text.split("\n", 1)[0]


@dataclass
class _Batch:
    articles: list[Article] = field(default_factory=list)
    plans: list[ArticlePlan] = field(default_factory=list)
    had_record: set[str] = field(default_factory=set)

    @property
    def passages(self) -> list[Passage]:
        return [passage for plan in self.plans for passage, _ in plan.passages]


@dataclass
class _Vectors:
    passages: np.ndarray
    articles: np.ndarray
    units: list[Units] | None


class Ingester:
    def __init__(self, store: ArticleStore, embedder: Embedder, batch_passages: int) -> None:
        self.store = store
        self.embedder = embedder
        self.batch_passages = batch_passages
        self._seen: set[str] = set()
        self._writing: Future[int] | None = None
        self._pooler = LatePooler(embedder.local) if embedder.local is not None else None

    def run(self, items: Iterable[Article | LoadFailure],
            progress: Progress | None = None) -> IngestReport:
        report = IngestReport()
        self._seen = set()
        with ThreadPoolExecutor(1, thread_name_prefix="ingest-writer") as writer:
            self._writing = None
            for batch in self._batches(items, report, progress):
                vectors = self._vectors(batch)
                if self._writing is not None:
                    report.passages += self._writing.result()
                self._writing = writer.submit(self._write, batch, vectors,
                                              frozenset(self._seen), progress)
            if self._writing is not None:
                report.passages += self._writing.result()
            self._writing = None
        return report

    def _batches(self, items: Iterable[Article | LoadFailure], report: IngestReport,
                 progress: Progress | None) -> Iterable[_Batch]:
        batch, size = _Batch(), 0
        for item, known in self._with_records(items):
            if isinstance(item, LoadFailure):
                report.failed.append({"source": item.origin, "reason": item.reason})
                continue
            if item.id in self._seen:
                report.unchanged.append(item.id)
                continue
            self._seen.add(item.id)
            status, had_record = self._status(item, known)
            if status == "unchanged":
                report.unchanged.append(item.id)
                if progress:
                    progress(1, 0)
                continue
            (report.new if status == "new" else report.updated).append(item.id)
            batch.articles.append(item)
            if had_record:
                batch.had_record.add(item.id)
            tokens = self.embedder.tokenize(item.text)
            batch.plans.append(ArticlePlan(item, tokens, plan_passages(item, tokens.count)))
            size += len(batch.plans[-1].passages)
            if size >= self.batch_passages:
                yield batch
                batch, size = _Batch(), 0
        if batch.articles:
            yield batch

    def _vectors(self, batch: _Batch) -> _Vectors:
        """Passage and article vectors (and sentence vectors, with the local model)."""
        if self._pooler is not None and all(plan.passages for plan in batch.plans):
            pooled = self._pooler.pool(batch.plans)
            return _Vectors(pooled.passages, pooled.articles, pooled.units)
        passages = self.embedder.embed([p.text for p in batch.passages])
        firsts, offset = [], 0
        for plan in batch.plans:
            firsts.append(offset if plan.passages else -1)
            offset += len(plan.passages)
        heads = [headline(plan.article) for plan, first in zip(batch.plans, firsts, strict=True)
                 if first < 0]
        extra = iter(self.embedder.embed(heads)) if heads else iter(())
        articles = np.stack([passages[first] if first >= 0 else next(extra) for first in firsts])
        return _Vectors(passages, articles, None)

    def _with_records(self, items: Iterable[Article | LoadFailure]
                      ) -> Iterator[tuple[Article | LoadFailure, dict[str, Any] | None]]:
        """Each item with its article's stored record, read a chunk of items at a time. A
        record found is read again when its turn comes (an earlier item may have replaced
        an older version and deleted it); no record stays none, as only this run writes."""
        iterator = iter(items)
        while chunk := list(islice(iterator, RECORDS_READ)):
            ids = [item.id for item in chunk if isinstance(item, Article)]
            records = self.store.article_meta(list(dict.fromkeys(ids)))
            for item in chunk:
                if isinstance(item, Article) and item.id in records:
                    yield item, self.store.article_meta([item.id]).get(item.id)
                else:
                    yield item, None

    def _status(self, article: Article, known: dict[str, Any] | None) -> tuple[str, bool]:
        """('new' | 'updated' | 'unchanged', whether a record of this id exists)."""
        moved = (known is not None and known.get("complete")
                 and known.get("text_hash") == content_hash(article)
                 and (article.origin or "") != known.get("origin", ""))
        if moved and self._writing is not None:
            # the batch being written may delete this very record (an older version of
            # its file): let it finish, then look again, before moving it
            self._writing.result()
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

    def _drop_older_versions(self, article: Article, seen: frozenset[str] | None = None) -> None:
        """Delete what the same file held before, unless this run also read it elsewhere."""
        if article.origin:
            for old_id in set(self.store.ids_with_origin(article.origin)) - (seen or self._seen):
                self.store.delete_article(old_id)

    def _write(self, batch: _Batch, vectors: _Vectors, seen: frozenset[str],
               progress: Progress | None) -> int:
        """Runs in the writer thread; ``seen`` is what the run had read when it was sent."""
        counts = {a.id: 0 for a in batch.articles}
        for passage in batch.passages:
            counts[passage.article_id] += 1
        hashes = {a.id: content_hash(a) for a in batch.articles}
        # Old versions are hidden first, so a crash anywhere below leaves them incomplete
        # (redone by the next run, never served) rather than complete with wrong passages.
        self.store.mark_complete(sorted(batch.had_record), complete=False)
        self.store.delete_passages_of(sorted(batch.had_record))
        self.store.write_articles(batch.articles, vectors.articles, hashes, counts,
                                  complete=False, units=vectors.units)
        for article in batch.articles:
            self._drop_older_versions(article, seen)
        self.store.write_passages(batch.passages, vectors.passages,
                                  {a.id: a for a in batch.articles})
        self.store.mark_complete([a.id for a in batch.articles])
        if progress:
            progress(len(batch.articles), len(batch.passages))
        return len(batch.passages)
