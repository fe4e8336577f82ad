"""Cues that a sentence holds a kind of answer: a date, a place, a name, an unknown; the
words are data in ``wordlists.toml``."""

from __future__ import annotations

import re
from collections.abc import Iterable

from qa.text.terms import terms
from qa.text.wordlists import phrases, word_set


def one_of(*lists: Iterable[str]) -> str:
    """A regular-expression alternation of the words and phrases, longest first."""
    items = sorted({item for words in lists for item in words}, key=lambda w: (-len(w), w))
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in items)


UNKNOWN = re.compile(rf"\b(not (been )?({one_of(word_set('unknown_participles'))})|"
                     rf"{one_of(word_set('unknown_words'))})\b", re.I)
_UNKNOWN_WHAT = {kind: re.compile(rf"\b({one_of(word_set(f'unknown_{kind}'))})\b", re.I)
                 for kind in ("number", "date")}


def says_unknown(sentence: str, kind: str) -> bool:
    """The sentence says a value of the ``kind`` ("number" or "date") is not known: "The
    exact number … has not been specified" for a number, not for a date."""
    return bool(UNKNOWN.search(sentence) and _UNKNOWN_WHAT[kind].search(sentence))


_DATES = rf"\d{{4}}|{one_of(word_set('date_words'), phrases('date_phrases'))}"
DATE = re.compile(rf"\b({_DATES})\b", re.I)
LASTS_UNTIL = re.compile(
    rf"\b({one_of(word_set('duration_ends'))})\W+(?:\w+\W+){{0,4}}?({_DATES})\b", re.I)
"""A date something lasts until: "until the end of March", "through 2025"."""
DATE_NAMES = frozenset(terms(" ".join(word_set("date_words"))))
"""The stems of the date words: capitalised days and months are no names of who or what."""
FULL_NAME = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z]\.)?\s+[A-Z][a-z]{2,}\b")
# Case-sensitive on the name: "in the death" is no place.
PLACE = re.compile(rf"\b(?i:{one_of(word_set('place_prepositions'))})\s+(?i:(the|a|an)\s+)?"
                   rf"([A-Z]\w+|[\w-]+\s+(?i:{one_of(word_set('place_nouns'))})|"
                   rf"(?i:{one_of(word_set('place_words'))}))")
CAPITALISED = re.compile(r"\b[A-Z][\w’'-]+")
ABOUT_POST = re.compile(rf"\b({one_of(word_set('post_words'), phrases('post_phrases'))})\b",
                        re.I)
PRONOUN_START = re.compile(rf"^({one_of(word_set('pronoun_openers'))}|"
                           rf"the ({one_of(word_set('role_nouns'))}))\b", re.I)
