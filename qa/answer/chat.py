"""The ``ChatModel`` seam: a chat language model, remote (``OpenAIChat``) or in-process
(``LocalChat``), as the LLM answerer, the condenser and the judge use it."""

from __future__ import annotations

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
