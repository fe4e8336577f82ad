"""Prompt templates, kept as text files in ``prompts/`` and read by name when first used.

A checkout (or editable install) reads the repository's ``prompts/``; a regular install
reads the copy the wheel puts in ``<prefix>/share/articleqa/prompts``.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path
from string import Formatter

from qa.errors import QAError

PROMPT_DIRS = (
    Path(__file__).resolve().parents[1] / "prompts",
    Path(sys.prefix) / "share" / "articleqa" / "prompts",
)


@cache
def load_prompt(name: str) -> str:
    for folder in PROMPT_DIRS:
        path = folder / f"{name}.txt"
        if path.is_file():
            return path.read_text(encoding="utf-8").strip()
    raise QAError(f"prompt {name!r} not found in {', '.join(map(str, PROMPT_DIRS))}")


def head_of(template: str) -> str:
    """The template's text before its first field: what every prompt made from it starts
    with (a local model keeps it evaluated, ``LocalChat.first_token``)."""
    for literal, field, _, _ in Formatter().parse(template):
        return literal if field is not None else ""
    return ""
