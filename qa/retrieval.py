"""Hybrid retrieval: dense (Chroma) and BM25, fused by reciprocal rank.

The BM25 index is derived state, rebuilt from the store when the store's generation stamp
changes; Chroma stays the only source of truth. It holds only what ranking needs (ids as
bytes, publication dates, the bm25s matrix); the passages it ranks best are read back from
Chroma, so a hit's offsets are always current. A small index is rebuilt before the query
that finds it stale; a large one (``INLINE_REBUILD`` passages and more) in a background
thread while queries go on with the one they have. A service (``warm``) builds a large
store's first index in the background too, answering from the dense index alone until it is
ready, rather than holding its first question for minutes (740k passages: 3.5 min here).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import math
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import bm25s
import numpy as np

from qa.embedding import Embedder
from qa.store import ArticleStore, Where, epoch
from qa.terms import terms

RRF_K = 60
INLINE_REBUILD = 50_000
"""Below this many passages the index is rebuilt before answering (seconds at most)."""
REBUILD_PAUSE = 3.0
"""A background rebuild waits this many times the last build's duration before the next."""
RETRY_FAILED_REBUILD = 30.0
"""Seconds before a background rebuild that failed is tried again."""
log = logging.getLogger("articleqa.retrieval")


class Lexicon(Protocol):
    """What the keyword index tells the answerer about words (``_BM25Index``, or
    ``NO_LEXICON`` while there is none)."""

    def idf(self, term: str) -> float: ...

    def held_by(self, article_ids: Collection[str], wanted: Collection[str]
                ) -> tuple[set[str], set[str]]: ...


class _NoLexicon:
    """Every word weighs the same and no article is known: the answerer reads them itself."""

    def idf(self, term: str) -> float:
        return 1.0

    def held_by(self, article_ids: Collection[str], wanted: Collection[str]
                ) -> tuple[set[str], set[str]]:
        return set(), set(article_ids)


NO_LEXICON: Lexicon = _NoLexicon()


@dataclass
class Hit:
    passage_id: str
    article_id: str
    start: int
    end: int
    text: str
    score: float


