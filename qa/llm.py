"""The LLM answerer: any OpenAI-compatible server through the ``openai`` client.

Sources reach the model as delimited data (``<source id="n">…</source>``, with angle
brackets inside escaped), so text inside an article cannot close its source or pose as an
instruction. Its drafts go through the same citation checks as the extractive answerer's.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import httpx
import openai

from qa.config import Settings
from qa.errors import UpstreamError
from qa.models import Article
from qa.prompts import load_prompt
from qa.retrieval import Hit


def format_sources(hits: list[Hit], articles: dict[str, Article]) -> str:
    blocks = []
    for number, hit in enumerate(hits, start=1):
        article = articles[hit.article_id]
        date = article.published_at.isoformat() if article.published_at else "unknown"
        title = html.escape(article.title, quote=True)
        outlet = html.escape(article.source or "unknown", quote=True)
        blocks.append(
            f'<source id="{number}" title="{title}" outlet="{outlet}" published="{date}">\n'
            f"{html.escape(hit.text, quote=False)}\n</source>"
        )
    return "\n\n".join(blocks)


class LLMAnswerer:
    """Drafts answers with ``[n]`` markers from an OpenAI-compatible chat model."""

    mode = "llm"

    def __init__(self, settings: Settings) -> None:
        self.model = settings.llm_model or "gpt-4o-mini"
        self.base_url = settings.llm_base_url or "https://api.openai.com/v1"
        self.client = openai.OpenAI(
            base_url=settings.llm_base_url,
            api_key=settings.resolved_llm_api_key() or "not-needed",
            timeout=settings.llm_timeout,
            max_retries=settings.llm_max_retries,
        )

    def _messages(self, question: str, hits: list[Hit], articles: dict[str, Article],
                  history: list[dict[str, str]] | None) -> list[dict[str, str]]:
        messages = [{"role": "system", "content": load_prompt("answer")}]
        for turn in (history or [])[-6:]:
            if turn.get("role") in {"user", "assistant"}:
                messages.append({"role": turn["role"], "content": str(turn.get("content", ""))})
        user = load_prompt("question").format(sources=format_sources(hits, articles),
                                              question=question)
        messages.append({"role": "user", "content": user})
        return messages

    def draft(self, question: str, hits: list[Hit], articles: dict[str, Article],
              history: list[dict[str, str]] | None = None) -> str:
        reply = self._call(self._messages(question, hits, articles, history), stream=False)
        try:
            content = reply.choices[0].message.content
        except (AttributeError, IndexError, TypeError) as exc:
            raise UpstreamError(f"the LLM at {self.base_url} sent a malformed reply") from exc
        return str(content or "")

    def stream(self, question: str, hits: list[Hit], articles: dict[str, Article],
               history: list[dict[str, str]] | None = None) -> Iterator[str]:
        """The draft as text deltas, as the model writes it."""
        chunks = self._call(self._messages(question, hits, articles, history), stream=True)
        finished = False
        try:
            for chunk in chunks:
                if not chunk.choices:
                    continue
                choice = chunk.choices[0]
                finished = finished or bool(choice.finish_reason)
                if choice.delta and choice.delta.content:
                    yield choice.delta.content
        except (openai.OpenAIError, httpx.HTTPError, ValueError) as exc:
            raise UpstreamError(f"the LLM stream from {self.base_url} broke off: {exc}") from exc
        if not finished:
            raise UpstreamError(f"the LLM stream from {self.base_url} ended before the answer did")

    def complete(self, prompt: str) -> str:
        """The model's reply to one user message (the evaluation harness's LLM judge)."""
        reply = self._call([{"role": "user", "content": prompt}], stream=False)
        try:
            return str(reply.choices[0].message.content or "")
        except (AttributeError, IndexError, TypeError) as exc:
            raise UpstreamError(f"the LLM at {self.base_url} sent a malformed reply") from exc

    def condense(self, question: str, history: list[dict[str, str]]) -> str:
        """The follow-up ``question`` rewritten to stand alone, given the conversation."""
        lines = [f"{t['role']}: {t['content']}" for t in history[-6:]
                 if t.get("role") in {"user", "assistant"}]
        prompt = load_prompt("condense").format(history="\n".join(lines), question=question)
        reply = self._call([{"role": "user", "content": prompt}], stream=False)
        try:
            rewritten = str(reply.choices[0].message.content or "").strip()
        except (AttributeError, IndexError, TypeError):
            return question
        return rewritten.splitlines()[0].strip() if rewritten else question

    def _call(self, messages: list[dict[str, str]], stream: bool) -> Any:
        try:
            return self.client.chat.completions.create(
                model=self.model, messages=messages,  # type: ignore[arg-type]
                temperature=0, stream=stream,
            )
        except openai.APITimeoutError as exc:
            raise UpstreamError(
                f"the LLM at {self.base_url} did not answer within {self.client.timeout} s"
            ) from exc
        except openai.APIConnectionError as exc:
            raise UpstreamError(f"cannot reach the LLM at {self.base_url}: {exc}") from exc
        except openai.APIStatusError as exc:
            raise UpstreamError(
                f"the LLM at {self.base_url} answered HTTP {exc.status_code}: {_message(exc)}"
            ) from exc
        except openai.OpenAIError as exc:
            raise UpstreamError(f"the LLM at {self.base_url} failed: {exc}") from exc


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:300]
    return str(exc.message)[:300]
