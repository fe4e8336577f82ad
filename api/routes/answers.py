"""Health, ask and chat (JSON or Server-Sent Events)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from api import sse
from api.deps import Engine, JSONBody
from api.disconnect import unless_disconnected
from api.ratelimit import RateLimit
from api.schemas import AskRequest, ChatRequest, Health
from qa.types import Answer, Preview

router = APIRouter(tags=["answers"])

_SSE_DOC = {"200": {"description": "JSON Answer, or with `stream: true` Server-Sent Events: "
                                   "when a language model writes, first `quote` with the "
                                   "checked quotes (an Answer) to show meanwhile; `token` "
                                   "events `{\"text\"}`, then `done` with the Answer "
                                   "(or `error` with `{\"error\"}`).",
                    "content": {"application/json": {}, "text/event-stream": {}}}}


@router.get("/health")
def health(engine: Engine) -> Health:
    """Status, article and passage counts, answerer mode."""
    return Health(status="ok", **engine.stats())


@router.post("/api/ask", dependencies=[RateLimit, JSONBody])
async def ask(body: AskRequest, engine: Engine, request: Request) -> Answer:
    """Answer one question from the articles, every sentence cited and checked."""
    return await unless_disconnected(request, engine.ask, body.question, top_k=body.top_k,
                                     since=body.since, until=body.until, as_of=body.as_of)


@router.post("/api/chat", response_model=Answer, responses=_SSE_DOC,  # type: ignore[arg-type]
             dependencies=[RateLimit, JSONBody])
async def chat(body: ChatRequest, engine: Engine,
               request: Request) -> Answer | StreamingResponse:
    """Answer the last user message, reading the earlier ones as the conversation. With
    `stream`, the text arrives as `token` events and the checked Answer as `done`: in LLM
    mode a `quote` event first brings the checked quotes, the tokens are the model's draft
    and `done` is what to show (the quotes again, with a `note`, when the model's answer
    fails the checks)."""
    messages = [m.model_dump() for m in body.messages]
    if not body.stream:
        return await unless_disconnected(request, engine.chat, messages, body.top_k,
                                         body.as_of)
    first, rest = await sse.first_then_rest(engine.stream_chat(messages, body.top_k,
                                                               body.as_of))

    def encode(item: str | Preview | Answer) -> str:
        if isinstance(item, Answer):
            return sse.event("done", item.model_dump(mode="json"))
        if isinstance(item, Preview):
            return sse.event("quote", item.answer.model_dump(mode="json"))
        return sse.event("token", {"text": item})

    return sse.stream(first, rest, encode)
