"""How well a piece of evidence supports a claim, as a score in [0, 1].

The score mixes lexical coverage (the claim's stemmed content words found in the evidence,
names and numbers counting double) with the embedding cosine of claim and evidence, then
caps it when the claim has a number the evidence lacks, negates what the evidence says,
uses the opposite word ("rose" for "fell"), or states as fact what the evidence only
reports someone as saying.
``SUPPORTED`` is the threshold calibrated on ``eval/datasets/support_dev.jsonl``.
"""

from __future__ import annotations

import re

import numpy as np

from qa.terms import (
    capitalised_names,
    contradicting_words,
    has_negation,
    missing_from,
    names_in,
    numbers,
    plain_statements,
    reports_speech,
    terms,
)

SUPPORTED = 0.74
LEXICAL_WEIGHT = 0.6
PLAIN_COVERAGE = 0.8
"""Share of a claim the evidence must state as its own (not as reported speech) for the
claim to go unattributed."""
_ATTRIBUTION = re.compile(
    r"^\s*(according to [^,:]{1,120}[,:]|[^,:]{1,120}\b(said|says|claimed|claims|wrote|posted|"
    r"stated|argued|alleged)( that)?[,:]?)\s*",
    re.I,
)


def strip_attribution(claim: str) -> str:
    """The claim without a leading "According to X," or "X said that": the attribution hedges
    the claim; it is the claim itself that the evidence must hold."""
    stripped = _ATTRIBUTION.sub("", claim, count=1)
    return stripped if terms(stripped) else claim


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


def support_score(claim: str, evidence: str, claim_vec: np.ndarray,
                  evidence_vec: np.ndarray) -> float:
    """Support of ``claim`` by ``evidence`` in [0, 1], given both texts' unit vectors."""
    core = strip_attribution(claim)
    lexical = lexical_coverage(core, evidence)
    cosine = max(0.0, float(np.dot(claim_vec, evidence_vec)))
    score = LEXICAL_WEIGHT * lexical + (1.0 - LEXICAL_WEIGHT) * cosine
    if numbers(core) - numbers(evidence):
        score = min(score, 0.3)
    if missing_from(names_in(claim), set(terms(evidence))):  # the attribution's names too
        score = min(score, 0.45)
    if has_negation(core) != has_negation(evidence):
        score *= 0.75
    if contradicting_words(core, evidence):  # "rose" where the evidence says "fell"
        score = min(score, 0.5)
    if (reports_speech(evidence) and core == claim and not reports_speech(claim)
            and lexical_coverage(core, plain_statements(evidence)) < PLAIN_COVERAGE):
        score = min(score, 0.6)  # what a source only says, stated as plain fact
    return round(min(1.0, score), 4)
