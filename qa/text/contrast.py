"""Negation and opposite words: a claim that says the contrary of its evidence."""

from __future__ import annotations

from qa.text.terms import terms, words
from qa.text.wordlists import pairs, word_set

NEGATIONS = word_set("negations")
OPPOSITES = {a: b for a, b in pairs("opposites")} | {b: a for a, b in pairs("opposites")}
UP = frozenset(terms(" ".join(word_set("direction_up"))))
DOWN = frozenset(terms(" ".join(word_set("direction_down"))))


def contradicting_words(claim: str, evidence: str) -> set[str]:
    """Words of the claim whose opposite the evidence uses instead of them."""
    said, found = set(words(claim.lower())), set(words(evidence.lower()))
    return {w for w in said if w in OPPOSITES and OPPOSITES[w] in found and w not in found}


def has_negation(text: str) -> bool:
    lowered = text.lower()
    return bool(NEGATIONS.intersection(words(lowered))) or "n't" in lowered or "n’t" in lowered


def reversed_direction(claim: str, evidence: str) -> bool:
    """The claim moves a quantity only one way (``UP`` or ``DOWN``) and the evidence only the
    other: "sales continue to rise" over "sales continue to drop"."""
    said, found = set(terms(claim)), set(terms(evidence))
    return any(said & one and not said & other and found & other and not found & one
               for one, other in ((UP, DOWN), (DOWN, UP)))

