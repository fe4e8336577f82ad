"""``QAEngine``: the one façade that the CLI, the HTTP API and the evaluation harness use."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any

from qa.answer.answerer import Answerer, build_answerer
from qa.answer.extractive import ExtractiveAnswerer, best_score, by_score
from qa.answer.reports import OtherReports, differs
from qa.asked import split_messages, validated
from qa.check.citations import REFUSAL, Checked, CitationChecker
from qa.check.dating import when
from qa.check.render import answer_pieces as rendered_pieces
from qa.check.verifier import Verifier, build_verifier
from qa.config import Settings
from qa.errors import InvalidInput
from qa.index.copies import CopyIndex
from qa.index.embedding import Embedder, build_embedder
from qa.index.ingest import Ingester
from qa.index.retrieval import HybridRetriever, fuse
from qa.index.store import ArticleStore
from qa.sources.articles import LoadFailure, read_sources
from qa.sources.fetch import Fetcher
from qa.text.when import asks_latest, window
from qa.types import (
    AlsoPublished,
    Answer,
    Article,
    Citation,
    Draft,
    Evidence,
    Hit,
    IngestReport,
    Preview,
    Quote,
    TimeWindow,
)
from qa.types import RetrievedPassage as Retrieved

if TYPE_CHECKING:
    from qa.answer.openai_chat import OpenAIChat

MODEL_FAILED = ("The language model's answer did not pass the citation checks, so the "
                "sentences of the articles that answer are quoted instead.")


class QAEngine:
    """Ingest articles, answer questions with checked citations, manage the article store.

    The answerer and the verifier are built from the settings unless given: any object
    with their methods will do (``qa.answer.answerer.Answerer``,
    ``qa.check.verifier.Verifier``)."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None,
                 answerer: Answerer | None = None, verifier: Verifier | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or build_embedder(settings)
        self.store = ArticleStore(settings, self.embedder.identity)
        self.retriever = HybridRetriever(self.store, self.embedder)
        self.answerer = answerer or build_answerer(settings, self.embedder)
        self.verifier = verifier or build_verifier(settings, self.embedder,
                                                   getattr(self.answerer, "model", None))
        self.checker = CitationChecker(self.verifier, settings.support_threshold)
        self.quoter: ExtractiveAnswerer = getattr(self.answerer, "scorer", None) or \
            ExtractiveAnswerer(self.embedder, settings.answer_threshold,
                               prior=settings.retrieval_prior)
        """The instant answer: the checked quotes, shown first while a model writes, and
        kept when the model's answer fails the checks. The model's own scorer when it has
        one, so the quotes answer exactly when its answerability judge says so."""
        self.reports = OtherReports(self.quoter)
        """Other retrieved reports that give another number for what is asked."""
        self._ingesting = threading.Lock()
        self.copies = CopyIndex() if settings.fold_copies else None
        """The copy index of the store's canonical articles, kept between ingests."""

    @property
    def mode(self) -> str:
        return self.answerer.mode

    def warm(self) -> None:
        """Get ready to serve: build the keyword index (in the background for a large store)
        and load the answerer's model, if it runs one."""
        self.retriever.warm()
        self.answerer.warm()

    def close(self) -> None:
        """The process is stopping: running generations end soon, new ones are refused."""
        self.answerer.close()

    # -- ingest --------------------------------------------------------------------------
    def ingest(self, sources: Iterable[str],
               progress: Callable[[int, int], object] | None = None) -> IngestReport:
        """Read every folder, file or URL and ingest what parses; failures are reported.
        URLs are fetched as feeds are: public addresses only unless allowed, redirects
        checked, robots.txt, the fetch deadline and size limit (``qa.sources.fetch``)."""
        with Fetcher(self.settings) as fetcher:
            return self.ingest_items(read_sources(sources, fetcher), progress)

    def ingest_articles(self, articles: Iterable[Article]) -> IngestReport:
        return self.ingest_items(articles)

    def ingest_items(self, items: Iterable[Article | LoadFailure],
                     progress: Callable[[int, int], object] | None = None) -> IngestReport:
        """Idempotent, batched, resumable ingest of articles (and reports of failures)."""
        with self._ingesting:  # one writer at a time: concurrent runs would race on old versions
            return self._ingester().run(items, progress)

    def _ingester(self) -> Ingester:
        return Ingester(self.store, self.embedder, self.settings.ingest_batch, self.copies)

    # -- questions -----------------------------------------------------------------------
    def ask(self, question: str, top_k: int | None = None, since: date | None = None,
            until: date | None = None, history: list[dict[str, str]] | None = None,
            as_of: date | None = None) -> Answer:
        """Answer ``question`` from the stored articles, with checked citations. Asked
        ``as_of`` a day, no article published after it is used, and the question's time
        words ("this week", "in October") are read against it (``Answer.window``)."""
        evidence, started = self._gather(question, history, top_k, since, until, as_of)
        retrieved = time.perf_counter()
        draft = self.answerer.draft(evidence) if evidence.hits else Draft()
        answer = self._end(evidence, draft, started, retrieved, since, until)
        if answer.refused:
            answer = self._or_quotes(answer, self._quotes(evidence, started, retrieved))
        return answer

    def retrieve(self, question: str, top_k: int | None = None, since: date | None = None,
                 until: date | None = None, as_of: date | None = None) -> Evidence:
        """The passages (and their articles) an answer to ``question`` would be drafted from."""
        return self._gather(question, None, top_k, since, until, as_of)[0]

    def chat(self, messages: list[dict[str, str]], top_k: int | None = None,
             as_of: date | None = None) -> Answer:
        """Answer the last user message, reading earlier turns as the conversation."""
        question, history = split_messages(messages, self.settings.max_question_chars)
        return self.ask(question, top_k=top_k, history=history, as_of=as_of)

    def stream_chat(self, messages: list[dict[str, str]], top_k: int | None = None,
                    as_of: date | None = None) -> Iterator[str | Preview | Answer]:
        """Yields text as it is written, then the checked ``Answer``. When the answerer
        writes as it goes (a language model), the checked quotes come with its first token
        as a ``Preview``, the text is then the model's draft (markers numbering sources) and
        the ``Answer`` that follows is what to show; otherwise the text is the checked
        answer, sentence by sentence."""
        question, history = split_messages(messages, self.settings.max_question_chars)
        evidence, started = self._gather(question, history, top_k, None, None, as_of)
        retrieved = time.perf_counter()
        quotes = self._quotes(evidence, started, retrieved)
        draft = Draft()
        streamed = False
        for item in self.answerer.stream(evidence) if evidence.hits else ():
            if isinstance(item, str):
                if not streamed and quotes is not None and not quotes.refused:
                    yield Preview(quotes)  # once the model answers: its errors stay errors
                streamed = True
                yield item
            else:
                draft = item
        answer = self._or_quotes(
            self._end(evidence, draft, started, retrieved, None, None), quotes)
        if not streamed:
            pieces = self.answer_pieces(answer)
            for i, piece in enumerate(pieces):
                yield piece if i == len(pieces) - 1 else piece + " "
        yield answer

    def _quotes(self, evidence: Evidence, started: float, retrieved: float) -> Answer | None:
        """The checked quotes, when a language model writes the answer (else ``None``)."""
        if self.answerer.mode == self.quoter.mode or not evidence.hits:
            return None
        return self._end(evidence, self.quoter.draft(evidence), started, retrieved, None, None)

    @staticmethod
    def _or_quotes(answer: Answer, quotes: Answer | None) -> Answer:
        """The model's checked answer, or the quotes when the checks refused what it wrote
        and the quotes answer."""
        if not answer.refused or quotes is None or quotes.refused:
            return answer
        return quotes.model_copy(update={"note": MODEL_FAILED, "usage": answer.usage,
                                         "timings_ms": answer.timings_ms})

    @staticmethod
    def answer_pieces(answer: Answer) -> list[str]:
        """The answer's text in sentences, each with its markers (joined by spaces, they
        are ``answer.answer``): what a client streams."""
        return [answer.answer] if answer.refused else rendered_pieces(answer.sentences,
                                                                    answer.verdict)

    def _gather(self, question: str, history: list[dict[str, str]] | None, top_k: int | None,
                since: date | None, until: date | None,
                as_of: date | None = None) -> tuple[Evidence, float]:
        started = time.perf_counter()
        question = validated(question, since, until, top_k, self.settings.max_question_chars)
        turns = [t for t in (history or []) if t.get("role") in {"user", "assistant"}]
        search = self.answerer.condense(question, turns) if turns else question
        vector = self.embedder.embed_one(search)
        k = top_k or self.settings.top_k
        scope = _scope(search, as_of, since, until, self.settings.recency)
        hits, lexicon = self._search(search, k, scope, since, until, vector)
        if scope is not None and scope.expression:  # the question names a time
            wider = scope.model_copy(update={"since": since, "until": _earliest(until, as_of)})
            around, lexicon = self._search(search, k, wider, since, until, vector)
            if not hits:  # nothing in its window: all up to as_of
                hits, scope = around, wider.model_copy(update={"widened": True})
            else:  # its window first, and what else answers best up to as_of
                hits = fuse([hits, around], k)
        stored = self.store.read_evidence(sorted({h.article_id for h in hits}))
        hits = [h for h in hits if h.article_id in stored.articles]
        copies = {i: [AlsoPublished(**c) for c in found] for i, found in stored.copies.items()}
        return Evidence(question, search, hits, stored.articles, vector, turns, lexicon,
                        dict(stored.units), scope, copies=copies), started

    def _search(self, search: str, k: int, scope: TimeWindow | None, since: date | None,
                until: date | None, vector: Any) -> tuple[list[Hit], Any]:
        """Retrieval within the dates asked for: ``since``/``until`` as given, or the window
        asked ``as_of`` (in which an undated article counts as published before ``as_of``
        unless the question names a time)."""
        if scope is None:
            return self.retriever.search(search, k, since, until, vector)
        undated = scope.since is None and since is None and until is None
        recency = self.settings.recency if scope.newest_first else 0.0
        return self.retriever.search(search, k, scope.since, scope.until, vector, undated,
                                     recency)

    def _end(self, evidence: Evidence, draft: Draft, started: float, retrieved: float,
             since: date | None, until: date | None) -> Answer:
        if evidence.window is not None:
            since, until = evidence.window.since, evidence.window.until
        drafted = time.perf_counter()
        if not evidence.hits and (since or until) and self.store.count_passages():
            checked = Checked(_empty_window(since, until), True)
        else:
            draft = self.reports.extend(draft, evidence)
            checked = self.checker.check(draft, evidence.hits, evidence.articles)
        done = time.perf_counter()
        closest = checked.closest and _with_copies(checked.closest, evidence)
        return Answer(
            question=evidence.question, answer=checked.answer, refused=checked.refused,
            mode=self.mode, citations=[_with_copies(c, evidence) for c in checked.citations],
            sentences=checked.sentences, closest=closest, window=evidence.window,
            verdict=checked.verdict.lower() if checked.verdict else None,
            when=when(checked.citations, evidence.window),
            differs=None if checked.refused else differs(evidence.search, checked.sentences,
                                                         checked.citations),
            retrieved=[Retrieved(passage_id=h.passage_id, article_id=h.article_id,
                                 start=h.start, end=h.end, score=round(h.score, 5))
                       for h in evidence.hits],
            timings_ms={"retrieve": _ms(retrieved - started),
                        "answer": _ms(done - retrieved), "check": _ms(done - drafted),
                        "total": _ms(done - started)},
            usage=draft.usage,
        )

    def explain(self, question: str, top_k: int | None = None) -> list[dict[str, Any]]:
        """The extractive scorer's candidate sentences for ``question``, best first, with
        their scores: what it would quote, and why it refuses."""
        ev, _ = self._gather(question, None, top_k, None, None)
        ranked = self.quoter.score(ev.search, ev.hits, ev.articles, ev.vector, ev.lexicon, ev.units)
        return [{"score": round(s.score, 4), "order": round(s.order, 4), "source": s.number,
                 "text": s.text,
                 "article_id": ev.hits[s.number - 1].article_id, "start": s.start,
                 "end": s.end} for s in ranked]

    def evidence(self, question: str, as_of: date | None = None) -> Evidence:
        """What ``ask`` would answer ``question`` from: the retrieved passages, their
        articles and the question's time window (the harness replays answerers on it)."""
        return self._gather(question, None, None, None, None, as_of)[0]

    def answerability(self, question: str) -> tuple[float, float | None]:
        """What decides whether ``question`` is answered: the extractive scorer's best
        sentence score and, when a language model judges answerability, its probability
        that none of the best sentences gives the answer (else ``None``)."""
        ev, _ = self._gather(question, None, None, None, None)
        ranked = self.quoter.ranking(ev)
        best = best_score(ranked)
        judge = self.quoter.judge
        if judge is None:
            return best, None
        return best, judge.none_probability(ev.asked, by_score(ranked))

    def verdict_probability(self, question: str) -> float | None:
        """The language model's P(yes) behind the verdict on a yes-or-no question about what
        reports say (``qa.answer.polar``); ``None`` for any other question, or an answerer
        with no model that reads the shortlist."""
        ev, _ = self._gather(question, None, None, None, None)
        probability = getattr(self.answerer, "yes_probability", None)
        return probability(ev) if probability and ev.hits else None

    def support(self, claim: str, evidence: str) -> float:
        """How well ``evidence`` supports ``claim`` (0 to 1), as the citation check scores it."""
        return self.verifier.score([(claim, [Quote(evidence)])])[0]

    def complete(self, prompt: str) -> str:
        """The configured language model's reply to one message (the harness's LLM judge)."""
        return self._chat_model.chat([{"role": "user", "content": prompt}])

    @cached_property
    def _chat_model(self) -> OpenAIChat:
        """One client for every ``complete`` (the judge calls it once a labelled pair)."""
        from qa.answer.openai_chat import OpenAIChat

        if not self.settings.llm_configured():
            raise InvalidInput("no LLM is configured: set QA_LLM_BASE_URL and QA_LLM_MODEL")
        return OpenAIChat(self.settings)

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
        with self._ingesting:  # its copies, if any, are folded again: none is lost
            self._ingester().delete(article_id)

    def stats(self) -> dict[str, Any]:
        return {"articles": self.store.count_articles(), "passages": self.store.count_passages(),
                "mode": self.mode, "model": self.answerer.model_name,
                "model_runtime": getattr(self.answerer, "model_runtime", None),
                "verifier": self.verifier.name,
                "answerability": "score" if self.quoter.judge is None else "model",
                "embedder": self.embedder.identity,
                "keyword_index": "ready" if self.retriever.keyword_index_ready else "building"}


