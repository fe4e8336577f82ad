"""Work for a request that stops when its client goes away.

The engine's work runs in a worker thread under a cancellation check (``qa.cancel``) that
turns true once the client has disconnected; a language model generating for it stops at
its next token instead of writing an answer nobody will read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
from fastapi import Request
from starlette.concurrency import run_in_threadpool

from qa.cancel import cancel_when

T = TypeVar("T")
POLL_SECONDS = 0.25


async def unless_disconnected(request: Request, work: Callable[..., T], *args: Any,
                              **kwargs: Any) -> T:
    gone = threading.Event()

    def run() -> T:
        with cancel_when(gone.is_set):
            return work(*args, **kwargs)

    async def watch() -> None:
        while True:
            if await request.is_disconnected():
                gone.set()
                return
            await anyio.sleep(POLL_SECONDS)

    failed: list[Exception] = []
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(watch)
        try:
            result = await run_in_threadpool(run)
        except Exception as exc:  # raised below, not wrapped in the task group's ExceptionGroup
            failed.append(exc)
        finally:
            tasks.cancel_scope.cancel()  # ends the watcher
    if failed:
        raise failed[0]
    return result
