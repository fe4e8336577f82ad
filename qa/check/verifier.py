"""The ``Verifier`` seam: how well evidence supports a claim, scored for a batch of pairs.

``build_verifier`` makes the one the settings ask for. A new verifier is one module with a
class that has ``name`` and ``score``, and one line in ``VERIFIERS``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from qa.config import Settings
from qa.index.embedding import Embedder
from qa.types import Quote

Pair = tuple[str, Sequence[Quote]]
"""A claim, and the quotes that together are its evidence."""


class Verifier(Protocol):
    name: str

    def score(self, pairs: Sequence[Pair]) -> list[float]:
        """Support in [0, 1] of each claim by its quotes taken together."""
        ...


def _heuristic(settings: Settings, embedder: Embedder) -> Verifier:
    from qa.check.heuristic import HeuristicVerifier

    return HeuristicVerifier(embedder)


VERIFIERS: dict[str, Callable[[Settings, Embedder], Verifier]] = {
    "heuristic": _heuristic,
}


def build_verifier(settings: Settings, embedder: Embedder) -> Verifier:
    return VERIFIERS[settings.verifier](settings, embedder)
