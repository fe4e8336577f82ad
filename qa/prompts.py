"""Prompt templates, kept as text files in ``prompts/`` and read by name when first used."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from qa.errors import QAError

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


@cache
def load_prompt(name: str) -> str:
    path = PROMPTS_DIR / f"{name}.txt"
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise QAError(f"prompt {name!r} not found at {path}") from exc
