"""Reported speech: what a text only reports someone as saying, claiming or believing."""

from __future__ import annotations

import re

from qa.text.terms import terms, words
from qa.text.wordlists import word_set

REPORTING = frozenset(words(" ".join(word_set("reporting"))))
"""Evidence holding one of these supports a claim only when the claim keeps the attribution."""
ATTRIBUTION = word_set("attribution")
"""The reporting verbs that open a claim's attribution ("X said that ...")."""
ADJECTIVAL = word_set("adjectival_reporting")
DETERMINERS = word_set("determiners")
_REPORTED = "|".join(sorted(REPORTING, key=len, reverse=True))
_VERB = re.compile(rf"\b(?:{_REPORTED})\b", re.I)
_CLAUSE_END = re.compile(r"[,.;:]")
_THAT_CLAUSE_END = re.compile(r"[.;]")
"""A "that" clause ("claiming that Serbia, with Russia's help, is …") runs past commas."""
_THAT = re.compile(r"\s+that\b", re.I)
_TRAILING_SPEAKER = re.compile(
    rf"^(?P<said>.+),\s*(?P<who>[^,]{{0,80}}?\b(?:{_REPORTED})\b[^,]{{0,60}})$", re.I | re.S)
_ATTRIBUTION = re.compile(
    rf"^\s*(according to [^,:]{{1,120}}[,:]|[^,:]{{1,120}}\b(?:{'|'.join(sorted(ATTRIBUTION))})"
    r"( that)?[,:]?)\s*",
    re.I,
)


def _reports(text: str, verb: re.Match[str]) -> bool:
    """Whether the reporting word ``verb`` of ``text`` reports: "stated" after "his" does not."""
    before = words(text[:verb.start()])[-1:]
    return not (verb[0].lower() in ADJECTIVAL and before and before[0] in DETERMINERS)


def _reporting_verbs(text: str) -> list[re.Match[str]]:
    return [verb for verb in _VERB.finditer(text) if _reports(text, verb)]


def reports_speech(text: str) -> bool:
    """Whether ``text`` reports what someone says, claims or believes."""
    return bool(_reporting_verbs(text))


def _without_reports(sentence: str) -> str:
    """``sentence`` without each reporting verb and the rest of its clause."""
    kept, pos = [], 0
    for verb in _reporting_verbs(sentence):
        if verb.start() < pos:
            continue
        ends = _THAT_CLAUSE_END if _THAT.match(sentence, verb.end()) else _CLAUSE_END
        end = ends.search(sentence, verb.end())
        kept.append(sentence[pos:verb.start()])
        pos = end.start() if end else len(sentence)
    return " ".join([*kept, sentence[pos:]])


def plain_statements(text: str) -> str:
    """``text`` without what it only reports: a sentence ending ", officials said." is all
    reported; after "claiming", "alleged" … the clause up to the next comma is, and after
    "claiming that", "said that" … the rest of the sentence."""
    kept = []
    for sentence in re.split(r"(?<=[.!?])\s+", text.strip()):
        trailing = _TRAILING_SPEAKER.match(sentence.rstrip(" .!?\"”’'"))
        if trailing and reports_speech(trailing["who"]):
            kept.append(trailing["who"])
        else:
            kept.append(_without_reports(sentence))
    return " ".join(kept)


def strip_attribution(claim: str) -> str:
    """The claim without a leading "According to X," or "X said that": the attribution hedges
    the claim; it is the claim itself that the evidence must hold."""
    stripped = _ATTRIBUTION.sub("", claim, count=1)
    return stripped if terms(stripped) else claim
