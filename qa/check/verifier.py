"""The ``Verifier`` seam: how well evidence supports a claim, scored for a batch of pairs.

``build_verifier`` makes the one the settings ask for. A new verifier is one module with a
class that has ``name`` and ``score``, and one line in ``VERIFIERS``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

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


def _heuristic(settings: Settings, embedder: Embedder, judge: Any) -> Verifier:
    from qa.check.heuristic import HeuristicVerifier

    return HeuristicVerifier(embedder)


def _model(settings: Settings, embedder: Embedder, judge: Any) -> Verifier:
    from qa.check.model_check import ModelCheckedVerifier
    from qa.prompts import load_prompt

    rules = _heuristic(settings, embedder, None)
    if judge is None:
        return rules
    return ModelCheckedVerifier(rules, judge, load_prompt("judge"), settings.support_threshold)


VERIFIERS: dict[str, Callable[[Settings, Embedder, Any], Verifier]] = {
    "heuristic": _heuristic,
    "model": _model,
}


def build_verifier(settings: Settings, embedder: Embedder, judge: Any = None) -> Verifier:
    """The verifier ``QA_VERIFIER`` names; ``auto``: the rules with the answerer's language
    model (``judge``) for a second opinion when there is one that judges (a catalogue model
    may not: ``judges = false``), else the rules alone."""
    name = settings.verifier
    if name == "auto":
        name = "model" if judge is not None and getattr(judge, "judges", True) else "heuristic"
    return VERIFIERS[name](settings, embedder, judge)
