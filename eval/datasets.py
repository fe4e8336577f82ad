"""Evaluation datasets: a corpus of articles and the questions asked of it.

One record a question (JSONL): ``id``, ``question``, ``answerable``, ``reference`` (the
short right answer), ``gold`` (supporting spans, exact substrings of an article) and
``type``. The adapters of ``eval.realtimeqa`` and ``eval.multihop`` build the same records
from third-party data read by path.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from qa.articles import LoadFailure, read_sources
from qa.models import Article

HERE = Path(__file__).resolve().parent
SEED_GOLD = HERE / "datasets" / "seed_gold.jsonl"
SEEDS = HERE.parent / "seeds"


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
    gold_case_sensitive: bool = True

    @cached_property
    def _texts(self) -> dict[str, str]:
        """Article texts by id, lower-cased when gold spans are matched regardless of case
        (lower-casing keeps offsets for the texts here; checked in ``locate``)."""
        return {a.id: a.text if self.gold_case_sensitive else a.text.lower()
                for a in self.articles}

    def text_of(self, article_id: str) -> str:
        return self._original.get(article_id, "")

    @cached_property
    def _original(self) -> dict[str, str]:
        return {a.id: a.text for a in self.articles}

    def locate(self, question: Question) -> list[Span]:
        """Every place in the corpus where a gold span of ``question`` occurs."""
        found = []
        for text in question.gold:
            needle = text if self.gold_case_sensitive else text.lower()
            if not needle.strip():
                continue
            pattern = re.compile(re.escape(needle))
            for article_id, haystack in self._texts.items():
                if len(haystack) != len(self._original[article_id]):
                    continue  # lower-casing changed the length: offsets would not hold
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
                gold=list(row.get("gold") or []), type=row.get("type") or "question"))
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
