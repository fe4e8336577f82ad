"""``create_app(settings)``: the FastAPI application, its engine built once in the lifespan."""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from anyio import to_thread
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

import qa
from api import errors
from api.headers import SecurityHeaders
from api.limits import MULTIPART_SLACK, BodyLimit, size_label
from api.routes import answers, articles, feeds, jobs, openai_compat
from api.schemas import ErrorBody
from qa.config import Settings
from qa.engine import QAEngine
from qa.intake import Intake

STATIC = Path(__file__).parent / "static"


def tune_process() -> None:
    """glibc gives every thread that allocates its own heap (up to 8 a core), and each keeps
    what it once held: with a request thread pool the service's memory creeps up for
    minutes. Two heaps are enough here (the work holds the GIL or runs in onnxruntime)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(-8, 2)  # M_ARENA_MAX


def _size_thread_pool(settings: Settings, mode: str) -> None:
    """Extractive questions are CPU work, and threads beyond two per core only wait on the
    GIL while each keeps its own native buffers: measured with 64 clients (bench/load.py), 4
    threads served 66 requests/s at p99 1.1 s, memory 581 -> 601 MB over 150 s; anyio's
    default 40 served 64/s at p99 1.4 s, memory 757 -> 841 MB over 240 s and still rising.
    An LLM's replies are waited for on these threads, so LLM mode keeps many."""
    threads = settings.worker_threads or (
        40 if mode == "llm" else max(4, 2 * len(os.sched_getaffinity(0))))
    to_thread.current_default_thread_limiter().total_tokens = threads


def create_app(settings: Settings | None = None, engine: QAEngine | None = None) -> FastAPI:
    """The service. ``engine`` may be given (tests, ``articleqa serve`` after seeding);
    otherwise one is built from ``settings`` when the app starts."""
    settings = settings or (engine.settings if engine else Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.engine = engine or QAEngine(settings)
        _size_thread_pool(settings, app.state.engine.mode)
        app.state.engine.warm()
        app.state.intake = Intake(app.state.engine)
        app.state.intake.start()
        yield
        await to_thread.run_sync(app.state.intake.close)
        app.state.engine.close()

    app = FastAPIOffline(
        title="articleqa", version=qa.__version__, lifespan=lifespan,
        description="Answers questions about news articles; every sentence cites the exact "
                    "span of an article that supports it.",
        static_url="/docs-static", redoc_url=None)
    app.state.settings = settings
    errors.install(app)
    for router in (answers.router, openai_compat.router, articles.router, feeds.router,
                   jobs.router):
        app.include_router(router)
    limit = settings.max_upload_bytes
    app.add_middleware(BodyLimit, max_bytes=limit + MULTIPART_SLACK,
                       message=f"the request is larger than the {size_label(limit)} upload limit")

    origins = settings.cors_origin_list()
    if origins:  # closed by default: without these headers browsers refuse other sites' pages
        app.add_middleware(CORSMiddleware, allow_origins=origins,
                           allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "Content-Type"],
                           expose_headers=["Retry-After"], max_age=600)

    app.add_middleware(SecurityHeaders)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version,
                             description=app.description, routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (*articles.UPLOAD_SCHEMAS, ErrorBody):
            found = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(found.pop("$defs", {}))
            components[model.__name__] = found
        _errors_as_they_are(schema)
        _limits_as_configured(schema, app.state.settings)
        app.openapi_schema = schema
    return app.openapi_schema


def _errors_as_they_are(schema: dict[str, Any]) -> None:
    """Every error is ``{"error": {...}}`` (see ``api.errors``): say so for each operation,
    in place of FastAPI's default 422 body, which this service never sends."""
    error = {"description": "An error: 4xx for the request, 5xx for the service.",
             "content": {"application/json": {"schema": {
                 "$ref": "#/components/schemas/ErrorBody"}}}}
    for operations in schema["paths"].values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status in [s for s in responses if s.startswith(("4", "5"))]:
                responses[status] = error | {"description": responses[status].get(
                    "description", error["description"])}
            responses["default"] = error
    for unused in ("HTTPValidationError", "ValidationError"):
        schema["components"]["schemas"].pop(unused, None)


def _limits_as_configured(schema: dict[str, Any], settings: Settings) -> None:
    """The question's length limit is a setting: the schema states the one in force."""
    question = schema["components"]["schemas"]["AskRequest"]["properties"]["question"]
    question["maxLength"] = settings.max_question_chars
