"""``QAEngine``: the one façade that the CLI, the HTTP API and the evaluation harness use."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from qa.articles import LoadFailure, read_sources
from qa.citations import CitationChecker, Draft, render_pieces
from qa.config import Settings
from qa.embedding import Embedder, build_embedder
from qa.errors import InvalidInput
from qa.extractive import ExtractiveAnswerer
from qa.ingest import Ingester
from qa.llm import LLMAnswerer
from qa.models import Answer, Article, IngestReport, RetrievedPassage
from qa.pooling import StoredUnits
from qa.retrieval import Hit, HybridRetriever, Lexicon
from qa.store import ArticleStore
from qa.support import strip_attribution, support_score

MAX_TOP_K = 50
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # lone surrogates: not valid Unicode text
# Words that point back into the conversation: a question holding one is a follow-up.
_FOLLOW_UP = re.compile(r"\b(he|she|they|him|it|its|his|her|their|them|these|those|the same|"
                        r"this|that)\b", re.I)


@dataclass
class _Turn:
    """One question on its way to an answer: what was asked, searched and found."""

    question: str
    search: str
    history: list[dict[str, str]]
    hits: list[Hit]
    articles: dict[str, Article]
    vector: np.ndarray
    lexicon: Lexicon
    units: dict[str, StoredUnits]
    started: float
    retrieved: float

    @property
    def asked(self) -> str:
        """What the LLM is asked: the standalone question when a conversation preceded."""
        return self.search if self.history else self.question


class QAEngine:
    """Ingest articles, answer questions with checked citations, manage the article store."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or build_embedder(settings)
        self.store = ArticleStore(settings, self.embedder.identity)
        self.retriever = HybridRetriever(self.store, self.embedder)
        self.checker = CitationChecker(self.embedder, settings.support_threshold)
        self.extractive = ExtractiveAnswerer(self.embedder, settings.answer_threshold)
        if settings.answerer == "llm" and not settings.llm_configured():
            raise InvalidInput("QA_ANSWERER=llm but no LLM is configured: set QA_LLM_BASE_URL "
                               "and QA_LLM_MODEL (and QA_LLM_API_KEY for a hosted API)")
        self.llm = LLMAnswerer(settings) if settings.answerer_mode() == "llm" else None
        self._ingesting = threading.Lock()

    @property
    def mode(self) -> str:
        return "llm" if self.llm else "extractive"

    # -- ingest --------------------------------------------------------------------------
    def ingest(self, sources: Iterable[str],
               progress: Callable[[int, int], object] | None = None) -> IngestReport:
        """Read every folder, file or URL and ingest what parses; failures are reported."""
        return self.ingest_items(read_sources(sources), progress)

    def ingest_articles(self, articles: Iterable[Article]) -> IngestReport:
        return self.ingest_items(articles)

    def ingest_items(self, items: Iterable[Article | LoadFailure],
                     progress: Callable[[int, int], object] | None = None) -> IngestReport:
        """Idempotent, batched, resumable ingest of articles (and reports of failures)."""
        with self._ingesting:  # one writer at a time: concurrent runs would race on old versions
            return Ingester(self.store, self.embedder, self.settings.ingest_batch).run(items,
                                                                                       progress)

    # -- questions -----------------------------------------------------------------------
    def ask(self, question: str, top_k: int | None = None, since: date | None = None,
            until: date | None = None, history: list[dict[str, str]] | None = None) -> Answer:
        """Answer ``question`` from the stored articles, with checked citations."""
        turn = self._begin(question, history, top_k, since, until)
        return self._end(turn, self._draft(turn))

    def chat(self, messages: list[dict[str, str]], top_k: int | None = None) -> Answer:
        """Answer the last user message, reading earlier turns as the conversation."""
        question, history = _split_messages(messages, self.settings.max_question_chars)
        return self.ask(question, top_k=top_k, history=history)

    def stream_chat(self, messages: list[dict[str, str]],
                    top_k: int | None = None) -> Iterator[str | Answer]:
        """Yields text as it is written, then the checked ``Answer``. In LLM mode the text is
        the model's draft (markers numbering sources); the ``Answer`` that follows is what
        to show. In extractive mode the text is the checked answer, sentence by sentence."""
        question, history = _split_messages(messages, self.settings.max_question_chars)
        turn = self._begin(question, history, top_k, None, None)
        if self.llm and turn.hits:
            parts = []
            for delta in self.llm.stream(turn.asked, turn.hits, turn.articles, turn.history):
                parts.append(delta)
                yield delta
            yield self._end(turn, "".join(parts))
            return
        answer = self._end(turn, self._draft(turn))
        pieces = [answer.answer] if answer.refused else render_pieces(answer.sentences)
        for i, piece in enumerate(pieces):
            yield piece if i == len(pieces) - 1 else piece + " "
        yield answer

    def _begin(self, question: str, history: list[dict[str, str]] | None, top_k: int | None,
               since: date | None, until: date | None) -> _Turn:
        started = time.perf_counter()
        question = _validate(question, since, until, top_k, self.settings.max_question_chars)
        search, turns = self._standalone(question, history)
        vector = self.embedder.embed_one(search)
        hits, lexicon = self.retriever.search(search, top_k or self.settings.top_k, since, until,
                                          vector)
        articles, units = self.store.get_articles_and_units(sorted({h.article_id for h in hits}))
        hits = [h for h in hits if h.article_id in articles]
        return _Turn(question, search, turns, hits, articles, vector, lexicon, units, started,
                     time.perf_counter())

    def _standalone(self, question: str, history: list[dict[str, str]] | None
                    ) -> tuple[str, list[dict[str, str]]]:
        """The question to search with: condensed by the LLM, or in extractive mode joined
        with the previous question when it reads as a follow-up."""
        turns = [t for t in (history or []) if t.get("role") in {"user", "assistant"}]
        if not turns:
            return question, turns
        if self.llm:
            return self.llm.condense(question, turns), turns
        previous = next((t["content"] for t in reversed(turns) if t["role"] == "user"), "")
        if previous and _FOLLOW_UP.search(question):
            return f"{previous} {question}", turns
        return question, turns

    def _draft(self, turn: _Turn) -> Draft:
        if not turn.hits:
            return ""
        if self.llm:
            return self.llm.draft(turn.asked, turn.hits, turn.articles, turn.history)
        return self.extractive.draft(turn.search, turn.hits, turn.articles, turn.vector,
                                     turn.lexicon, turn.units)

    def _end(self, turn: _Turn, draft: Draft) -> Answer:
        checked = self.checker.check(draft, turn.hits, turn.articles)
        done = time.perf_counter()
        return Answer(
            question=turn.question, answer=checked.answer, refused=checked.refused,
            mode=self.mode, citations=checked.citations, sentences=checked.sentences,
            retrieved=[RetrievedPassage(passage_id=h.passage_id, article_id=h.article_id,
                                        start=h.start, end=h.end, score=round(h.score, 5))
                       for h in turn.hits],
            timings_ms={"retrieve": _ms(turn.retrieved - turn.started),
                        "answer": _ms(done - turn.retrieved), "total": _ms(done - turn.started)},
        )

    def explain(self, question: str, top_k: int | None = None) -> list[dict[str, Any]]:
        """The extractive answerer's candidate sentences for ``question``, best first, with
        their scores: what it would quote, and why it refuses."""
        turn = self._begin(question, None, top_k, None, None)
        ranked = self.extractive.score(turn.search, turn.hits, turn.articles, turn.vector,
                                       turn.lexicon, turn.units)
        return [{"score": round(s.score, 4), "source": s.number, "text": s.text,
                 "article_id": turn.hits[s.number - 1].article_id, "start": s.start,
                 "end": s.end} for s in ranked]

    def support(self, claim: str, evidence: str) -> float:
        """How well ``evidence`` supports ``claim`` (0 to 1), as the citation check scores it."""
        claim_vec, evidence_vec = self.embedder.embed([strip_attribution(claim), evidence])
        return support_score(claim, evidence, claim_vec, evidence_vec)

    # -- articles ------------------------------------------------------------------------
    def list_articles(self, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        if not 1 <= limit <= 1000 or offset < 0:
            raise InvalidInput("limit must be between 1 and 1000 and offset at least 0")
        return self.store.list_articles(limit=limit, offset=offset)

    def count_articles(self) -> int:
        return self.store.count_articles()

    def get_article(self, article_id: str) -> Article:
        return self.store.get_article(article_id)

    def delete_article(self, article_id: str) -> None:
        with self._ingesting:
            self.store.delete_article(article_id)

    def stats(self) -> dict[str, Any]:
        return {"articles": self.store.count_articles(), "passages": self.store.count_passages(),
                "mode": self.mode, "embedder": self.embedder.identity,
                "keyword_index": "ready" if self.retriever.keyword_index_ready else "building"}


def _validate(question: str, since: date | None, until: date | None,
              top_k: int | None, max_chars: int) -> str:
    if not isinstance(question, str):
        raise InvalidInput("the question must be text")
    question = question.strip()
    if not question:
        raise InvalidInput("the question is empty")
    if _SURROGATE.search(question):
        raise InvalidInput("the question is not valid Unicode text")
    if top_k is not None and not 1 <= top_k <= MAX_TOP_K:
        raise InvalidInput(f"top_k must be between 1 and {MAX_TOP_K}")
    if len(question) > max_chars:
        raise InvalidInput(f"the question is longer than {max_chars} characters")
    if since and until and since > until:
        raise InvalidInput("since is after until")
    return question


def _split_messages(messages: list[dict[str, str]],
                    max_chars: int) -> tuple[str, list[dict[str, str]]]:
    """The question (the last message) and the conversation before it. Earlier turns are
    read too (a follow-up is searched with the previous question), so they are held to the
    same rules: text, valid Unicode, a question's length (an answer's: ten times that)."""
    if not messages or messages[-1].get("role") != "user":
        raise InvalidInput("the last message must be the user's question")
    for number, message in enumerate(messages[:-1], start=1):
        content = message.get("content", "")
        limit = max_chars if message.get("role") == "user" else 10 * max_chars
        if not isinstance(content, str) or _SURROGATE.search(content):
            raise InvalidInput(f"message {number} is not valid Unicode text")
        if len(content) > limit:
            raise InvalidInput(f"message {number} is longer than {limit} characters")
    return messages[-1].get("content", ""), messages[:-1]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)
