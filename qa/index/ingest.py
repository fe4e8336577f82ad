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

Given the store's copy index, a syndicated copy of a stored story (``qa.index.copies``) is
written as a record without passages that its canonical article lists (``qa.index.folding``):
nothing of it is embedded but its headline. The copies of an article that is replaced or
deleted are folded again after it, so that one of them becomes canonical.
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import numpy as np

from qa.errors import NotFound
from qa.index.chunking import plan_passages
from qa.index.copies import CopyIndex, encode_signature, fingerprint
from qa.index.embedding import Embedder
from qa.index.folding import Folding
from qa.index.pooling import ArticlePlan, LatePooler, Units
from qa.index.records import copies_in
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
    """The canonical articles: embedded, with passages."""
    plans: list[ArticlePlan] = field(default_factory=list)
    had_record: set[str] = field(default_factory=set)
    copies: dict[str, tuple[Article, str]] = field(default_factory=dict)
    """The copies, by id: each with the id of its canonical article."""
    signatures: dict[str, str] = field(default_factory=dict)
    """The new signatures of canonical articles, encoded."""
    unsigned: set[str] = field(default_factory=set)
    """Articles whose stored signature goes: now copies, or too short to tell copies by."""
    detach: dict[str, str] = field(default_factory=dict)
    """Former copies, each with the canonical article that must no longer list it."""
    texts: dict[str, str] = field(default_factory=dict)
    """The texts of this batch's canonical articles, for telling copies before they are
    stored."""

    @property
    def passages(self) -> list[Passage]:
        return [passage for plan in self.plans for passage, _ in plan.passages]

    @property
    def ids(self) -> list[str]:
        return [a.id for a in self.articles] + list(self.copies)


@dataclass
class _Vectors:
    passages: np.ndarray
    articles: np.ndarray
    units: list[Units] | None
    copies: np.ndarray


