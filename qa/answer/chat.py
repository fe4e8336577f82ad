"""The ``ChatModel`` seam: a chat language model, remote (``OpenAIChat``) or in-process
(``LocalChat``), as the LLM answerer, the condenser and the judge use it."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Protocol

from qa.types import Usage


class Reply(str):
    """A model's whole reply: its text, and what it cost when the model said."""

    usage: Usage | None = None

    @classmethod
    def of(cls, text: str, usage: Usage | None) -> Reply:
        reply = cls(text)
        reply.usage = usage
        return reply


class ChatModel(Protocol):
    name: str

    def chat(self, messages: list[dict[str, str]], max_tokens: int | None = None) -> Reply:
        """The whole reply to ``messages`` (at most ``max_tokens``, else the settings')."""
        ...

    def stream(self, messages: list[dict[str, str]],
               max_tokens: int | None = None) -> Iterator[str | Usage]:
        """The reply as text deltas as they are written, then its ``Usage`` if known."""
        ...

    def yes_probability(self, prompt: str, head: str = "") -> float:
        """How likely the model's one-word reply to ``prompt`` is "yes" rather than "no",
        from its first token's probabilities (1.0 or 0.0 from its reply when a server gives
        none). ``head``: as for ``first_token``."""
        ...

    def first_token(self, prompt: str, head: str = "") -> tuple[list[tuple[str, float]], str]:
        """The model's first token of its reply to ``prompt``: its alternatives as
        ``(token, logprob)`` (none when a server gives none), and the reply's text.
        ``head``: the start of ``prompt`` that every reading of its kind shares (its
        template's instructions), which a model may keep evaluated between readings."""
        ...


def yes_probability_of(alternatives: list[tuple[str, float]], reply: str) -> float:
    """P("yes") / (P("yes") + P("no")) over a first token's alternatives (``(token,
    logprob)``), any case and spacing; when neither is among them (or a server sends no
    log-probabilities), 1.0 for a ``reply`` that says yes, else 0.0."""
    yes = sum(math.exp(lp) for token, lp in alternatives if token.strip().lower() == "yes")
    no = sum(math.exp(lp) for token, lp in alternatives if token.strip().lower() == "no")
    if yes + no:
        return yes / (yes + no)
    return 1.0 if reply.strip().lower().startswith("yes") else 0.0
