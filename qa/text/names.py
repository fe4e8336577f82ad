"""Names: the capitalised words a claim or question must find in its evidence."""

from __future__ import annotations

import re

from qa.text.countries import Forms, country_forms
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


def name_forms(name: str) -> Forms:
    """Other ways to write the name ``name`` (a stem), each as its stems: an abbreviation's
    long form ("un": "united nations"), a country's name, demonym and capital ("serbian":
    "serbia", "belgrad")."""
    alias = (frozenset(stem(w) for w in words(ALIASES[name])),) if name in ALIASES else ()
    return alias + country_forms(name)


def alias_stems(name: str) -> set[str]:
    """The stems of every other form of a name; empty for a name with none."""
    return set().union(*name_forms(name))


def missing_from(names: set[str], present: set[str]) -> set[str]:
    """The names not in ``present`` (stems), any other form of a name counting for it."""
    return {n for n in names if n not in present
            and not any(form <= present for form in name_forms(n))}


def capitalised_names(text: str) -> set[str]:
    """Stems of capitalised words that do not open a sentence: a rough named-entity set."""
    names: set[str] = set()
    for match in re.finditer(r"(?<![.!?]\s)(?<!^)\b([A-Z][\w’'-]+)", text):
        names.update(terms(match.group(1)))
    return names


_WORD = r"(?:(?:[A-Z]\.){2,}|[A-Z][\w’'-]*)"
_RUN = re.compile(rf"{_WORD}(?:[ \t]+{_WORD})*")
"""Capitalised words (or initials: "U.N.") on one line, a word's dot ending the run ("South
Carolina. Haley" is two)."""


def name_runs(text: str) -> list[str]:
    """Runs of capitalised words ("Vegas Golden Knights"), an opener ("The", "However")
    and a possessive "’s" left off."""
    runs = []
    for match in _RUN.finditer(text):
        parts = re.sub(r"[’']s?$", "", match.group()).split()
        while parts and fold(parts[0]) in _OPENERS:
            parts = parts[1:]
        if parts:
            runs.append(" ".join(parts))
    return runs


def full_form(short: str, runs: list[str]) -> str | None:
    """The longer name among ``runs`` (``name_runs`` of a text) that ends with the name
    ``short`` ("Nikki Haley" for "Haley", also when "Ambassador Nikki Haley" is there too;
    "Milwaukee Bucks" for "Bucks"); ``None`` when there is none or two differ ("Joe Biden",
    "Hunter Biden")."""
    longer = {run for run in runs if run.endswith(" " + short)}
    if not longer:
        return None
    shortest = min(longer, key=len)
    return shortest if all(run.endswith(shortest) for run in longer) else None
