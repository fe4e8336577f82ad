"""An answer's text from its checked sentences: each with its markers, placed before its
closing punctuation."""

from __future__ import annotations

import re

from qa.types import AnswerSentence


def render_pieces(sentences: list[AnswerSentence]) -> list[str]:
    """Each sentence with its markers, placed before its closing punctuation; the answer
    text is these pieces joined by spaces."""
    parts = []
    for sentence in sentences:
        text = sentence.text
        if sentence.citations:
            markers = "".join(f"[{n}]" for n in sentence.citations)
            match = re.search(r"([.!?…]+[\"'”’)\]]*)$", text)
            if match and not re.search(r"[\"'”’]", match.group(1)):
                text = f"{text[: match.start()].rstrip()} {markers}{match.group(1)}"
            else:
                text = f"{text} {markers}"
        parts.append(text)
    return parts


def answer_pieces(sentences: list[AnswerSentence], verdict: str | None = None) -> list[str]:
    """The answer's pieces: a yes-or-no question's verdict ("Yes.") first, when it has one,
    then ``render_pieces``."""
    pieces = render_pieces(sentences)
    return [f"{verdict.capitalize()}.", *pieces] if verdict else pieces
