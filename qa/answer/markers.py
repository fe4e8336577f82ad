"""Source markers in a language model's draft: ``[1]``, ``[1, 2]``, ``[2-4]``; parsed into
``DraftSentence``s, the markers removed and their numbers kept with their sentence."""

from __future__ import annotations

import re

from qa.text.sentences import sentence_spans
from qa.types import Draft, DraftSentence, Usage

# Source numbers have at most three digits, so "[2008]" stays a year.
GROUP = r"\[\s*\^?\d{1,3}(?:\s*(?:[,;]|[-–]|and)\s*\d{1,3})*\s*\]"
_MARKER = re.compile(r"\s*(" + GROUP + r")")
_LEAD = re.compile(r"^(\s*" + GROUP + r")+")
# "According to the sources, X" says no more than "X": every sentence is from the sources;
# nor does "According to [3], X" (its marker removed: "According to, X"), which names none.
_VACUOUS_LEAD = re.compile(r"^(?:according to|based on|as (?:stated|reported) in)(?: (?:the )?"
                           r"(?:provided |given )?(?:sources?|articles?|texts?|context))?"
                           r"(?:\s*" + GROUP + r")?\s*,\s*", re.I)
# The prompt's own placeholder copied as is ("… alliance. [n] If …"): a marker citing no
# source, which also ends its sentence.
PLACEHOLDER = re.compile(r"\[\s*(?:n|N|x|X|#|source|number)\s*\]")
_EMPTY_ASIDE = re.compile(r"\s*\(\s*(?:see|cf\.?|sources?:?)?[\s,;]*\)", re.I)
_SOURCE_LIST = re.compile(r"^((sources?|references?|citations?)\s*[:,.;]*|(see|cf\.?)( the)?"
                          r"( sources?| articles?)?( for (more )?(details|information))?[.,;:]*)$",
                          re.I)


def parse_draft(draft: str, usage: Usage | None = None) -> Draft:
    """Sentences of a draft with the source numbers each one cites, markers removed.

    A marker after a sentence's closing punctuation ("… people. [1]") belongs to it."""
    text = PLACEHOLDER.sub("[0]", draft.strip())
    out = Draft(usage=usage)
    for start, end in sentence_spans(text):
        piece = text[start:end]
        lead = _LEAD.match(piece)
        if lead and out:
            out[-1].sources.extend(_numbers_in(lead.group(0)))
            piece = piece[lead.end():]
        cited = _numbers_in(piece)
        clean = _EMPTY_ASIDE.sub("", _MARKER.sub("", piece).replace("[]", "")).strip()
        clean = re.sub(r"\s+([.,;:!?])", r"\1", clean)
        if vacuous := _VACUOUS_LEAD.match(clean):
            rest = clean[vacuous.end():]
            clean = rest[:1].upper() + rest[1:]
        if clean and not _SOURCE_LIST.match(clean):
            out.append(DraftSentence(clean, cited))
        elif out:
            out[-1].sources.extend(cited)
    return out


def _numbers_in(text: str) -> list[int]:
    """Source numbers of every marker: ``[1]``, ``[1, 2]``, ``[1; 3]``, ``[2-4]``."""
    numbers: list[int] = []
    for group in _MARKER.findall(text):
        for part in re.split(r"[,;]|\band\b", group.strip("[] ")):
            bounds = [int(n) for n in re.findall(r"\d+", part)]
            if len(bounds) == 2 and bounds[0] <= bounds[1] <= bounds[0] + 20:
                numbers.extend(range(bounds[0], bounds[1] + 1))
            else:
                numbers.extend(bounds)
    return numbers
