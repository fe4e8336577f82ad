"""Request and response bodies of the HTTP API (the answer itself is ``qa.types.Answer``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt

from qa.types import Citation


class ErrorDetail(BaseModel):
    type: str = Field(description="A stable name: invalid_input, not_found, upstream_error, …")
    message: str = Field(description="What went wrong, for a person to read.")


class ErrorBody(BaseModel):
    error: ErrorDetail


def _iso_text(value: Any) -> Any:
    """A date must come as ISO text: a bare number would be read as seconds since 1970."""
    if value is not None and not isinstance(value, str | date):
        raise ValueError("give the date as text, YYYY-MM-DD")
    return value


ISODate = Annotated[date, BeforeValidator(_iso_text)]

MAX_MESSAGE_CHARS = 100_000
"""A ceiling on any one message; the engine holds questions to QA_MAX_QUESTION_CHARS."""


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, pattern=r"\S",
                          description="The question, in plain words (QA_MAX_QUESTION_CHARS "
                                      "at most).")
    top_k: StrictInt | None = Field(None, ge=1, le=50,
                                    description="Passages given to the answerer.")
    since: ISODate | None = Field(None, description="Only articles published on or after.")
    until: ISODate | None = Field(None, description="Only articles published on or before.")
    as_of: ISODate | None = Field(None, description="Answer as of this day: no article "
                                  "published after it is used, and the question's time words "
                                  "(\"this week\", \"in October\") are read against it.")


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant", "system"]
    content: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS, pattern=r"\S")


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    messages: list[Message] = Field(min_length=1, max_length=100,
                                    description="The conversation; the last is the question.")
    stream: bool = Field(False, description="Answer as Server-Sent Events.")
    top_k: StrictInt | None = Field(None, ge=1, le=50)
    as_of: ISODate | None = Field(None, description="Answer as of this day: no article "
                                  "published after it is used, and the question's time words "
                                  "(\"this week\", \"in October\") are read against it.")


class Health(BaseModel):
    status: Literal["ok"]
    articles: int
    passages: int
    mode: str
    model: str | None = Field(
        None, description="The language model that writes answers (null in extractive mode).")
    model_runtime: Literal["local", "remote"] | None = Field(
        None, description="\"local\": run in this process by llama.cpp; \"remote\": an "
        "OpenAI-compatible server.")
    verifier: str = Field(description="What checks each answer sentence against its cited "
                          "spans: \"heuristic\" (the rules) or \"heuristic+model\" (the "
                          "rules with the answerer's model asked too).")
    answerability: Literal["score", "model"] = Field(
        "score", description="Who decides whether the articles answer a question: \"score\" "
        "(the best sentence's score) or \"model\" (the local model reading the best "
        "sentences where the score is unsure).")
    embedder: str
    keyword_index: Literal["ready", "building"] = Field(
        "ready", description="\"building\" while a large store's BM25 index is built after "
        "start-up: questions are answered from the dense index alone until it is ready.")


class ArticleIn(BaseModel):
    """One article to ingest: a title and text, optionally its URL, outlet, date, authors."""

    title: str | None = Field(None, description="The headline (else the text's first line).")
    text: str = Field(min_length=1, pattern=r"\S")
    url: str | None = None
    source: str | None = None
    published_at: str | float | None = Field(
        None, description="ISO date, e.g. 2023-09-30 (or Unix seconds, as article files may).")
    authors: list[str] | str | None = None


class ArticleBatch(BaseModel):
    articles: list[ArticleIn] = Field(min_length=1)


class IngestResult(BaseModel):
    counts: dict[str, int]
    new: list[str]
    updated: list[str]
    unchanged: list[str]
    failed: list[dict[str, str]]
    passages: int
    copies: dict[str, str] = Field(
        default_factory=dict, description="Articles stored as copies of another story (the "
        "same text under another URL), each with the id of the article they are a copy of.")


class ArticleSummary(BaseModel):
    id: str
    title: str
    url: str | None
    source: str | None
    published_at: str | None
    authors: list[str]
    passages: int
    from_summary: bool = Field(False, description="The text is a feed item's summary: its "
                               "page could not be read.")
    copy_of: str | None = Field(None, description="The article this one is a copy of (the "
                                "same story, published elsewhere): its passages serve both.")


class ArticlePage(BaseModel):
    articles: list[ArticleSummary]
    total: int
    limit: int
    offset: int


class ArticleOut(BaseModel):
    id: str
    title: str
    text: str
    url: str | None
    source: str | None
    published_at: date | None
    authors: list[str]
    from_summary: bool = Field(False, description="The text is a feed item's summary: its "
                               "page could not be read.")


class Deleted(BaseModel):
    deleted: str


# -- OpenAI-compatible -------------------------------------------------------------------
class OpenAIMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = Field(None, max_length=MAX_MESSAGE_CHARS)


class ChatCompletionRequest(BaseModel):
    """The fields of OpenAI's request that matter here; others (temperature, …) are accepted
    and ignored: answers come from the articles, not from sampling settings."""

    model_config = ConfigDict(extra="allow")
    model: str = "articleqa"
    messages: list[OpenAIMessage] = Field(min_length=1, max_length=100)
    stream: bool = False
    as_of: ISODate | None = Field(None, description="An extra field: answer as of this day "
                                  "(no later article is used; the question's time words are "
                                  "read against it).")


class CompletionMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class CompletionChoice(BaseModel):
    index: int = 0
    message: CompletionMessage
    finish_reason: Literal["stop"] = "stop"


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[CompletionChoice]
    citations: list[Citation] = Field(description="The spans the [n] markers point at.")
    refused: bool


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]
