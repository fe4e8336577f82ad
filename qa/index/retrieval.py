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

import logging
import math
import threading
import time
from dataclasses import replace
from datetime import date
from typing import Any

import numpy as np

from qa.index.embedding import Embedder
from qa.index.keyword import BM25Index
from qa.index.records import epoch
from qa.index.store import ArticleStore, Where
from qa.text.terms import terms
from qa.types import NO_LEXICON, Hit, Lexicon

RRF_K = 60
DATED_POOL = 4
"""With dates, the unfiltered dense pool is this many times wider before they filter it."""
INLINE_REBUILD = 50_000
"""Below this many passages the index is rebuilt before answering (seconds at most)."""
REBUILD_PAUSE = 3.0
"""A background rebuild waits this many times the last build's duration before the next."""
RETRY_FAILED_REBUILD = 30.0
"""Seconds before a background rebuild that failed is tried again."""
log = logging.getLogger("articleqa.retrieval")


class HybridRetriever:
    """Dense + BM25 over the passages of one store, with published-date filters."""

    def __init__(self, store: ArticleStore, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder
        self._bm25: BM25Index | None = None
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

    def _index(self) -> BM25Index | None:
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
                self._bm25 = BM25Index(self.store)
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
            index = BM25Index(self.store)
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

    def _dense(self, vector: np.ndarray, pool: int, top_k: int, index: BM25Index | None,
               since: date | None, until: date | None,
               undated: bool) -> list[tuple[str, float]]:
        """The nearest passages within the dates. Chroma's own date filter is slow (a
        metadata scan: 5 to 25 times an unfiltered query on the RealTimeQA store), so a
        wider unfiltered pool is filtered here by the keyword index's dates; Chroma filters
        only when too few of that pool are in the dates (a narrow window)."""
        if since is None and until is None:
            return self.store.query_passages(vector, pool, None)
        if index is not None and index.size:
            dates = index.published_of
            wide = self.store.query_passages(vector, pool * DATED_POOL, None)
            kept = [(pid, score) for pid, score in wide
                    if _keep(dates.get(pid.encode(), math.nan), since, until, undated)]
            if len(kept) >= top_k or len(wide) < pool * DATED_POOL:
                return kept[:pool]
        return self.store.query_passages(vector, pool, _where(since, until, undated))

    def search(self, query: str, top_k: int, since: date | None = None,
               until: date | None = None, query_vector: np.ndarray | None = None,
               undated: bool = False, recency: float = 0.0) -> tuple[list[Hit], Lexicon]:
        """``retrieve``, and the keyword index it searched (the idf of terms, and which
        articles hold them), read once for the whole question. With ``undated``, articles
        with no date pass the date bounds too (nothing shows them to be outside). A
        ``recency`` weight adds a third ranking to the fusion: the candidates by date,
        newest first (undated ones last), counted ``recency`` times a dense or BM25 rank."""
        pool = max(top_k * 4, 20)
        vector = query_vector if query_vector is not None else self.embedder.embed_one(query)
        index = self._index()
        if index is not None and not index.size:
            return [], index
        dense = self._dense(vector, pool, top_k, index, since, until, undated)
        sparse: list[str] = []
        if index is not None:
            mask = _mask(index.published, since, until, undated)
            sparse = [index.passage_id(i) for i in index.search(terms(query), pool, mask)]
        fused: dict[str, float] = {}
        for rank, (pid, _) in enumerate(dense):
            fused[pid] = fused.get(pid, 0.0) + 1.0 / (RRF_K + rank + 1)
        for rank, pid in enumerate(sparse):
            fused[pid] = fused.get(pid, 0.0) + 1.0 / (RRF_K + rank + 1)
        if recency and index is not None and index.size:
            dates = index.published_of
            newest = sorted(fused, key=lambda p: -_or_oldest(dates.get(p.encode(), math.nan)))
            for rank, pid in enumerate(newest):
                fused[pid] += recency / (RRF_K + rank + 1)
        best = sorted(fused, key=lambda p: fused[p], reverse=True)[:top_k]
        found = self.store.get_passages(best)  # gone since the index was built: left out
        # the index may predate a re-ingest that changed an article's date: check it again
        hits = [Hit(pid, str(found[pid][1]["article_id"]), int(found[pid][1]["start"]),
                    int(found[pid][1]["end"]), found[pid][0], fused[pid])
                for pid in best if pid in found and _in_range(found[pid][1], since, until, undated)]
        return hits, index if index is not None else NO_LEXICON


def fuse(rankings: list[list[Hit]], top_k: int) -> list[Hit]:
    """The best ``top_k`` of several rankings by reciprocal rank fusion (a passage ranked
    in more of them rises), each hit scored with its fused score."""
    fused: dict[str, float] = {}
    first: dict[str, Hit] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking):
            fused[hit.passage_id] = fused.get(hit.passage_id, 0.0) + 1.0 / (RRF_K + rank + 1)
            first.setdefault(hit.passage_id, hit)
    best = sorted(fused, key=lambda p: fused[p], reverse=True)[:top_k]
    return [replace(first[p], score=fused[p]) for p in best]


def _or_oldest(published: float) -> float:
    """A publication time to sort by: an undated passage as if older than every other."""
    return -math.inf if math.isnan(published) else published


def _keep(published: float, since: date | None, until: date | None, undated: bool) -> bool:
    if math.isnan(published):
        return undated
    return (since is None or published >= epoch(since)) and (
        until is None or published <= epoch(until))


def _in_range(meta: dict[str, Any], since: date | None, until: date | None,
              undated: bool = False) -> bool:
    if since is None and until is None:
        return True
    return _keep(float(meta.get("published_at", math.nan)), since, until, undated)


def _where(since: date | None, until: date | None, undated: bool = False) -> Where | None:
    clauses: list[Where] = []
    if since:
        clauses.append({"published_at": {"$gte": epoch(since)}})
    if until:
        clauses.append({"published_at": {"$lte": epoch(until)}})
    if not clauses:
        return None
    dated: Where = clauses[0] if len(clauses) == 1 else {"$and": clauses}
    return {"$or": [dated, {"published_date": {"$eq": ""}}]} if undated else dated


def _mask(published: np.ndarray, since: date | None, until: date | None,
          undated: bool = False) -> np.ndarray | None:
    if since is None and until is None:
        return None
    keep = ~np.isnan(published)
    if since:
        keep &= published >= epoch(since)
    if until:
        keep &= published <= epoch(until)
    if undated:
        keep |= np.isnan(published)
    weights: np.ndarray = keep.astype(np.float32)
    return weights
