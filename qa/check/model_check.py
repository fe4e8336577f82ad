"""The rule verifier, with a language model's second opinion where the rules are unsure.

The rules score every pair (``HeuristicVerifier``). When the best pair of a batch (the
claim against its best candidate span) falls just short of the support threshold, with
no rule cap against it (a number, a name, a negation, an opposite word, a person's claim
stated as fact: those the rules catch reliably), the model is asked whether the span
supports the claim (``prompts/judge.txt``, one short reply); a "yes" lifts that pair just
over the threshold. A paraphrase the rules miss ("four people died" for "the death of
four people") is then supported; everything the rules reject outright stays rejected.
One model call at most per answer sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from qa.check.support import caps_against
from qa.check.verifier import Pair, Verifier
from qa.errors import UpstreamError

GRAY_FLOOR = 0.5
"""Below this the rules' "no" stands: too little of the claim is in the span."""


class Judge(Protocol):
    def chat(self, messages: list[dict[str, str]], max_tokens: int | None = None) -> str: ...


class ModelCheckedVerifier:
    name = "heuristic+model"

    def __init__(self, rules: Verifier, judge: Judge, prompt: str, threshold: float) -> None:
        self.rules = rules
        self.judge = judge
        self.prompt = prompt
        self.threshold = threshold
        self.asked = 0
        """Pairs the model was asked about (for reports)."""

    def score(self, pairs: Sequence[Pair]) -> list[float]:
        scores = self.rules.score(pairs)
        if not scores:
            return scores
        best = max(range(len(scores)), key=scores.__getitem__)
        claim, quotes = pairs[best]
        evidence = " ".join(q.evidence for q in quotes)
        if not GRAY_FLOOR <= scores[best] < self.threshold or caps_against(claim, evidence):
            return scores
        self.asked += 1
        try:
            reply = self.judge.chat([{"role": "user", "content": self.prompt.format(
                claim=claim, evidence=evidence)}], max_tokens=3)
        except UpstreamError:
            return scores  # no second opinion: the rules' score stands
        if reply.strip().lower().startswith("yes"):
            scores[best] = round(min(1.0, self.threshold + 0.01), 4)
        return scores

