"""One place that turns errors into JSON ``{"error": {"type", "message"}}`` responses.

    QAError subclass      status  type
    InvalidInput          422     invalid_input
    NotFound              404     not_found
    UpstreamBusy          503     upstream_busy    (the LLM rate-limits us; Retry-After passed on)
    UpstreamError         502     upstream_error   (the LLM or remote embedder failed)
    StoreError            503     store_unavailable
    ModelError            500     model_error
    request validation    422     invalid_request  (400 invalid_json for a body that is not JSON)
    anything else         500     internal_error   (logged here, never sent to the client)
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

from qa.errors import (
    InvalidInput,
    ModelError,
    NotFound,
    QAError,
    StoreError,
    UpstreamBusy,
    UpstreamError,
)

log = logging.getLogger("articleqa.api")

_STATUS: list[tuple[type[QAError], int, str]] = [
    (InvalidInput, 422, "invalid_input"),
    (NotFound, 404, "not_found"),
    (UpstreamBusy, 503, "upstream_busy"),
    (UpstreamError, 502, "upstream_error"),
    (StoreError, 503, "store_unavailable"),
    (ModelError, 500, "model_error"),
]
_FASTAPI_BODY_ERROR = "There was an error parsing the body"
_ADDRESS = re.compile(r"https?://[^\s,;'\"]+?(?=:?(?:\s|$))")
_PATH = re.compile(r"(?<![\w:/.])/[\w.\-/]+")
_HTTP_TYPES = {400: "bad_request", 401: "unauthorized", 404: "not_found",
               405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type",
               429: "rate_limited"}


class APIError(HTTPException):
    """An HTTP error raised by a route with its own ``type`` name."""

    def __init__(self, status: int, kind: str, message: str,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status, message, headers=dict(headers) if headers else None)
        self.kind = kind


def error_body(kind: str, message: str) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message}}


def error_response(status: int, kind: str, message: str,
                   headers: Mapping[str, str] | None = None) -> JSONResponse:
    # set here too: a 500 is answered outside the middleware that sets it on the rest
    return JSONResponse(error_body(kind, message), status_code=status,
                        headers={"X-Content-Type-Options": "nosniff", **(headers or {})})


def classify(exc: Exception) -> tuple[int, str, str]:
    """Status, type and client-safe message for any exception: server addresses are left
    out (they are in the server's log), and anything unexpected is only "internal error"."""
    for cls, status, kind in _STATUS:
        if isinstance(exc, cls):
            message = str(exc)
            if status >= 500:
                log.warning("%s: %s", kind, message)
                message = _PATH.sub("(a server path)", _ADDRESS.sub("the configured server",
                                                                     message))
            return status, kind, message
    return 500, "internal_error", "internal error; the server log has the details"


def _allowed_methods(request: Request) -> str:
    """The methods some route answers on this path (Starlette names only those of the
    first route whose path matches)."""
    allowed = []
    for method in ("DELETE", "GET", "PATCH", "POST", "PUT"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return ", ".join(allowed)


def _validation_message(exc: RequestValidationError) -> tuple[int, str, str]:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return 400, "invalid_json", "the request body is not valid JSON"
    if any(tuple(e.get("loc", ())) == ("body",) for e in errors):
        return 422, "invalid_request", "the request body must be a JSON object"
    parts = []
    for e in errors[:5]:
        where = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
        message = e.get("msg")
        if e.get("type") in {"string_too_short", "string_pattern_mismatch"} and (
                e.get("ctx", {}).get("pattern", r"\S") == r"\S"):
            message = "must not be empty or blank"
        parts.append(f"{where}: {message}" if where else str(message))
    return 422, "invalid_request", "; ".join(parts) or "invalid request"


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    async def on_qa_error(_: Request, exc: Exception) -> JSONResponse:
        wait = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(max(1, math.ceil(wait)))} if wait is not None else None
        return error_response(*classify(exc), headers=headers)

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(*_validation_message(exc))

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        kind = getattr(exc, "kind", None) or _HTTP_TYPES.get(exc.status_code, "http_error")
        message = str(exc.detail)
        if message == _FASTAPI_BODY_ERROR:  # FastAPI's words for a body it cannot decode
            kind, message = "invalid_json", "the request body is not valid JSON (UTF-8)"
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # Starlette names only the first matching route's methods
            headers["Allow"] = _allowed_methods(request)
        return error_response(exc.status_code, kind, message, headers)

    async def on_unexpected(_: Request, exc: Exception) -> JSONResponse:
        # Starlette re-raises after this handler, and the server logs the traceback
        return error_response(*classify(exc))

    app.add_exception_handler(QAError, on_qa_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
