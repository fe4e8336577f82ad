"""Server-Sent Events over a blocking generator of the engine, run in a worker thread.

The first item is pulled before the response starts, so a bad question or an unreachable
LLM is an ordinary JSON error with its status; an error after that is an ``error`` event.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.errors import classify, error_body, log

T = TypeVar("T")
_END = object()


def event(name: str | None, data: Any) -> str:
    """One event; ``data`` is sent as JSON (one line, so newlines in text are safe)."""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (f"event: {name}\n" if name else "") + f"data: {payload}\n\n"


async def first_then_rest(items: Iterator[T]) -> tuple[T | None, AsyncIterator[T]]:
    """The first item (computed now, in a thread: its errors propagate) and the rest."""
    first = await run_in_threadpool(next, items, _END)
    return (None if first is _END else first), _rest(items)  # type: ignore[return-value]


async def _rest(items: Iterator[T]) -> AsyncIterator[T]:
    """The remaining items, each pulled in a thread. When the stream ends early (the client
    went away and the response was cancelled), the generator is closed, which stops the
    work behind it (a language model's generation) instead of leaving it running."""
    try:
        while (item := await run_in_threadpool(next, items, _END)) is not _END:
            yield item  # type: ignore[misc]
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(close)


def stream(first: T | None, rest: AsyncIterator[T],
           encode: Callable[[T], str]) -> StreamingResponse:
    """The events ``encode`` makes of the items; a failure ends the stream with an ``error``
    event holding the JSON error body."""
    async def body() -> AsyncIterator[str]:
        if first is not None:
            yield encode(first)
        try:
            async for item in rest:
                yield encode(item)
        except Exception as exc:  # the response has started: report in-band, keep serving
            status, kind, message = classify(exc)
            if status == 500:
                log.error("error while streaming", exc_info=exc)
            yield event("error", error_body(kind, message))

    return StreamingResponse(body(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