class _BM25Index:
    """The bm25s matrix of every passage, which is also the store's inverted index: the
    passages holding a term are a column of it (``held_by`` reads those)."""

    def __init__(self, store: ArticleStore) -> None:
        started = time.perf_counter()
        self.generation = store.generation()
        ids: list[str] = []
        owners: list[str] = []
        published = []
        corpus = []
        one: dict[str, str] = {}  # each distinct term held once, not once per occurrence
        for pid, text, meta in store.iter_passages():
            ids.append(pid)
            owners.append(str(meta.get("article_id", "")))
            published.append(float(meta["published_at"]) if "published_at" in meta else np.nan)
            corpus.append([one.setdefault(t, t) for t in terms(text)] or ["__empty__"])
        self.size = len(ids)
        self.ids = np.array(ids, dtype=np.bytes_)  # a tenth of the memory of a list of str
        self.published = np.asarray(published, dtype=np.float64)  # NaN: no date
        # each article's passages: positions[first[a]:first[a + 1]] for the a-th of articles
        owned_by = np.array([o.encode() for o in owners], dtype=np.bytes_)
        self.articles, owner = np.unique(owned_by, return_inverse=True)
        self.positions = np.argsort(owner, kind="stable").astype(np.int32)
        self.first = np.searchsorted(owner[self.positions], np.arange(len(self.articles) + 1))
        self.model = bm25s.BM25()
        if corpus:
            self.model.index(corpus, show_progress=False)
        del corpus, ids, owners, owned_by, owner, published, one
        _return_freed_memory()
        self.seconds = time.perf_counter() - started

    def _column(self, term: str) -> np.ndarray:
        """The positions of the passages holding ``term``, ascending."""
        token = self.model.vocab_dict.get(term) if self.size else None
        indptr = self.model.scores["indptr"] if self.size else []
        if token is None or token + 1 >= len(indptr):
            return np.zeros(0, np.int32)
        column: np.ndarray = self.model.scores["indices"][indptr[token]:indptr[token + 1]]
        return column

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency: rare words weigh more, common ones near 0."""
        n, df = self.size, len(self._column(term))
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def held_by(self, article_ids: Collection[str], wanted: Collection[str]
                ) -> tuple[set[str], set[str]]:
        """The ``wanted`` terms that some passage of these articles holds, and the articles
        this index does not know (ingested since it was built): read from the terms'
        columns, where stemming the articles' words took most of an extractive answer."""
        keys = sorted(article_ids)
        if not self.size:
            return set(), set(keys)
        encoded = np.array([k.encode() for k in keys], dtype=np.bytes_)
        found = np.minimum(np.searchsorted(self.articles, encoded), len(self.articles) - 1)
        known = found[self.articles[found] == encoded]
        unknown = {k for k, e in zip(keys, self.articles[found] != encoded, strict=True) if e}
        mine = np.sort(np.concatenate([np.zeros(0, np.int32)] + [
            self.positions[self.first[a]:self.first[a + 1]] for a in known]))
        held = set()
        for term in wanted:
            column = self._column(term)
            at = np.searchsorted(column, mine)
            if len(column) and bool((column[np.minimum(at, len(column) - 1)] == mine).any()):
                held.add(term)
        return held, unknown

    def search(self, query_terms: list[str], n: int, mask: np.ndarray | None) -> list[int]:
        """The positions of the ``n`` best-scoring passages holding a query term, best first.
        Only those are ranked (bm25s would partition the scores of every passage: at 740k
        passages that was most of a question's BM25 time)."""
        known = self.model.get_tokens_ids(query_terms) if self.size else []
        if not known:
            return []
        # bm25s's get_scores, summed column by column with a plain indexed add (a column
        # holds a passage once): its np.add.at was a third of BM25's time at 740k passages
        matrix = self.model.scores
        scores = np.zeros(self.size, dtype=matrix["data"].dtype)
        for token in known:
            first, last = matrix["indptr"][token], matrix["indptr"][token + 1]
            scores[matrix["indices"][first:last]] += matrix["data"][first:last]
        if mask is not None:
            scores *= mask
        found = np.flatnonzero(scores > 0)
        if len(found) > n:
            found = found[np.argpartition(-scores[found], n - 1)[:n]]
        return [int(i) for i in found[np.argsort(-scores[found], kind="stable")]]

    def passage_id(self, position: int) -> str:
        return bytes(self.ids[position]).decode()


