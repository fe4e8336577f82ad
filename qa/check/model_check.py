"""The rule verifier with a language model's judgement where the rules can be wrong.

The rules score every pair (``HeuristicVerifier``). A pair the rules reject outright stays
rejected: too little of the claim in the span (below ``GRAY_FLOOR``), or a rule cap against
it (a number, a name, a date, a negation, an opposite word, a person's claim stated as
fact: what the rules catch reliably). Otherwise the model reads the claim's best span
(``prompts/judge.txt``) and its probability of "yes" decides: at ``MODEL_YES`` or above the
pair is supported (a paraphrase the rules score just short, "four people died" for "the
death of four people"), below it not, whatever the words share (swapped roles, "Serbia
accuses Kosovo" against "Kosovo accuses Serbia", which the rules cannot see). One model
call per claim's batch, one token long. ``eval/verifiers.py`` measures it against the
labelled pairs, by kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from qa.check.support import caps_against, post_stated_as_fact
from qa.check.verifier import Pair, Verifier
from qa.errors import UpstreamError
from qa.prompts import head_of

GRAY_FLOOR = 0.5
"""Below this the rules' "no" stands: too little of the claim is in the span."""
MODEL_YES = 0.6
"""The model's P("yes") from which it says the span supports the claim: calibrated with the
local 1.5B model on the 234 RealTimeQA labelled pairs (balanced agreement 0.895 at 0.6,
0.896 at 0.7, 0.853 at 0.8), checked on the 120 seed and MultiHop-RAG pairs (0.863 at 0.6;
rules alone 0.811); eval/reports/verifiers/ has the harness's run."""


class Judge(Protocol):
    def yes_probability(self, prompt: str, head: str = "") -> float: ...


class ModelCheckedVerifier:
    name = "heuristic+model"

    def __init__(self, rules: Verifier, judge: Judge, prompt: str, threshold: float) -> None:
        self.rules = rules
        self.judge = judge
        self.prompt = prompt
        self.head = head_of(prompt)
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
        if (scores[best] < GRAY_FLOOR or caps_against(claim, evidence)
                or post_stated_as_fact(claim, [q.byline for q in quotes])):
            return scores
        self.asked += 1
        try:
            yes = self.judge.yes_probability(self.prompt.format(claim=claim, evidence=evidence),
                                             self.head)
        except UpstreamError:
            return scores  # no second opinion: the rules' score stands
        if yes >= MODEL_YES:
            scores[best] = max(scores[best], round(min(1.0, self.threshold + 0.01), 4))
        else:  # the best span does not support it: no other span of the batch does either
            below = round(self.threshold - 0.01, 4)
            scores = [min(s, below) for s in scores]
        return scores
