"""Reported speech: what a text only reports someone as saying, claiming or believing."""

from __future__ import annotations

import re

from qa.text.terms import terms, words
from qa.text.wordlists import word_set

REPORTING = frozenset(words(" ".join(word_set("reporting"))))
"""Evidence holding one of these supports a claim only when the claim keeps the attribution."""
_REPORTED = "|".join(sorted(REPORTING, key=len, reverse=True))
_TRAILING_SPEAKER = re.compile(
    rf"^(?P<said>.+),\s*(?P<who>[^,]{{0,80}}?\b(?:{_REPORTED})\b[^,]{{0,60}})$", re.I | re.S)
_INLINE_REPORT = re.compile(rf"\b(?:{_REPORTED})\b[^,.;:]*", re.I)
_ATTRIBUTION = re.compile(
    rf"^\s*(according to [^,:]{{1,120}}[,:]|[^,:]{{1,120}}\b(?:{_REPORTED})( that)?[,:]?)\s*",
    re.I,
)


def reports_speech(text: str) -> bool:
    """Whether ``text`` reports what someone says, claims or believes."""
    return bool(REPORTING.intersection(words(text.lower())))


def plain_statements(text: str) -> str:
    """``text`` without what it only reports: a sentence ending ", officials said." is all
    reported; after "claiming", "alleged", "said that" … the clause up to the next comma is."""
    kept = []
    for sentence in re.split(r"(?<=[.!?])\s+", text.strip()):
        trailing = _TRAILING_SPEAKER.match(sentence.rstrip(" .!?\"”’'"))
        kept.append(trailing["who"] if trailing else _INLINE_REPORT.sub(" ", sentence))
    return " ".join(kept)


def strip_attribution(claim: str) -> str:
    """The claim without a leading "According to X," or "X said that": the attribution hedges
    the claim; it is the claim itself that the evidence must hold."""
    stripped = _ATTRIBUTION.sub("", claim, count=1)
    return stripped if terms(stripped) else claim
