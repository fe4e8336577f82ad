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
from qa.models.locate import find_local_model, local_model_available
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

    def warm(self) -> None:
        """Get ready to answer (load a model); answering works without it, only slower."""
        ...

    def close(self) -> None:
        """The process is stopping: end running generations soon, start no new ones."""
        ...


def _extractive(settings: Settings, embedder: Embedder) -> Answerer:
    from qa.answer.extractive import ExtractiveAnswerer

    return ExtractiveAnswerer(embedder, settings.answer_threshold,
                              prior=settings.retrieval_prior)


def _llm(settings: Settings, embedder: Embedder) -> Answerer:
    from qa.answer.llm import LLMAnswerer
    from qa.answer.openai_chat import OpenAIChat

    if not settings.llm_configured():
        raise InvalidInput("QA_ANSWERER=llm but no LLM is configured: set QA_LLM_BASE_URL "
                           "and QA_LLM_MODEL (and QA_LLM_API_KEY for a hosted API)")
    return LLMAnswerer(OpenAIChat(settings))


def _local(settings: Settings, embedder: Embedder) -> Answerer:
    from qa.answer.answerability import AnswerabilityJudge
    from qa.answer.extractive import ExtractiveAnswerer
    from qa.answer.llm import LLMAnswerer
    from qa.answer.local_chat import LocalChat
    from qa.answer.shortlist import Shortlister

    model = find_local_model(settings)
    if model is None:
        raise InvalidInput(f"QA_ANSWERER=local but no local model is installed in "
                           f"{settings.models_dir}: run `articleqa model install` (or set "
                           f"QA_LLM_MODEL_PATH to a GGUF file)")
    chat = LocalChat(model, settings)
    judging = settings.answerability == "model" or (settings.answerability == "auto"
                                                     and chat.judges)
    judge = AnswerabilityJudge(chat, settings.none_threshold) if judging else None
    scorer = ExtractiveAnswerer(embedder, settings.answer_threshold, judge,
                              prior=settings.retrieval_prior)
    verdicts = (1 - settings.verdict_from, settings.verdict_from) if judging else None
    return LLMAnswerer(chat, Shortlister(scorer, settings.llm_evidence_chars),
                       prompts=("answer_small", "question_small"), verdicts=verdicts)


ANSWERERS: dict[str, Callable[[Settings, Embedder], Answerer]] = {
    "extractive": _extractive,
    "llm": _llm,
    "local": _local,
}


def answerer_name(settings: Settings) -> str:
    """Which answerer runs: ``QA_ANSWERER``, with ``auto`` resolved to a remote LLM when one
    is configured, else a local model when one is installed or named, else extractive."""
    if settings.answerer != "auto":
        return settings.answerer
    if settings.llm_configured():
        return "llm"
    return "local" if local_model_available(settings) else "extractive"


def build_answerer(settings: Settings, embedder: Embedder) -> Answerer:
    """The answerer the settings ask for (see ``answerer_name``)."""
    return ANSWERERS[answerer_name(settings)](settings, embedder)
