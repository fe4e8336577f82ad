"""The rule-and-embedding verifier: lexical coverage mixed with the embedding cosine, then
capped by the rules of ``qa.check.support`` (numbers, names, negation, opposites, reported
speech)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from qa.check.support import POST_AS_FACT, post_stated_as_fact, support_score
from qa.check.verifier import Pair
from qa.index.embedding import Embedder
from qa.text.speech import strip_attribution


class HeuristicVerifier:
    name = "heuristic"

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._last = threading.local()

    def score(self, pairs: Sequence[Pair]) -> list[float]:
        vectors = self._vectors(pairs)
        out = []
        for claim, quotes in pairs:
            joint = np.sum([vectors[q.text] for q in quotes], axis=0)
            if len(quotes) > 1:
                joint = joint / max(float(np.linalg.norm(joint)), 1e-12)
            evidence = " ".join(q.evidence for q in quotes)
            score = support_score(claim, evidence, vectors[strip_attribution(claim)], joint)
            if post_stated_as_fact(claim, [q.byline for q in quotes]):
                score = min(score, POST_AS_FACT)
            out.append(score)
        return out

    def _vectors(self, pairs: Sequence[Pair]) -> dict[str, np.ndarray]:
        """Unit vectors of every claim (without its attribution) and quote, embedded in one
        batch; when this thread's previous batch holds them all (the checker asks about
        spans taken together after asking about each), they are not embedded again."""
        last: dict[str, np.ndarray] = getattr(self._last, "vectors", {})
        wanted: list[str] = []
        for claim, quotes in pairs:
            core = strip_attribution(claim)
            if core not in wanted:
                wanted.append(core)
            wanted += [q.text for q in quotes]
        if all(text in last for text in wanted):
            return last
        vectors = dict(zip(wanted, self.embedder.embed(wanted), strict=True))
        self._last.vectors = vectors
        return vectors
