"""The LLM answerer: drafts with ``[n]`` markers from any ``ChatModel``.

Sources reach the model as delimited data (``<source id="n">…</source>``, with angle
brackets inside escaped), so text inside an article cannot close its source, open another,
or write a chat template's special tokens (``<|im_start|>system``); and bracketed numbers in
an article (``[1]``) become ``(1)``, so they cannot pass for our source markers. Its
drafts go through the same citation checks as the extractive answerer's.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Protocol

from qa.answer.markers import parse_draft
from qa.answer.prompts import load_prompt
from qa.errors import MalformedReply
from qa.types import Article, Draft, Evidence, Hit

_MARKER_LIKE = re.compile(r"\[(\s*\^?\d{1,3}(?:\s*(?:[,;]|[-–]|and)\s*\d{1,3})*\s*)\]")


class ChatModel(Protocol):
    """A chat language model: ``OpenAIChat`` (any OpenAI-compatible server)."""

    name: str

    def chat(self, messages: list[dict[str, str]]) -> str: ...

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]: ...


def format_sources(hits: list[Hit], articles: dict[str, Article]) -> str:
    blocks = []
    for number, hit in enumerate(hits, start=1):
        article = articles[hit.article_id]
        date = article.published_at.isoformat() if article.published_at else "unknown"
        title = _as_data(article.title, attribute=True)
        outlet = _as_data(article.source or "unknown", attribute=True)
        blocks.append(
            f'<source id="{number}" title="{title}" outlet="{outlet}" published="{date}">\n'
            f"{_as_data(hit.text)}\n</source>"
        )
    return "\n\n".join(blocks)


def _as_data(text: str, attribute: bool = False) -> str:
    """Article text as it goes inside a source: no markup, no marker look-alikes (and, in
    an attribute, no quotation marks)."""
    return html.escape(_MARKER_LIKE.sub(r"(\1)", text), quote=attribute)


class LLMAnswerer:
    """Drafts answers with ``[n]`` markers from a chat model."""

    mode = "llm"

    def __init__(self, model: ChatModel) -> None:
        self.model = model

    @property
    def model_name(self) -> str | None:
        return self.model.name

    def _messages(self, evidence: Evidence) -> list[dict[str, str]]:
        messages = [{"role": "system", "content": load_prompt("answer")}]
        for turn in evidence.history[-6:]:
            if turn.get("role") in {"user", "assistant"}:
                messages.append({"role": turn["role"], "content": str(turn.get("content", ""))})
        user = load_prompt("question").format(
            sources=format_sources(evidence.hits, evidence.articles), question=evidence.asked)
        messages.append({"role": "user", "content": user})
        return messages

    def draft(self, evidence: Evidence) -> Draft:
        return parse_draft(self.model.chat(self._messages(evidence)))

    def stream(self, evidence: Evidence) -> Iterator[str | Draft]:
        """The draft's text as the model writes it, then the parsed ``Draft``."""
        parts = []
        for delta in self.model.stream(self._messages(evidence)):
            parts.append(delta)
            yield delta
        yield parse_draft("".join(parts))

    def condense(self, question: str, history: list[dict[str, str]]) -> str:
        """The follow-up ``question`` rewritten to stand alone, given the conversation."""
        lines = [f"{t['role']}: {t['content']}" for t in history[-6:]
                 if t.get("role") in {"user", "assistant"}]
        prompt = load_prompt("condense").format(history="\n".join(lines), question=question)
        try:
            rewritten = self.model.chat([{"role": "user", "content": prompt}]).strip()
        except MalformedReply:  # the question as asked still searches
            return question
        return rewritten.splitlines()[0].strip() if rewritten else question
