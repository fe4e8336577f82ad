"""Passage, sentence and article vectors from one forward pass over each stretch of text.

An article is tokenised once (``MiniLMEmbedding.tokenize``). Its passages overlap by at most
one short sentence, so the model reads each passage's *window*: the passage without what the
previous passage already read. Each unit (a sentence, or a piece of a long one) gets the sum
of its token states; a passage's vector is the mean over its units' tokens and its own
window's ``[CLS]`` and ``[SEP]`` (what the model's mean pooling covers), a unit's vector the
mean over its own tokens; all L2-normalised. So the overlap is read once, sentence vectors
cost no model time, and a window seen before (a syndicated copy) is not read again.
"""

from __future__ import annotations

import base64
import hashlib
from bisect import bisect_left
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from qa.index.embedding import MiniLMEmbedding, Tokens
from qa.types import Article, Passage, Span

DIM = 384
CACHE_WINDOWS = 2048
"""Windows whose unit sums are kept for reuse: about 15 KB each."""


@dataclass
class ArticlePlan:
    article: Article
    tokens: Tokens
    passages: list[tuple[Passage, list[Span]]]


@dataclass
class Units:
    """An article's units: their ``(start, end)`` offsets and unit vectors, row by row."""

    spans: list[Span]
    vectors: np.ndarray


@dataclass
class Pooled:
    passages: np.ndarray
    """One unit vector a passage, articles' passages in order."""
    articles: np.ndarray
    """One a article: its first passage's (the headline's standfirst is in it)."""
    units: list[Units]


@dataclass
class _Window:
    plan: int
    key: str
    ids: np.ndarray
    starts: list[int]
    """The character offset of each of ``ids``."""
    units: list[Span]


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    out: np.ndarray = (matrix / np.clip(norms, 1e-12, None)).astype(np.float32)
    return out


