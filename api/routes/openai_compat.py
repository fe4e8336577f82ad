"""OpenAI-compatible chat completions, so the ``openai`` SDK and chat front ends can talk to
the service. The reply's text carries ``[n]`` markers and a "Sources" list; ``citations``
holds the checked spans.

A stream here carries only checked text: an OpenAI client cannot take back what it has
shown, so the LLM's draft (whose markers number sources, not citations) is never sent; the
checked answer is streamed sentence by sentence once it is ready."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from api import sse
from api.deps import Engine, JSONBody
from api.disconnect import unless_disconnected
from api.ratelimit import RateLimit
from api.schemas import (
    ChatCompletion,
    ChatCompletionRequest,
    CompletionChoice,
    CompletionMessage,
    ModelCard,
    ModelList,
    OpenAIMessage,
)
from qa.engine import QAEngine
from qa.errors import InvalidInput
from qa.types import Answer

router = APIRouter(tags=["openai-compatible"])

MODEL_ID = "articleqa"
_CREATED = 1_700_000_000
_SOURCES = "\n\nSources:\n"
_STREAM_DOC = {"200": {"description": "A chat.completion, or with `stream: true` "
                                      "chat.completion.chunk events ending with `[DONE]`.",
                       "content": {"application/json": {}, "text/event-stream": {}}}}


@router.get("/v1/models")
def models() -> ModelList:
    return ModelList(data=[ModelCard(id=MODEL_ID, created=_CREATED, owned_by="articleqa")])


@router.post("/v1/chat/completions", response_model=ChatCompletion,
             responses=_STREAM_DOC, dependencies=[RateLimit, JSONBody])  # type: ignore[arg-type]
async def chat_completions(body: ChatCompletionRequest, engine: Engine,
                           request: Request) -> ChatCompletion | StreamingResponse:
    """Answer the last user message from the articles. System prompts are ignored: the
    service's own instructions decide how answers are grounded."""
    messages = _conversation(body.messages)
    answer: Answer = await unless_disconnected(request, engine.chat, messages, None,
                                               body.as_of)
    reply_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    if not body.stream:
        return ChatCompletion(
            id=reply_id, created=created, model=body.model, refused=answer.refused,
            choices=[CompletionChoice(message=CompletionMessage(content=_content(answer)))],
            citations=answer.citations)

    def chunk(delta: dict[str, str], finish: str | None = None, **extra: Any) -> str:
        data = {"id": reply_id, "object": "chat.completion.chunk", "created": created,
                "model": body.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return sse.event(None, data)

    async def pieces() -> AsyncIterator[str]:
        yield chunk({"role": "assistant", "content": ""})
        texts = QAEngine.answer_pieces(answer)
        for i, text in enumerate(texts):
            yield chunk({"content": text if i == 0 else " " + text})
        if sources := _sources(answer):
            yield chunk({"content": sources})
        yield chunk({}, "stop", refused=answer.refused,
                    citations=[c.model_dump(mode="json") for c in answer.citations])
        yield "data: [DONE]\n\n"

    return StreamingResponse(pieces(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"})


def _conversation(messages: list[OpenAIMessage]) -> list[dict[str, str]]:
    """User and assistant turns as plain text (content parts joined, our own "Sources" list
    taken off earlier replies); system, developer and tool messages are left out."""
    turns = []
    for message in messages:
        if message.role not in {"user", "assistant"}:
            continue
        content = message.content
        if isinstance(content, list):
            content = " ".join(str(part.get("text", "")) for part in content
                               if part.get("type") == "text")
        text = (content or "").split(_SOURCES, 1)[0]
        turns.append({"role": message.role, "content": text})
    if not turns or turns[-1]["role"] != "user":
        raise InvalidInput("the last message must be the user's question")
    return turns


def _content(answer: Answer) -> str:
    return answer.answer + _sources(answer)


def _sources(answer: Answer) -> str:
    """The reply's footer: each citation's title, outlet, date and quote, and any sentence
    the check could not support."""
    lines = []
    for c in answer.citations:
        meta = ", ".join(x for x in (c.source, c.published_at) if x)
        also = ", ".join(o.source or o.url or o.article_id for o in c.also_published_by)
        lines.append(f"[{c.id}] {c.title}" + (f" ({meta})" if meta else "") + f": “{c.quote}”"
                     + (f" Also published by {also}." if also else ""))
    lines += [f"Not supported by the articles: “{s.text}”" for s in answer.sentences
              if not s.supported]
    if near := answer.closest:
        lines.append(f"Closest the articles come (not an answer): {near.title}: “{near.quote}”")
    if answer.when:
        lines.append(answer.when)
    if answer.differs:
        lines.append(answer.differs)
    return _SOURCES + "\n".join(lines) if lines else ""
