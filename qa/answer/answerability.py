"""Whether the evidence answers a question, read by a language model.

A small model asked to write an answer both refuses what its sources answer and answers
from a related sentence what they do not; the extractive scorer's best score does not tell
the two apart either (a paraphrase's right sentence can score below a wrong one). Asked
instead which of the scorer's best sentences (numbered) gives the answer, or 0 when none
does, the model reads the question against each sentence: its probability of "0" among the
digits of its first token is P(none), one call of one token (about 3.5 s on two cores, the
prompt read whole). At or above ``REFUSE_FROM`` the question is refused. The model is
asked only where the score is unsure (``ASK_BETWEEN``): above it no unanswerable question
of the evaluation sets scored, below it the model found an answer to none that the articles
answer.

Measured with the local 1.5B model (``python -m eval.answerability``, README "Who decides to
answer"): calibrated on ``eval/datasets/seed_dev.jsonl`` and RealTimeQA's calibration weeks,
balanced accuracy on the held-out seed gold set 0.87 against 0.70 for the score threshold,
at a cost on RealTimeQA (0.80 against 0.87). Eight sentences rather than five: calibration
sets' mean 0.90 against 0.89, the model's AUC 0.85 against 0.83 (RealTimeQA) and 0.92
against 0.91 (seed gold), about a quarter more judge time.
"""

from __future__ import annotations

import math
from typing import Protocol

from qa.prompts import load_prompt

CANDIDATES = 8
"""Sentences shown: the scorer's best distinct ones."""
REFUSE_FROM = 0.11
"""P(none) at or above which a question is refused (``QA_NONE_THRESHOLD``)."""
ASK_BETWEEN = (0.2, 0.7)
"""The best sentence scores between which the model is asked: below, refused; above,
answered, without asking."""


def asks(best: float) -> bool:
    """Whether the model is asked: the best score is within ``ASK_BETWEEN``."""
    low, high = ASK_BETWEEN
    return low <= best < high


class FirstTokenModel(Protocol):
    name: str

    def first_token(self, prompt: str) -> tuple[list[tuple[str, float]], str]: ...


def none_probability(alternatives: list[tuple[str, float]], reply: str, count: int) -> float:
    """P("0") among the first token's digits 0..``count`` (``(token, logprob)``, any
    spacing); from the reply's text when none of them is among the alternatives: 0.0 for a
    reply that picks a sentence, else 1.0."""
    digits: dict[int, float] = {}
    for token, logprob in alternatives:
        text = token.strip()
        if text.isdigit() and int(text) <= count:
            digits[int(text)] = digits.get(int(text), 0.0) + math.exp(logprob)
    total = sum(digits.values())
    if total:
        return digits.get(0, 0.0) / total
    first = reply.strip().split(maxsplit=1)[0] if reply.strip() else ""
    return 0.0 if first.isdigit() and 0 < int(first) <= count else 1.0


class AnswerabilityJudge:
    """Asks a model whether any of a question's best sentences gives its answer."""

    def __init__(self, model: FirstTokenModel, threshold: float = REFUSE_FROM,
                 candidates: int = CANDIDATES) -> None:
        self.model = model
        self.threshold = threshold
        self.candidates = candidates

    @property
    def name(self) -> str:
        return self.model.name

    def none_probability(self, question: str, sentences: list[str]) -> float:
        """The model's probability that none of ``sentences`` (the first ``candidates``
        distinct ones are shown) gives the answer to ``question``; 1.0 for no sentence."""
        shown = list(dict.fromkeys(" ".join(s.split()) for s in sentences))[:self.candidates]
        if not shown:
            return 1.0
        listing = "\n".join(f"{i}. {s}" for i, s in enumerate(shown, start=1))
        prompt = load_prompt("answerable").format(sentences=listing, question=question)
        return none_probability(*self.model.first_token(prompt), count=len(shown))

    def answers(self, question: str, sentences: list[str], best: float) -> bool:
        """Whether some sentence answers: a ``best`` score above ``ASK_BETWEEN`` says so,
        one below says not, and between the two the model's P(none) below the threshold."""
        if not asks(best):
            return best >= ASK_BETWEEN[1]
        return self.none_probability(question, sentences) < self.threshold
