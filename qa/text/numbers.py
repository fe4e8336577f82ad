"""Numbers in text, written as digits or as words ("four" and "4" are both "4"): number
words are read by text2num, a maintained parser ("sixty" is "60", "twenty-one" "21",
"three-year" "3")."""

from __future__ import annotations

import re

from text_to_num import alpha2digit

from qa.text.terms import words
from qa.text.wordlists import word_map

EXTRA_WORDS = word_map("number_words")
"""Words text2num does not read as numbers ("dozen", "twice")."""
_DIGITS = re.compile(r"\d[\d,]*(?:\.\d+)?")
_WHOLE = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?!\w)")  # "4th" from "fourth" is no count
_WORD_HYPHEN = re.compile(r"(?<=[a-z])-(?=[a-z])", re.I)
"""text2num reads "three year" but not "three-year" (it does read "twenty-one" either way)."""


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
