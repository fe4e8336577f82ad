"""The objects that flow between the stages: articles and passages (read, indexed), the
``Evidence`` a question gathers (retrieval), the ``Draft`` an answerer writes, and the
``Answer`` contract (docs/DESIGN.md) the checks turn it into."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import numpy as np
from pydantic import BaseModel, Field

Span = tuple[int, int]
"""``(start, end)`` character offsets into an article's text."""


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
    from_summary: bool = False
    """The text is a feed item's own content or summary: its page could not be read."""


class Passage(BaseModel):
    id: str
    article_id: str
    start: int
    end: int
    text: str


class AlsoPublished(BaseModel):
    """Another outlet that carried a cited article's text: a copy folded into it at ingest
    (its own text is ``GET /api/articles/{article_id}``)."""

    article_id: str
    source: str | None
    url: str | None
    published_at: str | None


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
    also_published_by: list[AlsoPublished] = Field(default_factory=list)
    """The copies of the cited article: the same story, published elsewhere."""


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


class Usage(BaseModel):
    """What one answer cost the language model, as it reported it."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    """Prompt tokens it did not read again (a cached prefix, such as the system prompt)."""
    stopped: str | None = None
    """Why it stopped early, if it did: ``length`` (the token bound) or ``deadline``."""


class TimeWindow(BaseModel):
    """The publication dates an answer was drawn from, when a question is asked ``as_of``
    a day: never after it, and within what the question's own time words say."""

    as_of: date
    since: date | None = None
    until: date
    expression: str | None = None
    """The question's words the window was read from ("this week"); null: ``as_of`` only."""
    widened: bool = False
    """No article was published in the question's window, so the answer is drawn from all
    those up to ``as_of``."""
    newest_first: bool = False
    """The question asks for the latest news ("latest", "new", "this week"): newer reports
    ranked higher (``QA_RECENCY``)."""


class Answer(BaseModel):
    question: str
    answer: str
    refused: bool
    mode: str
    citations: list[Citation] = Field(default_factory=list)
    sentences: list[AnswerSentence] = Field(default_factory=list)
    retrieved: list[RetrievedPassage] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    usage: Usage | None = None
    """The language model's cost, when one wrote the draft."""
    note: str | None = None
    """Why the answer is not what the language model wrote: its draft failed the checks,
    so the checked quotes are shown instead (``None`` otherwise)."""
    window: TimeWindow | None = None
    """The dates searched, when the question was asked ``as_of`` a day."""
    when: str | None = None
    """When the cited articles were published ("Reported 2–5 October 2023"), with a warning
    when the newest is long before ``as_of``."""
    closest: Citation | None = None
    """For a refused question, the sentence of the sources nearest to it, offered as what the
    articles do say (not as the answer); ``None`` when nothing is near."""
    verdict: str | None = None
    """A yes-or-no question about what reports say: the language model's verdict ("yes",
    "no"; or the word chosen of the two a question names, "consistent") over the cited
    sentences, which the answer opens with; ``None`` otherwise, and
    when the model was unsure (the quotes are shown alone)."""
    differs: str | None = None
    """When the retrieved reports give different numbers for what the question asks, each
    with its outlet, date and citation, the latest first ("Reports differ: 31 (Riverton
    Gazette, 12 October 2023) [2], the latest; 12 (2 October 2023) [1].")."""


@dataclass(frozen=True)
class Preview:
    """The checked quotes of an answer, shown at once while a language model writes."""

    answer: Answer


class IngestReport(BaseModel):
    new: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    failed: list[dict[str, str]] = Field(default_factory=list)
    passages: int = 0
    copies: dict[str, str] = Field(default_factory=dict)
    """The articles (among ``new`` and ``updated``) stored as copies of another story, each
    with the id of the canonical article they are a copy of."""

    def counts(self) -> dict[str, int]:
        return {
            "new": len(self.new),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "failed": len(self.failed),
        }


@dataclass
class Hit:
    """A retrieved passage: ``text`` is ``article.text[start:end]``."""

    passage_id: str
    article_id: str
    start: int
    end: int
    text: str
    score: float


class Lexicon(Protocol):
    """What the keyword index tells an answerer about words."""

    def idf(self, term: str) -> float: ...

    def held_by(self, article_ids: Collection[str], wanted: Collection[str]
                ) -> tuple[set[str], set[str]]:
        """The ``wanted`` terms some passage of these articles holds, and the articles the
        index does not know (to be read directly)."""
        ...


class _NoLexicon:
    """Every word weighs the same and no article is known: the answerer reads them itself."""

    def idf(self, term: str) -> float:
        return 1.0

    def held_by(self, article_ids: Collection[str], wanted: Collection[str]
                ) -> tuple[set[str], set[str]]:
        return set(), set(article_ids)


NO_LEXICON: Lexicon = _NoLexicon()


class SentenceVectors(Protocol):
    """The sentence vectors stored with an article at ingest."""

    def vector(self, span: Span) -> np.ndarray | None: ...


@dataclass
class Evidence:
    """A question with what retrieval found for it: what every ``Answerer`` drafts from."""

    question: str
    """As asked."""
    search: str
    """What was searched: the question, made to stand alone when a conversation preceded."""
    hits: list[Hit]
    """The numbered sources: source ``n`` is ``hits[n - 1]``."""
    articles: dict[str, Article]
    vector: np.ndarray
    """The unit vector of ``search``."""
    history: list[dict[str, str]] = field(default_factory=list)
    lexicon: Lexicon = NO_LEXICON
    units: dict[str, SentenceVectors] = field(default_factory=dict)
    window: TimeWindow | None = None
    ranked: list[Any] | None = None
    """The extractive scorer's candidate sentences, best first, once scored (every use of
    one question's evidence reads the same ranking)."""
    answerable: bool | None = None
    """A language model's reading of whether the ranking's best sentences answer, once
    asked (``qa.answer.answerability``): the model's answer and the quotes agree."""
    copies: dict[str, list[AlsoPublished]] = field(default_factory=dict)
    """The copies of each article that lists some (the same story, published elsewhere)."""

    @property
    def asked(self) -> str:
        """What a language model is asked: the standalone question after a conversation."""
        return self.search if self.history else self.question


@dataclass
class DraftSentence:
    """One sentence of a draft answer, with the numbers of the sources it cites."""

    text: str
    sources: list[int] = field(default_factory=list)


class Draft(list[DraftSentence]):
    """A draft answer: its sentences, and what writing it cost (``None``: no model wrote it).
    An empty draft refuses, and may name the ``closest`` sentence: its source's number and
    its span in that source's article. A yes-or-no question's draft may carry a ``verdict``
    ("Yes", "No") over its sentences (``qa.answer.polar``)."""

    def __init__(self, sentences: Iterable[DraftSentence] = (), usage: Usage | None = None,
                 closest: tuple[int, Span] | None = None, verdict: str | None = None):
        super().__init__(sentences)
        self.usage = usage
        self.closest = closest
        self.verdict = verdict


@dataclass(frozen=True)
class Quote:
    """A span of evidence as a verifier reads it: its text, and the byline of the social
    post it sits in (who makes its claim), if any."""

    text: str
    byline: str = ""

    @property
    def evidence(self) -> str:
        return f"{self.text} {self.byline}" if self.byline else self.text
