"""The domain objects: articles, passages, and the answer contract of DESIGN.md."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class Article(BaseModel):
    id: str
    title: str
    text: str
    url: str | None = None
    source: str | None = None
    published_at: date | None = None
    authors: list[str] = Field(default_factory=list)
    origin: str | None = None
    """Where the article was read from (a file path), so an edited file replaces its article."""


class Passage(BaseModel):
    id: str
    article_id: str
    start: int
    end: int
    text: str


class Citation(BaseModel):
    id: int
    article_id: str
    title: str
    url: str | None
    source: str | None
    published_at: str | None
    passage_id: str
    start: int
    end: int
    quote: str


class AnswerSentence(BaseModel):
    text: str
    citations: list[int]
    supported: bool
    support: float


class RetrievedPassage(BaseModel):
    passage_id: str
    article_id: str
    start: int
    end: int
    """The passage is ``text[start:end]`` of its article."""
    score: float


class Answer(BaseModel):
    question: str
    answer: str
    refused: bool
    mode: str
    citations: list[Citation] = Field(default_factory=list)
    sentences: list[AnswerSentence] = Field(default_factory=list)
    retrieved: list[RetrievedPassage] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)


class IngestReport(BaseModel):
    new: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    failed: list[dict[str, str]] = Field(default_factory=list)
    passages: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "new": len(self.new),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "failed": len(self.failed),
        }