def _with_copies(citation: Citation, evidence: Evidence) -> Citation:
    """The citation naming the other outlets that carried its article's text."""
    copies = evidence.copies.get(citation.article_id)
    return citation.model_copy(update={"also_published_by": copies}) if copies else citation


def _scope(question: str, as_of: date | None, since: date | None,
           until: date | None, recency: float) -> TimeWindow | None:
    """The window ``question`` asks about as of ``as_of`` (``None`` when not asked so),
    within ``since``/``until`` when those are given too."""
    if as_of is None:
        return None
    found = window(question, as_of)
    start = max((d for d in (since, found.since) if d), default=None)
    end = _earliest(until, found.until)
    if start and start > end:  # the question's words fall outside since/until: those win
        start, end = since, _earliest(until, as_of)
    return TimeWindow(as_of=as_of, since=start, until=end, expression=found.expression,
                      newest_first=recency > 0 and bool(found.expression or asks_latest(question)))


def _earliest(until: date | None, as_of: date | None) -> date:
    return min(d for d in (until, as_of) if d)


def _empty_window(since: date | None, until: date | None) -> str:
    window = " ".join(x for x in (since and f"from {since.isoformat()}",
                                  until and f"until {until.isoformat()}") if x)
    return f"No article was published {window}, so {REFUSAL[0].lower()}{REFUSAL[1:]}"


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)
