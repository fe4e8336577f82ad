"""RealTimeQA 2023 (``../shared/data/realtimeqa-2023``): weekly news quizzes with the search
results of their week. Read by path, never copied into the repository; absent data gives
an empty result and a message, never an error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from eval.datasets import DataMissing, Dataset, Question
from qa.articles import LoadFailure, make_article
from qa.errors import ArticleParseError
from qa.models import Article

DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "realtimeqa-2023"


def weeks(root: Path) -> list[str]:
    """The weeks present, as ``YYYYMMDD``, oldest first."""
    return sorted(p.name.split("_")[0] for p in root.glob("*_qa.jsonl")) if root.is_dir() else []


def corpus(root: Path, chosen: list[str]) -> Iterator[Article | LoadFailure]:
    """The search results of the chosen weeks, de-duplicated by URL, with publish dates."""
    seen: set[str] = set()
    for week in chosen:
        for line in (root / f"{week}_gcs.jsonl").read_text().splitlines():
            for result in json.loads(line).get("search_result", []):
                url = result.get("url")
                if not url or url in seen:
                    continue
                seen.add(url)
                try:
                    yield make_article(
                        title=result.get("title") or "", text=result.get("text") or "", url=url,
                        published_at=result.get("publish_date") or None,
                        authors=result.get("authors"),
                    )
                except ArticleParseError as exc:
                    yield LoadFailure(url, str(exc))


def questions(root: Path, chosen: list[str]) -> list[dict[str, str]]:
    """Each question with its right choice's text as the reference answer."""
    out = []
    for week in chosen:
        for line in (root / f"{week}_qa.jsonl").read_text().splitlines():
            row = json.loads(line)
            out.append({"id": row["question_id"], "question": row["question_sentence"],
                        "reference": row["choices"][int(row["answer"][0])], "week": week})
    return out


DEFAULT_WEEKS = ["20230106", "20230203", "20230303", "20230407", "20230505", "20230602",
                 "20230707", "20230804", "20230901"]
"""The default subset: the first quiz week of each month, January to September 2023."""


def dataset(root: Path = DEFAULT_DIR, chosen: list[str] | None = None,
            limit: int | None = None) -> Dataset:
    """The chosen weeks' search results as the corpus. Answerable questions: those weeks'
    questions whose right choice occurs in the corpus (gold = its occurrences). Refusal
    cases: the questions of the week after each chosen week (news the corpus predates)
    whose right choice occurs nowhere in it. Other questions are left out: their answer may
    be in the corpus in other words, so neither right nor refusal can be scored."""
    if root.is_file():  # one week's *_qa.jsonl (or *_gcs.jsonl): that week
        root, chosen = root.parent, [root.name.split("_")[0]]
    available = weeks(root)
    if not available:
        raise DataMissing(f"no RealTimeQA weeks (*_qa.jsonl) in {root}; see "
                          "../shared/data/README.md")
    chosen = chosen or [w for w in DEFAULT_WEEKS if w in available]
    unknown = sorted(set(chosen) - set(available))
    if unknown:
        raise ValueError(f"no RealTimeQA week {', '.join(unknown)} in {root}")
    articles, failures = [], []
    for item in corpus(root, chosen):
        if isinstance(item, LoadFailure):
            failures.append(item)
        else:
            articles.append(item)
    text = "\n".join(a.text.lower() for a in articles)
    later = [available[available.index(w) + 1] for w in chosen
             if available.index(w) + 1 < len(available)]
    asked: list[Question] = []
    for row in questions(root, chosen):
        if row["reference"].lower() in text:
            asked.append(Question(row["id"], row["question"], True, row["reference"],
                                  [row["reference"]], "in_corpus"))
    for row in questions(root, sorted(set(later) - set(chosen))):
        if row["reference"].lower() not in text:
            asked.append(Question(row["id"], row["question"], False, row["reference"], [],
                                  "after_corpus"))
    if limit:
        asked = asked[:limit]
    return Dataset("realtimeqa", articles, asked, failures, gold_case_sensitive=False,
                   about=f"RealTimeQA 2023 weeks {', '.join(chosen)}: {len(articles)} "
                         f"articles; refusal cases from weeks {', '.join(later) or 'none'}")
