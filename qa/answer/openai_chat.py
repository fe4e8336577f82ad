"""An OpenAI-compatible chat model through the ``openai`` client (OpenAI, Ollama, vLLM,
llama.cpp's server, …).

Upstream faults become ``UpstreamError`` with a clear message: a timeout, a refused
connection, an error status, a body that is not JSON, a stream that breaks off. A rate
limit (HTTP 429) is ``UpstreamBusy``: the ``openai`` client retries it (``QA_LLM_MAX_RETRIES``)
after the server's ``Retry-After`` when that is short, and a longer wait is passed on to our
caller instead of holding the question.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any, Protocol

import httpx
import openai

from qa.answer.chat import Reply, yes_probability_of
from qa.config import Settings
from qa.errors import MalformedReply, UpstreamBusy, UpstreamError
from qa.types import Usage

MAX_RETRY_WAIT = 5.0
"""Longest ``Retry-After`` (seconds) the client waits out before retrying; the ``openai``
client alone would wait up to two minutes with the question held open."""


class _Reply(Protocol):
    """A reply as the ``openai`` client's HTTP library gives it: ``httpx`` for ``openai`` 2,
    its fork ``httpx2`` for ``openai`` 3 (the client wraps the latter's errors itself)."""

    @property
    def headers(self) -> MutableMapping[str, str]: ...


class OpenAIChat:
    """One chat model on an OpenAI-compatible server."""

    def __init__(self, settings: Settings) -> None:
        self.name = settings.llm_model or "gpt-4o-mini"
        self.base_url = settings.llm_base_url or "https://api.openai.com/v1"
        self.max_tokens = settings.llm_max_tokens
        self.client = openai.OpenAI(
            base_url=settings.llm_base_url,
            api_key=settings.resolved_llm_api_key() or "not-needed",
            timeout=settings.llm_timeout,
            max_retries=settings.llm_max_retries,
            http_client=openai.DefaultHttpxClient(event_hooks={"response": [_no_long_waits]}),
        )

    def chat(self, messages: list[dict[str, str]], max_tokens: int | None = None) -> Reply:
        """The model's whole reply to ``messages``."""
        reply = self._call(messages, stream=False, max_tokens=max_tokens)
        try:
            text = str(reply.choices[0].message.content or "")
        except (AttributeError, IndexError, TypeError) as exc:
            raise MalformedReply(f"the LLM at {self.base_url} sent a malformed reply") from exc
        return Reply.of(text, _usage(reply, reply.choices[0].finish_reason))

    def yes_probability(self, prompt: str, head: str = "") -> float:
        return yes_probability_of(*self.first_token(prompt))

    def first_token(self, prompt: str, head: str = "") -> tuple[list[tuple[str, float]], str]:
        """One token with its alternatives' log-probabilities (OpenAI, vLLM, llama.cpp and
        Ollama send them; none when the server sends none), and the reply's text. (A server
        caches a shared ``head`` on its own, if it does.)"""
        reply = self._call([{"role": "user", "content": prompt}], stream=False, max_tokens=1,
                           logprobs=True)
        try:
            choice = reply.choices[0]
        except (AttributeError, IndexError, TypeError) as exc:
            raise MalformedReply(f"the LLM at {self.base_url} sent a malformed reply") from exc
        try:
            first = choice.logprobs.content[0]
            alternatives = ([(t.token, float(t.logprob)) for t in first.top_logprobs]
                            or [(first.token, float(first.logprob))])
        except (AttributeError, IndexError, TypeError, ValueError):
            alternatives = []
        return alternatives, str(choice.message.content or "")

    def stream(self, messages: list[dict[str, str]],
               max_tokens: int | None = None) -> Iterator[str | Usage]:
        """The reply as text deltas, as the model writes it."""
        chunks = self._call(messages, stream=True, max_tokens=max_tokens)
        finished: object = None
        try:
            for chunk in chunks:
                if not chunk.choices:
                    continue
                choice = chunk.choices[0]
                finished = finished or choice.finish_reason
                if choice.delta and choice.delta.content:
                    yield choice.delta.content
        except (openai.OpenAIError, httpx.HTTPError, ValueError) as exc:
            raise UpstreamError(f"the LLM stream from {self.base_url} broke off: {exc}") from exc
        if not finished:
            raise UpstreamError(f"the LLM stream from {self.base_url} ended before the answer did")
        if finished == "length":
            yield Usage(stopped="length")

    def _call(self, messages: list[dict[str, str]], stream: bool,
              max_tokens: int | None = None, logprobs: bool = False) -> Any:
        extra: dict[str, Any] = {"logprobs": True, "top_logprobs": 10} if logprobs else {}
        try:
            return self.client.chat.completions.create(
                model=self.name, messages=messages,  # type: ignore[arg-type]
                temperature=0, stream=stream, max_tokens=max_tokens or self.max_tokens,
                **extra,
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


def _usage(reply: Any, finish_reason: object) -> Usage | None:
    """The reply's token counts, when the server sent them."""
    counts = getattr(reply, "usage", None)
    if counts is None:
        return None
    details = getattr(counts, "prompt_tokens_details", None)
    return Usage(prompt_tokens=int(getattr(counts, "prompt_tokens", 0) or 0),
                 completion_tokens=int(getattr(counts, "completion_tokens", 0) or 0),
                 cached_tokens=int(getattr(details, "cached_tokens", 0) or 0),
                 stopped="length" if finish_reason == "length" else None)


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
