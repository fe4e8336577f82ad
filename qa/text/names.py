"""Names: the capitalised words a claim or question must find in its evidence."""

from __future__ import annotations

import re

from qa.text.terms import STOPWORDS, fold, stem, terms, words
from qa.text.wordlists import word_map, word_set

ALIASES = word_map("aliases")
"""Abbreviations a question or claim may use for a name an article spells out."""
_OPENERS = frozenset(words(" ".join(word_set("openers")))) | STOPWORDS


def names_in(text: str) -> set[str]:
    """Stems of every capitalised word, the first of a sentence too unless it is a common
    opener ("However", "The"): what a claim must not bring in that its evidence lacks."""
    found: set[str] = set()
    for match in re.finditer(r"\b([A-Z][\w’'-]*)", text):
        word = re.sub(r"[’']s$", "", fold(match.group(1)))
        if word not in _OPENERS:
            found.update(terms(word))
    return found


def alias_stems(name: str) -> set[str]:
    """The stems of a name's long form ("us": those of "united states"); empty for others."""
    return {stem(w) for w in words(ALIASES[name])} if name in ALIASES else set()


def missing_from(names: set[str], present: set[str]) -> set[str]:
    """The names not in ``present`` (stems), an alias counting for its long form."""
    return {n for n in names if n not in present
            and not (n in ALIASES and alias_stems(n) <= present)}


def capitalised_names(text: str) -> set[str]:
    """Stems of capitalised words that do not open a sentence: a rough named-entity set."""
    names: set[str] = set()
    for match in re.finditer(r"(?<![.!?]\s)(?<!^)\b([A-Z][\w’'-]+)", text):
        names.update(terms(match.group(1)))
    return names
