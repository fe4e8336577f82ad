"""Sentences as exact ``(start, end)`` offsets: the unit passages are packed from and the
citation check quotes."""

from __future__ import annotations

import re
from functools import lru_cache

from qa.text.wordlists import word_set
from qa.types import Span

_ABBREVIATIONS = word_set("abbreviations")
# A sentence ends at . ! ? or … (with closing quotes or brackets), before white space and a
# character that can open a sentence.
_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[^\s\"'“‘(\[a-z])")
_WORD_BEFORE = re.compile(r"([\w.]+)$")


def _is_abbreviation(text: str, dot_at: int) -> bool:
    if text[dot_at] != ".":
        return False
    match = _WORD_BEFORE.search(text, max(0, dot_at - 40), dot_at)
    if not match:
        return False
    word = match.group(1).lower().strip(".")
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentences of ``text[start:end]`` as ``(start, end)`` offsets into ``text``, trimmed."""
    return list(_sentence_spans(text, start, len(text) if end is None else end))


@lru_cache(maxsize=64)
def _sentence_spans(text: str, start: int, end: int) -> tuple[Span, ...]:
    """``sentence_spans``, kept for the few passages a question reads twice (the answerer
    and the citation check split the same retrieved passages)."""
    spans: list[Span] = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        line_start = start + line.start()
        line_end = start + line.end()
        cursor = line_start
        for match in _END.finditer(text, line_start, line_end):
            if _is_abbreviation(text, match.start()):
                continue
            spans.append((cursor, match.end()))
            cursor = match.end()
        spans.append((cursor, line_end))
    return tuple(_trim(text, s, e) for s, e in spans if text[s:e].strip())


def _trim(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
