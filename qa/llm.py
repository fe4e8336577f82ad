"""The LLM answerer: any OpenAI-compatible server through the ``openai`` client.

Upstream faults become ``UpstreamError`` with a clear message: a timeout, a refused
connection, an error status, a body that is not JSON, a stream that breaks off. A rate
limit (HTTP 429) is ``UpstreamBusy``: the ``openai`` client retries it (``QA_LLM_MAX_RETRIES``)
after the server's ``Retry-After`` when that is short, and a longer wait is passed on to our
caller instead of holding the question.

Sources reach the model as delimited data (``<source id="n">…</source>``, with angle
brackets inside escaped), so text inside an article cannot close its source, open another,
or write a chat template's special tokens (``<|im_start|>system``); and bracketed numbers in
an article (``[1]``) become ``(1)``, so they cannot pass for our source markers. Its
drafts go through the same citation checks as the extractive answerer's.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any, Protocol

import httpx
import openai

from qa.config import Settings
from qa.errors import UpstreamBusy, UpstreamError
from qa.models import Article
from qa.prompts import load_prompt
from qa.retrieval import Hit

_MARKER_LIKE = re.compile(r"\[(\s*\^?\d{1,3}(?:\s*(?:[,;]|[-–]|and)\s*\d{1,3})*\s*)\]")
MAX_RETRY_WAIT = 5.0
"""Longest ``Retry-After`` (seconds) the client waits out before retrying; the ``openai``
client alone would wait up to two minutes with the question held open."""


class _Reply(Protocol):
    """A reply as the ``openai`` client's HTTP library gives it: ``httpx`` for ``openai`` 2,
    its fork ``httpx2`` for ``openai`` 3 (the client wraps the latter's errors itself)."""

    @property
    def headers(self) -> MutableMapping[str, str]: ...


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
            http_client=openai.DefaultHttpxClient(event_hooks={"response": [_no_long_waits]}),
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
            said = f"the LLM at {self.base_url} answered HTTP {exc.status_code}: {_message(exc)}"
            if exc.status_code == 429:
                raise UpstreamBusy(said, retry_after(exc.response.headers)) from exc
            raise UpstreamError(said) from exc
        except openai.OpenAIError as exc:
            raise UpstreamError(f"the LLM at {self.base_url} failed: {exc}") from exc
        except ValueError as exc:  # the client parses the body itself: JSONDecodeError
            raise UpstreamError(f"the LLM at {self.base_url} sent a reply that is not valid "
                                f"JSON: {exc}") from exc


def retry_after(headers: Mapping[str, str]) -> float | None:
    """The wait a ``Retry-After`` header asks for, in seconds (its date form is not used)."""
    try:
        wait = float(headers.get("retry-after", ""))
    except ValueError:
        return None
    return wait if 0 <= wait < 86400 else None


def _no_long_waits(response: _Reply) -> None:
    """A ``Retry-After`` longer than ``MAX_RETRY_WAIT`` is not waited out: the ``openai``
    client obeys the (non-standard) ``x-should-retry`` header it reads before retrying."""
    wait = retry_after(response.headers)
    if wait is not None and wait > MAX_RETRY_WAIT:
        response.headers["x-should-retry"] = "false"


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:300]
    return str(exc.message)[:300]