class HybridRetriever:
    """Dense + BM25 over the passages of one store, with published-date filters."""

    def __init__(self, store: ArticleStore, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder
        self._bm25: _BM25Index | None = None
        self._lock = threading.Lock()
        self._rebuilding = False
        self._next_rebuild = 0.0
        self._first_in_background = False

    def warm(self) -> None:
        """Start building the index now, for a service: in the background for a large store
        (questions meanwhile use the dense index alone), at once for a small one."""
        with self._lock:
            self._first_in_background = True
        try:
            self._index()
        except Exception:  # the store is unreachable: the first question tries again
            log.warning("building the keyword index failed; the first question tries again",
                        exc_info=True)

    @property
    def keyword_index_ready(self) -> bool:
        """False only while the first index of a large store is built in the background."""
        return self._bm25 is not None or not self._first_in_background

    def _index(self) -> _BM25Index | None:
        """The current index; ``None`` while a service builds a large store's first one."""
        generation = self.store.generation()
        with self._lock:
            current = self._bm25
            if current is not None and current.generation == generation:
                return current
            if current is not None:
                inline = current.size < INLINE_REBUILD
            else:  # a service builds a large store's first index in the background too
                inline = not self._first_in_background or (
                    not self._rebuilding and self.store.count_passages() < INLINE_REBUILD)
            if inline:
                self._bm25 = _BM25Index(self.store)
                return self._bm25
            if not self._rebuilding and time.monotonic() >= self._next_rebuild:
                self._rebuilding = True
                if current is None:
                    log.warning("building the keyword (BM25) index of %s passages in the "
                                "background; questions use the dense index alone meanwhile",
                                f"{self.store.count_passages():,}")
                threading.Thread(target=self._rebuild, name="bm25-rebuild", daemon=True).start()
            return current

    def _rebuild(self) -> None:
        try:
            index = _BM25Index(self.store)
        except Exception:  # the store went away (a Chroma server restarting): try later
            log.warning("rebuilding the BM25 index failed; the old one serves meanwhile",
                        exc_info=True)
            with self._lock:
                self._next_rebuild = time.monotonic() + RETRY_FAILED_REBUILD
                self._rebuilding = False
            return
        with self._lock:
            self._bm25 = index
            self._next_rebuild = time.monotonic() + REBUILD_PAUSE * index.seconds
            self._rebuilding = False

    def retrieve(self, query: str, top_k: int, since: date | None = None,
                 until: date | None = None, query_vector: np.ndarray | None = None) -> list[Hit]:
        """The ``top_k`` passages for ``query``, best first, fused by reciprocal rank."""
        return self.search(query, top_k, since, until, query_vector)[0]

    def search(self, query: str, top_k: int, since: date | None = None,
               until: date | None = None, query_vector: np.ndarray | None = None
               ) -> tuple[list[Hit], Lexicon]:
        """``retrieve``, and the keyword index it searched (the idf of terms, and which
        articles hold them), read once for the whole question."""
        pool = max(top_k * 4, 20)
        vector = query_vector if query_vector is not None else self.embedder.embed_one(query)
        index = self._index()
        if index is not None and not index.size:
            return [], index
        dense = self.store.query_passages(vector, pool, _where(since, until))
        sparse: list[str] = []
        if index is not None:
            mask = _mask(index.published, since, until)
            sparse = [index.passage_id(i) for i in index.search(terms(query), pool, mask)]
        fused: dict[str, float] = {}
        for rank, (pid, _) in enumerate(dense):
            fused[pid] = fused.get(pid, 0.0) + 1.0 / (RRF_K + rank + 1)
        for rank, pid in enumerate(sparse):
            fused[pid] = fused.get(pid, 0.0) + 1.0 / (RRF_K + rank + 1)
        best = sorted(fused, key=lambda p: fused[p], reverse=True)[:top_k]
        found = self.store.get_passages(best)  # gone since the index was built: left out
        # the index may predate a re-ingest that changed an article's date: check it again
        hits = [Hit(pid, str(found[pid][1]["article_id"]), int(found[pid][1]["start"]),
                    int(found[pid][1]["end"]), found[pid][0], fused[pid])
                for pid in best if pid in found and _in_range(found[pid][1], since, until)]
        return hits, index if index is not None else NO_LEXICON


def _return_freed_memory() -> None:
    """Give the heap the index build freed back to the system (glibc keeps it otherwise,
    and the service's memory would stay at the build's peak)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _in_range(meta: dict[str, Any], since: date | None, until: date | None) -> bool:
    if since is None and until is None:
        return True
    published = meta.get("published_at")
    if published is None:
        return False
    return (since is None or published >= epoch(since)) and (
        until is None or published <= epoch(until))


def _where(since: date | None, until: date | None) -> Where | None:
    clauses: list[Where] = []
    if since:
        clauses.append({"published_at": {"$gte": epoch(since)}})
    if until:
        clauses.append({"published_at": {"$lte": epoch(until)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _mask(published: np.ndarray, since: date | None, until: date | None) -> np.ndarray | None:
    if since is None and until is None:
        return None
    keep = ~np.isnan(published)
    if since:
        keep &= published >= epoch(since)
    if until:
        keep &= published <= epoch(until)
    weights: np.ndarray = keep.astype(np.float32)
    return weights