class Ingester:
    def __init__(self, store: ArticleStore, embedder: Embedder, batch_passages: int,
                 copies: CopyIndex | None = None) -> None:
        """``copies``: the store's copy index (kept across runs by the caller); without it
        no article is folded as a copy."""
        self.store = store
        self.embedder = embedder
        self.batch_passages = batch_passages
        self.folding = Folding(store, copies) if copies is not None else None
        self._seen: set[str] = set()
        self._writing: Future[int] | None = None
        self._pooler = LatePooler(embedder.local) if embedder.local is not None else None
        self._force: set[str] = set()
        """Articles written again although stored unchanged (copies being folded again)."""
        self._exclude: set[str] = set()
        """Articles that nothing is folded into (one being deleted)."""
        self._refold: dict[str, None] = {}
        """Copies whose canonical article was replaced or deleted: folded again after."""
        self._recent: deque[_Batch] = deque(maxlen=2)

    def run(self, items: Iterable[Article | LoadFailure],
            progress: Progress | None = None) -> IngestReport:
        report = IngestReport()
        with self._folding_kept():
            self._run(items, report, progress)
            self._fold_again(report)
        return report

    def delete(self, article_id: str) -> None:
        """Delete an article and its passages. A canonical article's copies are folded again
        first (one of them becomes canonical, the others its copies), so a crash at any point
        loses none of them."""
        meta = self.store.article_meta([article_id]).get(article_id)
        if meta is None:
            raise NotFound(f"no article with id {article_id!r}")
        with self._folding_kept():
            if self.folding is not None:
                if meta.get("copy_of"):
                    self.folding.detach(article_id, str(meta["copy_of"]))
                self._exclude = {article_id}
                self._refold.update(dict.fromkeys(c["article_id"] for c in copies_in(meta)))
                self._fold_again(IngestReport())
                self._exclude = set()
                self.folding.index.remove(article_id)
            self.store.delete_article(article_id)

    @contextmanager
    def _folding_kept(self) -> Iterator[None]:
        """The copy index current before and after; forgotten when anything fails (it is
        built again from the store next time)."""
        if self.folding is None:
            yield
            return
        self.folding.sync()
        try:
            yield
        except BaseException:
            self.folding.index.generation = None
            raise
        self.folding.settled()

    def _fold_again(self, report: IngestReport) -> None:
        """Write again the copies whose canonical article was replaced or deleted."""
        while self._refold:
            ids = list(self._refold)
            self._refold.clear()
            copies = self.store.get_articles(ids)
            self._force = set(copies)
            again = IngestReport()
            self._run([copies[i] for i in ids if i in copies], again, None)
            self._force = set()
            report.passages += again.passages
            report.copies |= again.copies

    def _run(self, items: Iterable[Article | LoadFailure], report: IngestReport,
             progress: Progress | None) -> None:
        self._seen = set()
        self._recent.clear()
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

    def _batches(self, items: Iterable[Article | LoadFailure], report: IngestReport,
                 progress: Progress | None) -> Iterable[_Batch]:
        batch, size = self._new_batch(), 0
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
            if item.id not in self._force:
                (report.new if status == "new" else report.updated).append(item.id)
            if had_record:
                batch.had_record.add(item.id)
            canonical = self._fold(item, known, batch)
            if canonical is not None:
                batch.copies[item.id] = (item, canonical)
                report.copies[item.id] = canonical
                size += 1
            else:
                batch.articles.append(item)
                tokens = self.embedder.tokenize(item.text)
                batch.plans.append(ArticlePlan(item, tokens, plan_passages(item, tokens.count)))
                size += len(batch.plans[-1].passages)
            if size >= self.batch_passages:
                yield batch
                batch, size = self._new_batch(), 0
        if batch.articles or batch.copies:
            yield batch

    def _new_batch(self) -> _Batch:
        batch = _Batch()
        self._recent.append(batch)  # this one and the one being written may be unstored
        return batch

    def _fold(self, article: Article, known: dict[str, Any] | None, batch: _Batch) -> str | None:
        """The canonical article ``article`` is a copy of (``None``: it is canonical itself),
        the copy index updated; what the store must change about its copies goes in
        ``batch``."""
        if self.folding is None:
            return None
        found = fingerprint(article.title, article.text, self.folding.index.rules)
        canonical = None
        if found is not None:
            recent = {i: t for b in self._recent for i, t in b.texts.items()}
            canonical = self.folding.match(found, recent, self._exclude | {article.id})
        if found is not None and canonical is None:
            self.folding.index.add(article.id, found.signature)
            batch.signatures[article.id] = encode_signature(found.signature)
            batch.texts[article.id] = article.text
        else:
            self.folding.index.remove(article.id)
            batch.unsigned.add(article.id)
        was_copy_of = str((known or {}).get("copy_of") or "")
        if was_copy_of and was_copy_of != canonical:
            batch.detach[article.id] = was_copy_of
        # its own copies were copies of what it was: they are folded again after this run
        self._refold.update(dict.fromkeys(c["article_id"] for c in copies_in(known)))
        return canonical

    def _vectors(self, batch: _Batch) -> _Vectors:
        """Passage and article vectors (and sentence vectors, with the local model); a
        copy's record gets its headline's vector."""
        copies = (self.embedder.embed([headline(a) for a, _ in batch.copies.values()])
                  if batch.copies else np.zeros((0, 1)))
        if not batch.plans:
            return _Vectors(np.zeros((0, 1)), np.zeros((0, 1)), None, copies)
        if self._pooler is not None and all(plan.passages for plan in batch.plans):
            pooled = self._pooler.pool(batch.plans)
            return _Vectors(pooled.passages, pooled.articles, pooled.units, copies)
        passages = self.embedder.embed([p.text for p in batch.passages])
        firsts, offset = [], 0
        for plan in batch.plans:
            firsts.append(offset if plan.passages else -1)
            offset += len(plan.passages)
        heads = [headline(plan.article) for plan, first in zip(batch.plans, firsts, strict=True)
                 if first < 0]
        extra = iter(self.embedder.embed(heads)) if heads else iter(())
        articles = np.stack([passages[first] if first >= 0 else next(extra) for first in firsts])
        return _Vectors(passages, articles, None, copies)

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
        if article.id in self._force:
            return "updated", known is not None
        if known is not None and known.get("complete"):
            if known.get("text_hash") != content_hash(article):
                return "updated", True
            if (known.get("copy_of") and self.folding is not None
                    and not self.folding.listed(article.id, str(known["copy_of"]))):
                return "updated", True  # its canonical article went (a crash): fold again
            if (article.origin or "") != known.get("origin", ""):
                # moved or copied to another file, or now (also) read from a collection
                self.store.set_origin(article.id, article.origin or "")
                self._drop_older_versions(article)
            return "unchanged", True
        older = self.store.ids_with_origin(article.origin) if article.origin else []
        return ("updated" if set(older) - {article.id} else "new"), known is not None

    def _drop_older_versions(self, article: Article, seen: frozenset[str] | None = None) -> None:
        """Delete what the same file held before, unless this run also read it elsewhere
        (its copies are folded again after this run)."""
        if article.origin:
            for old_id in set(self.store.ids_with_origin(article.origin)) - (seen or self._seen):
                if self.folding is not None:
                    meta = self.store.article_meta([old_id]).get(old_id)
                    self._refold.update(dict.fromkeys(c["article_id"] for c in copies_in(meta)))
                    if meta and meta.get("copy_of"):
                        self.folding.detach(old_id, str(meta["copy_of"]))
                    self.folding.index.remove(old_id)
                self.store.delete_article(old_id)

    def _write(self, batch: _Batch, vectors: _Vectors, seen: frozenset[str],
               progress: Progress | None) -> int:
        """Runs in the writer thread; ``seen`` is what the run had read when it was sent."""
        copies = [article for article, _ in batch.copies.values()]
        counts = {a.id: 0 for a in batch.articles + copies}
        for passage in batch.passages:
            counts[passage.article_id] += 1
        hashes = {a.id: content_hash(a) for a in batch.articles + copies}
        # Old versions are hidden first, so a crash anywhere below leaves them incomplete
        # (redone by the next run, never served) rather than complete with wrong passages.
        self.store.mark_complete(sorted(batch.had_record), complete=False)
        self.store.delete_passages_of(sorted(batch.had_record))
        self.store.write_articles(batch.articles, vectors.articles, hashes, counts,
                                  complete=False, units=vectors.units)
        if copies:
            self.store.write_articles(copies, vectors.copies, hashes, counts, complete=False,
                                      copy_of={i: c for i, (_, c) in batch.copies.items()})
        for article in batch.articles + copies:
            self._drop_older_versions(article, seen)
        self.store.write_passages(batch.passages, vectors.passages,
                                  {a.id: a for a in batch.articles})
        if self.folding is not None:
            self.store.delete_signatures(sorted(batch.unsigned))
            self.store.write_signatures(batch.signatures)
            for copy_id, canonical in batch.detach.items():
                self.folding.detach(copy_id, canonical)
            self.folding.attach(batch.copies)
        self.store.mark_complete(batch.ids)
        if progress:
            progress(len(batch.ids), len(batch.passages))
        return len(batch.passages)
