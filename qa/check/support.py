"""How well a piece of evidence supports a claim, as a score in [0, 1].

The score mixes lexical coverage (the claim's stemmed content words found in the evidence,
names and numbers counting double) with the embedding cosine of claim and evidence, then
caps it when the claim has a number the evidence lacks, negates what the evidence says,
uses the opposite word ("rose" for "fell"), moves a quantity the other way than the
evidence does ("sales continue to rise" over "… to drop"), swaps two names' roles ("Serbia
accuses Kosovo" for "Kosovo accuses Serbia"), or states as fact what the evidence only
reports someone as saying.
``SUPPORTED`` is the threshold calibrated on ``eval/datasets/support_dev.jsonl``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from qa.text.contrast import contradicting_words, has_negation, reversed_direction
from qa.text.names import capitalised_names, missing_from, names_in
from qa.text.numbers import numbers
from qa.text.roles import swapped_roles
from qa.text.speech import plain_statements, reports_speech, strip_attribution
from qa.text.terms import stem, terms

SUPPORTED = 0.74
LEXICAL_WEIGHT = 0.6
PLAIN_COVERAGE = 0.8
"""Share of a claim the evidence must state as its own (not as reported speech) for the
claim to go unattributed."""


def claimed_names(claim: str) -> set[str]:
    """The names a claim brings (``names_in``), without a number written out that opens a
    sentence ("Twelve new moons …"): a number is checked as a number, and "12" in the
    evidence holds it."""
    spelled = {stem(w.lower()) for w in re.findall(r"\b[A-Z][a-z]+\b", claim) if numbers(w)}
    return names_in(claim) - spelled


def lexical_coverage(claim: str, evidence: str) -> float:
    claim_terms = terms(claim)
    if not claim_terms:
        return 1.0
    evidence_terms = set(terms(evidence))
    heavy = capitalised_names(claim) | numbers(claim)
    total = found = 0.0
    for term in dict.fromkeys(claim_terms):
        weight = 2.0 if term in heavy else 1.0
        total += weight
        if term in evidence_terms:
            found += weight
    return found / total


def _speech_as_fact(claim: str, core: str, evidence: str) -> bool:
    """The claim states as plain fact what the evidence only reports someone as saying."""
    return (reports_speech(evidence) and core == claim and not reports_speech(claim)
            and lexical_coverage(core, plain_statements(evidence)) < PLAIN_COVERAGE)


@dataclass(frozen=True)
class Cap:
    """A rule that bounds the score: to ``limit``, or by ``factor``, when ``applies``."""

    name: str
    applies: Callable[[str, str, str], bool]
    """Given the claim, the claim without its attribution, and the evidence."""
    limit: float = 1.0
    factor: float = 1.0


CAPS = (
    Cap("number the evidence lacks", lambda _, core, ev: bool(numbers(core) - numbers(ev)), 0.3),
    Cap("name the evidence lacks",  # the attribution's names too
        lambda claim, _, ev: bool(missing_from(claimed_names(claim), set(terms(ev)))), 0.45),
    Cap("negation on one side only",
        lambda _, core, ev: has_negation(core) != has_negation(ev), factor=0.75),
    Cap("opposite word", lambda _, core, ev: bool(contradicting_words(core, ev)), 0.5),
    Cap("opposite direction", lambda _, core, ev: reversed_direction(core, ev), 0.5),
    Cap("roles swapped", lambda _, core, ev: swapped_roles(core, ev) is not None, 0.5),
    Cap("reported speech stated as fact", _speech_as_fact, 0.6),
)
"""Applied in this order."""


POST_AS_FACT = 0.6
"""The most a claim scores when its only evidence is a social-media post and it does not
say whose post ("According to a post by …"): the post's words are its author's claim."""


def post_stated_as_fact(claim: str, bylines: Sequence[str]) -> bool:
    """Some span of the evidence sits in a post (has a byline) and the claim names no one as
    saying it: the post's words may be what the claim states, and the article's own spans
    beside it do not make them fact (a claim those spans support alone is scored on them
    alone by the citation check)."""
    return any(bylines) and strip_attribution(claim) == claim


def caps_against(claim: str, evidence: str) -> list[Cap]:
    """The caps that apply to ``claim`` against ``evidence``, in ``CAPS`` order."""
    core = strip_attribution(claim)
    return [cap for cap in CAPS if cap.applies(claim, core, evidence)]


def support_score(claim: str, evidence: str, claim_vec: np.ndarray,
                  evidence_vec: np.ndarray) -> float:
    """Support of ``claim`` by ``evidence`` in [0, 1], given both texts' unit vectors."""
    core = strip_attribution(claim)
    lexical = lexical_coverage(core, evidence)
    cosine = max(0.0, float(np.dot(claim_vec, evidence_vec)))
    score = LEXICAL_WEIGHT * lexical + (1.0 - LEXICAL_WEIGHT) * cosine
    for cap in caps_against(claim, evidence):
        score = min(score, cap.limit) * cap.factor
    return round(min(1.0, score), 4)
