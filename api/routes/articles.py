"""Article management: list, read, ingest (JSON or file upload) and delete."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from api.deps import Engine, Intakes, WriteKey, media_type
from api.errors import APIError
from api.limits import size_label
from api.schemas import (
    ArticleBatch,
    ArticleIn,
    ArticleOut,
    ArticlePage,
    ArticleSummary,
    Deleted,
    IngestResult,
)
from qa.errors import ArticleParseError, InvalidInput
from qa.jobs.store import Job
from qa.sources.articles import LoadFailure, article_from_record
from qa.types import Article, IngestReport

router = APIRouter(prefix="/api/articles", tags=["articles"])

MAX_FILES = 100
MAX_OFFSET = 10**9  # Chroma overflows on offsets from 2**32
_UPLOAD_DOC: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"anyOf": [
        {"$ref": "#/components/schemas/ArticleIn"},
        {"$ref": "#/components/schemas/ArticleBatch"}]}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "file": {"type": "array", "items": {"type": "string", "format": "binary"}}}}},
}}}


@router.get("")
def list_articles(engine: Engine, limit: Annotated[int, Query(ge=1, le=1000)] = 50,
                  offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0) -> ArticlePage:
    """A page of the stored articles (metadata only), and how many there are in all."""
    rows = engine.list_articles(limit=limit, offset=offset)
    return ArticlePage(articles=[ArticleSummary(**row) for row in rows],
                       total=engine.count_articles(), limit=limit, offset=offset)


@router.get("/{article_id}")
def get_article(article_id: str, engine: Engine) -> ArticleOut:
    """One article with its full text: citation offsets index into this text."""
    return ArticleOut(**engine.get_article(article_id).model_dump(exclude={"origin"}))


@router.delete("/{article_id}", dependencies=[WriteKey])
def delete_article(article_id: str, engine: Engine) -> Deleted:
    engine.delete_article(article_id)
    return Deleted(deleted=article_id)


@router.post("", dependencies=[WriteKey], openapi_extra=_UPLOAD_DOC, response_model=None,
             responses={202: {"model": Job, "description": "files uploaded: a job ingests "
                              "them (GET /api/jobs/{id})"},
                        422: {"description": "no article could be ingested"},
                        413: {"description": "the upload is too large"}})
async def add_articles(request: Request, engine: Engine,
                       intake: Intakes) -> IngestResult | JSONResponse:
    """Ingest one article object or `{"articles": [...]}` (answered when done), or files
    uploaded as multipart/form-data (any format `articleqa ingest` reads: .txt .md .html
    .json .jsonl), answered at once with 202 and the job that ingests them, whose progress
    and per-article outcomes `GET /api/jobs/{id}` gives. Articles that fail are listed under
    `failed`; the others are ingested. Re-sending an article changes nothing; an edited one
    replaces its earlier version."""
    kind = media_type(request)
    if kind == "multipart/form-data":
        files = await _from_upload(request, engine.settings.max_upload_bytes)
        job = await run_in_threadpool(intake.submit_upload, files)
        return JSONResponse(job.model_dump(mode="json"), status_code=202,
                            headers={"Location": f"/api/jobs/{job.id}"})
    if kind != "application/json":
        raise HTTPException(415, "send application/json or multipart/form-data")
    items = await run_in_threadpool(_from_json, await request.body())
    report: IngestReport = await run_in_threadpool(engine.ingest_items, items)
    counts = report.counts()
    if report.failed and counts["failed"] == sum(counts.values()):
        reasons = "; ".join(f"{f['source']}: {f['reason']}" for f in report.failed[:5])
        raise InvalidInput(f"nothing was ingested: {reasons}")
    return IngestResult(counts=counts, **report.model_dump())


def _from_json(raw: bytes) -> list[Article | LoadFailure]:
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # also nesting too deep, integers too long
        raise APIError(400, "invalid_json", "the request body is not valid JSON") from None
    if isinstance(body, dict) and "articles" in body:
        records = body["articles"]
        if not isinstance(records, list) or not records:
            raise InvalidInput("articles must be a non-empty list of article objects")
    elif isinstance(body, dict):
        records = [body]
    else:
        raise InvalidInput("send one article object or {\"articles\": [...]}")
    items: list[Article | LoadFailure] = []
    for i, record in enumerate(records):
        name = f"articles[{i}]" if len(records) > 1 else "article"
        try:
            items.append(article_from_record(record))
        except ArticleParseError as exc:
            items.append(LoadFailure(name, str(exc)))
    return items


async def _from_upload(request: Request, limit: int) -> list[tuple[str, bytes]]:
    """The uploaded files as ``(name, bytes)``, each checked against the size limit."""
    files: list[tuple[str, bytes]] = []
    async with request.form(max_files=MAX_FILES, max_fields=MAX_FILES) as form:
        uploads = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]
        if not uploads:
            raise InvalidInput("the upload holds no file (send files in a field named file)")
        for upload in uploads:
            data = await upload.read(limit + 1)
            name = upload.filename or "upload"
            if len(data) > limit:
                raise HTTPException(413, f"{name} is larger than the {size_label(limit)} "
                                         "upload limit")
            files.append((name, data))
    return files


UPLOAD_SCHEMAS = (ArticleIn, ArticleBatch)
"""Models the upload route's request body names; the app adds them to the OpenAPI schema."""
