"""Numbers in text, written as digits or as words ("four" and "4" are both "4"): number
words are read by text2num, a maintained parser ("sixty" is "60", "twenty-one" "21",
"three-year" "3")."""

from __future__ import annotations

import re

from text_to_num import alpha2digit

from qa.text.cues import one_of
from qa.text.terms import words
from qa.text.wordlists import phrases, word_map, word_set

EXTRA_WORDS = word_map("number_words")
"""Words text2num does not read as numbers ("dozen", "twice")."""
_DIGITS = re.compile(r"\d[\d,]*(?:\.\d+)?")
_WHOLE = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?!\w)")  # "4th" from "fourth" is no count
_WORD_HYPHEN = re.compile(r"(?<=[a-z])-(?=[a-z])", re.I)
"""text2num reads "three year" but not "three-year" (it does read "twenty-one" either way)."""
_NUMBER = _DIGITS.pattern
_MULTIPLIERS = word_set("number_multipliers")
_UNITS = one_of(word_set("measure_units") | _MULTIPLIERS, phrases("measure_phrases"))
_MEASURE = re.compile(
    rf"[{''.join(map(re.escape, sorted(word_set('currency_signs'))))}]\s?({_NUMBER})|"
    rf"(?<![\w.])({_NUMBER})\s*-?\s*(?:{_UNITS})(?!\w)", re.I)
"""A number with its unit: after a currency sign or before a unit word (``wordlists.toml``)."""
_MULTIPLIED = re.compile(rf"(\d)\s+({one_of(_MULTIPLIERS)})\b", re.I)
_VAGUE = re.compile(rf"\b(?:{one_of(_MULTIPLIERS)})s\b", re.I)
"""A multiplier word in the plural ("thousands of homes", "millions"): no figure."""


def numbers(text: str) -> set[str]:
    """Numbers in ``text`` without their thousands commas: digits as written, and number
    words (ordinals are not counts: "fourth" gives nothing)."""
    found = {n.replace(",", "") for n in _DIGITS.findall(text)}
    spaced = _WORD_HYPHEN.sub(" ", text)
    converted = alpha2digit(spaced, "en", threshold=0)
    if converted != spaced:
        found |= {n.replace(",", "") for n in _WHOLE.findall(converted)}
    found |= {EXTRA_WORDS[w] for w in words(text) if w in EXTRA_WORDS}
    return found


def figures(text: str) -> set[str]:
    """The numbers ``text`` reports as figures: ``numbers`` without the vague plurals
    ("thousands of buildings" gives no 1000)."""
    return numbers(_VAGUE.sub(" ", text))


def measures(text: str) -> set[str]:
    """The numbers of ``text`` that come with a unit ("$450,000", "six months", "18%", "1.3
    miles"), as ``numbers`` writes them: what a "how long", "how much" or "what percentage"
    question wants; "two countries" is none."""
    # "4.2 million kronor" kept whole: text2num would make "million" a number of its own
    joined = _MULTIPLIED.sub(r"\1\2", _WORD_HYPHEN.sub(" ", text))
    converted = alpha2digit(joined, "en", threshold=0)
    return {(m.group(1) or m.group(2)).replace(",", "") for m in _MEASURE.finditer(converted)}
