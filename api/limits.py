"""Request size limit, enforced before the body is parsed (a 413 with the JSON error body)."""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body

MULTIPART_SLACK = 64 * 1024
"""Room for multipart headers and boundaries around an upload of the full allowed size."""


def size_label(n: int) -> str:
    mb = n / 2**20
    return f"{mb:g} MB" if mb >= 1 else f"{n} bytes"



class _TooLarge(HTTPException):
    """Raised while the body streams in: an ``HTTPException`` so that the app's handler
    answers it (FastAPI re-raises those from body parsing instead of calling them 400)."""


class BodyLimit:
    """Refuse request bodies above ``max_bytes``: at once when Content-Length says so, else as
    soon as the streamed body passes the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int, message: str) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.message = message

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse(send)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge(413, self.message)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except _TooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(error_body("too_large", self.message), separators=(",", ":"))
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body.encode()})
