"""Syndicated copies: one story under several URLs, lightly edited.

An article's *body* (its paragraphs of story text, each counted up to a cap) is cut into
shingles of a few words. The MinHash signatures of the canonical articles (those stored for
retrieval) are kept in a MinHash LSH index (``datasketch``); a new article whose shingles
overlap a canonical's by the fold threshold (Jaccard similarity, counted exactly on the
candidates the index finds) is a copy of it. Pages with too little story text, or text that
is not about their headline (a page of sign-up boilerplate), are never folded. The rules
and thresholds are data, in ``copies.toml``.
"""

from __future__ import annotations

import base64
import re
import threading
import tomllib
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

from qa.text.terms import present_terms, terms, words

SCHEME = "affine32"
"""datasketch's MinHash scheme: the stored signatures were made with it."""


@dataclass(frozen=True)
class CopyRules:
    min_paragraph_words: int
    paragraph_words: int
    headline_suffix: re.Pattern[str]
    shingle_words: int
    min_shingles: int
    min_headline_share: float
    permutations: int
    seed: int
    threshold: float
    candidate_threshold: float


@cache
def copy_rules() -> CopyRules:
    """The rules of ``copies.toml``, read once."""
    raw = tomllib.loads(resources.files("qa.index").joinpath("copies.toml").read_text("utf-8"))
    body, prints, fold = raw["body"], raw["fingerprint"], raw["fold"]
    return CopyRules(
        min_paragraph_words=int(body["min_paragraph_words"]),
        paragraph_words=int(body["paragraph_words"]),
        headline_suffix=re.compile(str(body["headline_suffix"])),
        shingle_words=int(prints["shingle_words"]), min_shingles=int(prints["min_shingles"]),
        min_headline_share=float(prints["min_headline_share"]),
        permutations=int(prints["permutations"]), seed=int(prints["seed"]),
        threshold=float(fold["threshold"]),
        candidate_threshold=float(fold["candidate_threshold"]),
    )


def text_shingles(text: str, rules: CopyRules) -> frozenset[int]:
    """The shingles of an article's body: what two articles' similarity is counted on."""
    return shingles(body(text, rules), rules.shingle_words)


def body(text: str, rules: CopyRules) -> list[list[str]]:
    """The words of each paragraph of story text, at most ``paragraph_words`` of each."""
    paragraphs = (words(line) for line in text.split("\n"))
    return [found[:rules.paragraph_words] for found in paragraphs
            if len(found) >= rules.min_paragraph_words]


def shingles(paragraphs: list[list[str]], size: int) -> frozenset[int]:
    """Each run of ``size`` words within a paragraph, as a 32-bit hash."""
    return frozenset(zlib.crc32(" ".join(found[i:i + size]).encode())
                     for found in paragraphs for i in range(max(len(found) - size + 1, 1)))


def headline_share(title: str, paragraphs: list[list[str]], rules: CopyRules) -> float:
    """The share of the headline's content words (stemmed) that the body holds."""
    wanted = set(terms(rules.headline_suffix.sub("", title)))
    if not wanted:
        return 1.0
    held = present_terms(" ".join(" ".join(found) for found in paragraphs), wanted)
    return len(held) / len(wanted)


@dataclass(frozen=True)
class Fingerprint:
    shingles: frozenset[int]
    signature: np.ndarray
    """The MinHash of ``shingles``: ``permutations`` unsigned 32-bit values."""


def fingerprint(title: str, text: str, rules: CopyRules | None = None) -> Fingerprint | None:
    """The article's body as shingles and their MinHash; ``None`` when the body is too
    short, or not about the headline, to tell a copy by (such an article is never folded)."""
    rules = rules or copy_rules()
    paragraphs = body(text, rules)
    found = shingles(paragraphs, rules.shingle_words)
    if len(found) < rules.min_shingles:
        return None
    if headline_share(title, paragraphs, rules) < rules.min_headline_share:
        return None
    minhash = MinHash(num_perm=rules.permutations, seed=rules.seed, hashfunc=_as_is,
                      scheme=SCHEME)
    minhash.update_batch(list(found))
    return Fingerprint(found, np.asarray(minhash.hashvalues, dtype=np.uint32))


def similarity(a: frozenset[int], b: frozenset[int]) -> float:
    """Jaccard similarity of two shingle sets."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def encode_signature(signature: np.ndarray) -> str:
    return base64.b64encode(np.asarray(signature, dtype="<u4").tobytes()).decode()


def decode_signature(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<u4").astype(np.uint32)


ShinglesOf = Callable[[list[str]], dict[str, frozenset[int]]]
"""The shingles of stored articles, by id."""


class CopyIndex:
    """The MinHash LSH index of the canonical articles' signatures (derived state: built
    from the stored signatures, kept current by the ingest that writes them)."""

    def __init__(self, rules: CopyRules | None = None) -> None:
        self.rules = rules or copy_rules()
        self._lsh = MinHashLSH(threshold=self.rules.candidate_threshold,
                               num_perm=self.rules.permutations)
        self._ids: set[str] = set()
        self._lock = threading.Lock()  # ingest's writer thread removes what it replaces
        self.generation: str | None = None
        """The store generation the index was last brought up to date with (``None``: it
        must be built again from the stored signatures)."""

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._ids

    def clear(self) -> None:
        with self._lock:
            self._lsh = MinHashLSH(threshold=self.rules.candidate_threshold,
                                   num_perm=self.rules.permutations)
            self._ids = set()
            self.generation = None

    def add(self, article_id: str, signature: np.ndarray) -> None:
        with self._lock:
            if article_id in self._ids:
                self._lsh.remove(article_id)
            self._lsh.insert(article_id, self._minhash(signature))
            self._ids.add(article_id)

    def remove(self, article_id: str) -> None:
        with self._lock:
            if article_id in self._ids:
                self._lsh.remove(article_id)
                self._ids.discard(article_id)

    def candidates(self, signature: np.ndarray) -> list[str]:
        """The canonical articles whose signatures make them likely copies, sorted."""
        with self._lock:
            found = self._lsh.query(self._minhash(signature))
        return sorted(str(article_id) for article_id in found)

    def match(self, article: Fingerprint, shingles_of: ShinglesOf,
              exclude: Iterable[str] = ()) -> tuple[str, float] | None:
        """The canonical article ``article`` is a copy of, with their similarity (the most
        similar of those at the threshold), or ``None``. ``shingles_of`` gives the shingles
        of stored articles by id (the candidates are counted exactly)."""
        skip = set(exclude)
        found = [c for c in self.candidates(article.signature) if c not in skip]
        if not found:
            return None
        scored = [(similarity(article.shingles, theirs), article_id)
                  for article_id, theirs in shingles_of(found).items()]
        best = max(scored, default=None, key=lambda pair: (pair[0], pair[1]))
        if best is None or best[0] < self.rules.threshold:
            return None
        return best[1], best[0]

    def _minhash(self, signature: np.ndarray) -> LeanMinHash:
        return LeanMinHash(seed=self.rules.seed, hashvalues=signature, scheme=SCHEME)


def _as_is(value: int) -> int:
    """The shingles are hashed already (32-bit): MinHash permutes them as they are."""
    return value
