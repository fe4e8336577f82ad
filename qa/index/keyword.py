"""The keyword (BM25) index: derived state built from the store's passages.

It holds only what ranking needs (ids as bytes, publication dates, the bm25s matrix); the
matrix is also the store's inverted index (the passages holding a term are a column of it),
which answers the answerer's "which retrieved articles hold these names" without stemming
the articles again.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import time
from collections.abc import Collection
from functools import cached_property

import bm25s
import numpy as np

from qa.index.store import ArticleStore
from qa.text.terms import terms


class BM25Index:
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

    @cached_property
    def published_of(self) -> dict[bytes, float]:
        """Each passage's publication time (epoch seconds; NaN: no date), by its id."""
        return dict(zip(self.ids.tolist(), self.published.tolist(), strict=True))


def _return_freed_memory() -> None:
    """Give the heap the index build freed back to the system (glibc keeps it otherwise,
    and the service's memory would stay at the build's peak)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)
