"""Refusal anchored in the evidence, for a language model that reads the shortlist.

A small model both refuses questions its sources answer and answers from memory questions
they do not, so whether to answer is not left to its draft:

- with an answerability judge (``qa.answer.answerability``: the model asked which of the
  best sentences gives the answer, or none), the question is refused without a draft when
  the judge finds none, and a draft saying the sources do not answer is overruled by the
  quotes when it finds one;
- without one, the extractive scorer's best sentence score decides: below ``floor`` (the
  threshold less ``MODEL_BAND``) the question is refused without asking the model, between
  the two the model decides, and at or above the threshold a model that says the sources do
  not answer is overruled by the quotes (the best sentences).
"""

from __future__ import annotations

import re

from qa.answer.extractive import ExtractiveAnswerer
from qa.answer.shortlist import Excerpts
from qa.types import Draft, Evidence

MODEL_BAND = 0.1
_SAYS_UNANSWERED = re.compile(
    r"\b(articles?|sources?|texts?|context)\s+(do|does|did)\s*(not|n't)\s+"
    r"(say|answer|mention|contain|provide|state|specify|include|address)", re.I)


def about_the_sources(sentence: str) -> bool:
    """The sentence says the sources do not say (answer, mention, …) something."""
    return bool(_SAYS_UNANSWERED.search(sentence))


def says_unanswered(draft: Draft) -> bool:
    """The model's draft is a refusal: nothing, or a sentence saying the sources do not say."""
    return not draft or any(about_the_sources(s.text) for s in draft)


class Anchor:
    def __init__(self, scorer: ExtractiveAnswerer, band: float = MODEL_BAND) -> None:
        self.scorer = scorer
        self.floor = scorer.threshold - band

    def skip_model(self, excerpts: Excerpts, evidence: Evidence) -> bool:
        if self.scorer.judge is not None:
            return not self.scorer.answers(evidence)
        return excerpts.best < self.floor

    def settle(self, draft: Draft, evidence: Evidence, excerpts: Excerpts) -> Draft:
        """The model's draft, or the quotes when it refuses what the evidence answers."""
        if self.scorer.answers(evidence) and says_unanswered(draft):
            quotes = self.scorer.draft(evidence)
            quotes.usage = draft.usage
            return quotes
        return draft
