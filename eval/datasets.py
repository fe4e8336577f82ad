"""Evaluation datasets: a corpus of articles and the questions asked of it.

One record a question (JSONL): ``id``, ``question``, ``answerable``, ``reference`` (the
short right answer), ``gold`` (supporting spans, exact substrings of an article) and
``type``. The adapters of ``eval.realtimeqa`` and ``eval.multihop`` build the same records
from third-party data read by path.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

from qa.sources.articles import LoadFailure, read_sources
from qa.types import Article

HERE = Path(__file__).resolve().parent
SEED_GOLD = HERE / "datasets" / "seed_gold.jsonl"
SEEDS = HERE.parent / "seeds"
TEMPORAL_GOLD = HERE / "datasets" / "temporal_gold.jsonl"
TEMPORAL_CORPUS = HERE / "datasets" / "temporal"


def shared_data() -> Path:
    """Where the third-party data sets are: ``$QA_EVAL_DATA``, else ``../shared/data``
    beside the checkout."""
    return Path(os.environ.get("QA_EVAL_DATA") or HERE.parent.parent / "shared" / "data")


def whole_words(text: str) -> re.Pattern[str]:
    """``text`` as whole words, in any case."""
    return re.compile(rf"(?<!\w){re.escape(text)}(?!\w)", re.I)


class DataMissing(Exception):
    """The dataset's files are not on this machine: the run is skipped, not failed."""


@dataclass
class Question:
    id: str
    question: str
    answerable: bool
    reference: str = ""
    gold: list[str] = field(default_factory=list)
    type: str = "question"
    sources: list[str] | None = None
    """Ids of the articles its gold spans are looked for in (None: the whole corpus)."""
    as_of: date | None = None
    """The day it was asked (RealTimeQA's ``question_date``): the harness asks it as of then."""


@dataclass
class Span:
    article_id: str
    start: int
    end: int


@dataclass
class Dataset:
    name: str
    articles: list[Article]
    questions: list[Question]
    failures: list[LoadFailure] = field(default_factory=list)
    about: str = ""
    gold_whole_words: bool = False
    """Gold spans are answer strings matched as whole words in any case (RealTimeQA), not
    exact substrings."""

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for question in self.questions:
            if question.id in seen:
                raise ValueError(f"{self.name}: question id {question.id!r} is used twice")
            seen.add(question.id)

    @cached_property
    def _texts(self) -> dict[str, str]:
        return {a.id: a.text for a in self.articles}

    def text_of(self, article_id: str) -> str:
        return self._texts.get(article_id, "")

    @cached_property
    def published(self) -> dict[str, date]:
        """Each dated article's publication day, by id."""
        return {a.id: a.published_at for a in self.articles if a.published_at}

    def fingerprint(self) -> dict[str, str]:
        """Hashes of the corpus and of the questions: a run over other data starts afresh."""
        corpus = hashlib.sha256()
        for article in sorted(self.articles, key=lambda a: a.id):
            corpus.update(f"{article.id}\0{article.title}\0{article.text}\0".encode())
        asked = hashlib.sha256()
        for q in self.questions:
            asked.update(json.dumps([q.id, q.question, q.answerable, q.reference, q.gold],
                                    ensure_ascii=False).encode())
        return {"corpus": corpus.hexdigest()[:16], "questions": asked.hexdigest()[:16]}

    def locate(self, question: Question) -> list[Span]:
        """Every place where a gold span of ``question`` occurs, in its own articles when
        it names them, else in the whole corpus."""
        where = (self._texts.items() if question.sources is None else
                 [(i, self._texts[i]) for i in question.sources if i in self._texts])
        found = []
        for text in question.gold:
            if not text.strip():
                continue
            pattern = whole_words(text) if self.gold_whole_words else re.compile(re.escape(text))
            for article_id, haystack in where:
                found += [Span(article_id, m.start(), m.end())
                          for m in pattern.finditer(haystack)]
        return found


def read_questions(path: Path) -> list[Question]:
    """A gold JSONL file; a malformed line is an error naming its line."""
    questions = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            questions.append(Question(
                id=str(row.get("id") or f"{path.stem}-{lineno}"), question=row["question"],
                answerable=bool(row["answerable"]), reference=row.get("reference") or "",
                gold=list(row.get("gold") or []), type=row.get("type") or "question",
                as_of=date.fromisoformat(row["as_of"]) if row.get("as_of") else None))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{lineno}: not a gold record ({exc})") from None
    return questions


def gold_set(path: Path | None = None, corpus: Path | None = None,
             name: str = "seed") -> Dataset:
    """A gold JSONL file over a folder of articles (default: the seed gold set over
    ``seeds/``). Every gold span must occur in the corpus."""
    path, corpus = path or SEED_GOLD, corpus or SEEDS
    for needed in (path, corpus):
        if not needed.exists():
            raise DataMissing(f"{needed} does not exist")
    articles: list[Article] = []
    failures: list[LoadFailure] = []
    for item in read_sources([str(corpus)]):
        if isinstance(item, LoadFailure):
            failures.append(item)
        else:
            articles.append(item)
    dataset = Dataset(name, articles, read_questions(path), failures,
                      about=f"{path.name} over {corpus.name}/")
    for question in dataset.questions:
        missing = [g for g in question.gold if not dataset.locate(Question(
            question.id, "", True, gold=[g]))]
        if missing:
            raise ValueError(f"{question.id}: gold span not in the corpus: {missing[0]!r}")
    return dataset
