"""The ``Answerer`` seam: drafts from the ``Evidence``, built from ``Settings`` by one factory.

A new answerer is one module with a class that has these methods, and one line in
``ANSWERERS``. ``QAEngine`` calls whichever it is given without knowing which it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

from qa.config import Settings
from qa.errors import InvalidInput
from qa.index.embedding import Embedder
from qa.types import Draft, Evidence


class Answerer(Protocol):
    mode: str
    """What the answer JSON says wrote it: ``extractive`` or ``llm``."""

    @property
    def model_name(self) -> str | None:
        """The language model that writes the drafts, if one does."""
        ...

    def draft(self, evidence: Evidence) -> Draft: ...

    def stream(self, evidence: Evidence) -> Iterator[str | Draft]:
        """Text as it is written (none, for an answerer that writes nothing to show before
        the check), then the ``Draft``, last."""
        ...

    def condense(self, question: str, history: list[dict[str, str]]) -> str:
        """A follow-up question made to stand alone, given the conversation before it."""
        ...


def _extractive(settings: Settings, embedder: Embedder) -> Answerer:
    from qa.answer.extractive import ExtractiveAnswerer

    return ExtractiveAnswerer(embedder, settings.answer_threshold)


def _llm(settings: Settings, embedder: Embedder) -> Answerer:
    from qa.answer.llm import LLMAnswerer
    from qa.answer.openai_chat import OpenAIChat

    if not settings.llm_configured():
        raise InvalidInput("QA_ANSWERER=llm but no LLM is configured: set QA_LLM_BASE_URL "
                           "and QA_LLM_MODEL (and QA_LLM_API_KEY for a hosted API)")
    return LLMAnswerer(OpenAIChat(settings))


ANSWERERS: dict[str, Callable[[Settings, Embedder], Answerer]] = {
    "extractive": _extractive,
    "llm": _llm,
}


def build_answerer(settings: Settings, embedder: Embedder) -> Answerer:
    """The answerer ``QA_ANSWERER`` asks for (``auto``: the LLM when one is configured)."""
    return ANSWERERS[settings.answerer_mode()](settings, embedder)