class LatePooler:
    """Vectors for planned passages from the local model's token states."""

    def __init__(self, model: MiniLMEmbedding, cache_windows: int = CACHE_WINDOWS) -> None:
        self.model = model
        self.cache_windows = cache_windows
        self._cache: OrderedDict[str, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self.windows_read = 0
        self.windows_reused = 0

    def pool(self, plans: list[ArticlePlan]) -> Pooled:
        windows = [w for index, plan in enumerate(plans) for w in _windows(index, plan)]
        sums = self._unit_sums(windows)
        per_article: list[dict[Span, np.ndarray]] = [{} for _ in plans]
        edges: dict[tuple[int, Span], np.ndarray] = {}
        for window in windows:
            unit_sums, edge = sums[window.key]
            per_article[window.plan].update(zip(window.units, unit_sums, strict=True))
            edges[(window.plan, window.units[-1])] = edge
        passage_rows, article_rows, units = [], [], []
        for index, plan in enumerate(plans):
            table = per_article[index]
            for _, spans in plan.passages:
                total = edges[(index, spans[-1])] + np.sum([table[s] for s in spans], axis=0)
                passage_rows.append(total)
            spans = sorted(table)
            units.append(Units(spans, _unit(np.stack([table[s] for s in spans]))))
        passage_vectors = _unit(np.stack(passage_rows)) if passage_rows else np.zeros((0, DIM))
        offset = 0
        for plan in plans:
            article_rows.append(passage_vectors[offset])
            offset += len(plan.passages)
        return Pooled(passage_vectors.astype(np.float32),
                      np.stack(article_rows).astype(np.float32), units)

    def _unit_sums(self, windows: list[_Window]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per window key: the token-state sum of each unit, and of ``[CLS]`` + ``[SEP]``."""
        found: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        todo: dict[str, _Window] = {}
        for window in windows:
            cached = self._cache.get(window.key)
            if cached is not None:
                self._cache.move_to_end(window.key)
                found[window.key] = cached
            elif window.key not in todo:
                todo[window.key] = window
        self.windows_reused += len(windows) - len(todo)
        self.windows_read += len(todo)
        reading = list(todo.values())
        states = self.model.token_states([w.ids for w in reading])
        for window, hidden in zip(reading, states, strict=True):
            inner = hidden[1:-1]
            rows = []
            for start, end in window.units:
                lo, hi = bisect_left(window.starts, start), bisect_left(window.starts, end)
                rows.append(inner[lo:hi].sum(axis=0) if hi > lo else np.zeros(DIM, np.float32))
            found[window.key] = (np.stack(rows), hidden[0] + hidden[-1])
            self._cache[window.key] = found[window.key]
        while len(self._cache) > self.cache_windows:
            self._cache.popitem(last=False)
        return found


def _windows(index: int, plan: ArticlePlan) -> list[_Window]:
    """Each passage without the part the passage before it already covers."""
    out = []
    text = plan.article.text
    previous_end = 0
    for passage, spans in plan.passages:
        own = [s for s in spans if s[0] >= previous_end] or spans
        start = own[0][0]
        first, last = plan.tokens.bounds(start, passage.end)
        relative = ";".join(f"{s - start}:{e - start}" for s, e in own)
        key = hashlib.sha1(f"{relative}\n{text[start:passage.end]}".encode()).hexdigest()
        out.append(_Window(index, key, plan.tokens.ids[first:last],
                           plan.tokens.starts[first:last], own))
        previous_end = passage.end
    return out


def encode_units(units: Units) -> dict[str, str]:
    """Units as two compact strings (Chroma metadata holds no arrays): the offsets as int32,
    the vectors as int8 scaled per row (renormalised when read: cosines move < 0.002)."""
    spans = np.asarray(units.spans, dtype="<i4").reshape(-1)
    peak = np.clip(np.abs(units.vectors).max(axis=1, keepdims=True), 1e-12, None)
    quantised = np.round(units.vectors / peak * 127).astype(np.int8)
    return {"unit_spans": base64.b64encode(spans.tobytes()).decode(),
            "unit_vectors": base64.b64encode(quantised.tobytes()).decode()}


class StoredUnits:
    """Units as ``encode_units`` stored them, a row decoded when asked for: a question reads
    the vectors of a few sentences of the articles it retrieves, not of all of them."""

    _ROW = DIM * 4 // 3  # base64 characters a row: DIM bytes, a multiple of 3
    assert DIM % 3 == 0

    def __init__(self, spans_text: str, vectors_text: str) -> None:
        flat = np.frombuffer(base64.b64decode(spans_text), dtype="<i4")
        self.spans: list[Span] = list(zip(flat[0::2].tolist(), flat[1::2].tolist(), strict=True))
        self._text = vectors_text
        self._rows: dict[Span, int] | None = None

    def vector(self, span: Span) -> np.ndarray | None:
        """The unit vector of the unit at ``span``; ``None`` when there is none."""
        if self._rows is None:
            self._rows = {s: i for i, s in enumerate(self.spans)}
        row = self._rows.get(span)
        if row is None:
            return None
        raw = base64.b64decode(self._text[row * self._ROW:(row + 1) * self._ROW])
        vector: np.ndarray = _unit(np.frombuffer(raw, dtype=np.int8).astype(np.float32))
        return vector

    @property
    def vectors(self) -> np.ndarray:
        """Every row."""
        raw = np.frombuffer(base64.b64decode(self._text), dtype=np.int8).reshape(-1, DIM)
        return _unit(raw.astype(np.float32))


def decode_units(meta: dict[str, object]) -> StoredUnits | None:
    """The units stored by ``encode_units``; ``None`` for a record without them (a store
    written before they existed, or by a remote embedder): sentences are then embedded."""
    spans_text, vectors_text = meta.get("unit_spans"), meta.get("unit_vectors")
    if not isinstance(spans_text, str) or not isinstance(vectors_text, str) or not spans_text:
        return None
    return StoredUnits(spans_text, vectors_text)
