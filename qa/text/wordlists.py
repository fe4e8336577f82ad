"""The hand-kept word lists, read once from ``wordlists.toml`` (one copy of each)."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any


@cache
def _data() -> dict[str, Any]:
    raw = resources.files("qa.text").joinpath("wordlists.toml").read_text(encoding="utf-8")
    return tomllib.loads(raw)


def word_set(name: str) -> frozenset[str]:
    """A list written as white-space separated words."""
    return frozenset(str(_data()[name]).split())


def word_map(name: str) -> dict[str, str]:
    return {str(k): str(v) for k, v in _data()[name].items()}


def pairs(name: str) -> list[tuple[str, str]]:
    return [(str(a), str(b)) for a, b in _data()[name]]


def phrases(name: str) -> list[str]:
    return [str(p) for p in _data()[name]]
