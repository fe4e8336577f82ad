"""RealTimeQA 2023 (``../shared/data/realtimeqa-2023``): weekly news quizzes with the search
results of their week. Read by path, never copied into the repository; absent data gives
an empty result and a message, never an error."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from eval.datasets import DataMissing, Dataset, Question, shared_data, whole_words
from qa.errors import ArticleParseError
from qa.sources.articles import LoadFailure, canonical_url, make_article
from qa.types import Article


def default_dir() -> Path:
    return shared_data() / "realtimeqa-2023"


def weeks(root: Path) -> list[str]:
    """The weeks present, as ``YYYYMMDD``, oldest first."""
    return sorted(p.name.split("_")[0] for p in root.glob("*_qa.jsonl")) if root.is_dir() else []


def _results(root: Path, chosen: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(question_id, search result) of the chosen weeks, in file order."""
    for week in chosen:
        for line in (root / f"{week}_gcs.jsonl").read_text().splitlines():
            row = json.loads(line)
            for result in row.get("search_result") or []:
                if result.get("url"):
                    yield f"{week}:{row.get('question_id')}", result


def corpus(root: Path, chosen: list[str]) -> Iterator[Article | LoadFailure]:
    """The search results of the chosen weeks, de-duplicated by URL (the longest text of a
    URL seen more than once: some copies are empty), with publish dates."""
    best: dict[str, dict[str, Any]] = {}
    for _, result in _results(root, chosen):
        kept = best.get(result["url"])
        if kept is None or len(result.get("text") or "") > len(kept.get("text") or ""):
            best[result["url"]] = result
    for url, result in best.items():
        try:
            yield make_article(
                title=result.get("title") or "", text=result.get("text") or "", url=url,
                published_at=result.get("publish_date") or None, authors=result.get("authors"))
        except ArticleParseError as exc:
            yield LoadFailure(url, str(exc))


def questions(root: Path, chosen: list[str]) -> list[dict[str, Any]]:
    """Each question with its right choice's text as the reference answer; ``id`` is
    ``WEEK-LINE`` (the files repeat some ``question_id`` values)."""
    out = []
    for week in chosen:
        for line_number, line in enumerate((root / f"{week}_qa.jsonl").read_text().splitlines()):
            row = json.loads(line)
            out.append({"id": f"{week}-{line_number:02d}", "question": row["question_sentence"],
                        "reference": row["choices"][int(row["answer"][0])], "week": week,
                        "key": f"{week}:{row['question_id']}", "as_of": _day(row)})
    return out


def _day(row: dict[str, Any]) -> date | None:
    """The quiz's ``question_date`` ("2023/01/05"), when it has a valid one."""
    try:
        return date.fromisoformat(str(row.get("question_date", "")).replace("/", "-"))
    except ValueError:
        return None


DEFAULT_WEEKS = ["20230120", "20230203", "20230303", "20230407", "20230505", "20230602",
                 "20230707", "20230804", "20230901"]
"""The default subset: the first quiz week of each month, January to September 2023, except
in January, whose first two weeks calibrated ``QA_ANSWER_THRESHOLD`` (the third instead)."""
_UNLOCATABLE = {"true", "false", "yes", "no", "none of the above"}


def locatable(reference: str) -> bool:
    """Whether an answer can be found in text by its words: not a bare number, true/false,
    or a word too short to tell from others."""
    text = reference.strip().lower()
    return len(text) >= 3 and bool(re.search(r"[a-z]", text)) and text not in _UNLOCATABLE


def _mentions(reference: str, text: str) -> bool:
    return bool(whole_words(reference).search(text))


def dataset(root: Path | None = None, chosen: list[str] | None = None,
            limit: int | None = None) -> Dataset:
    """The chosen weeks' search results as the corpus. Answerable: those weeks' questions
    whose right choice occurs, as whole words, in the question's own search results (the
    gold spans: those occurrences). Refusal cases: the questions of the week after each
    chosen week (news the corpus predates) whose right choice occurs nowhere in it. Left
    out: questions whose answer cannot be told apart in text (numbers, true/false), and
    those whose answer may be in the corpus in other words, so that neither a right answer
    nor a refusal can be scored."""
    root = root or default_dir()
    if root.is_file():  # one week's *_qa.jsonl (or *_gcs.jsonl): that week
        root, chosen = root.parent, [root.name.split("_")[0]]
    available = weeks(root)
    if not available:
        raise DataMissing(f"no RealTimeQA weeks (*_qa.jsonl) in {root}; see "
                          "../shared/data/README.md")
    chosen = chosen or [w for w in DEFAULT_WEEKS if w in available] or available
    unknown = sorted(set(chosen) - set(available))
    if unknown:
        raise ValueError(f"no RealTimeQA week {', '.join(unknown)} in {root}")
    articles: list[Article] = []
    failures: list[LoadFailure] = []
    for item in corpus(root, chosen):
        if isinstance(item, Article):
            articles.append(item)
        else:
            failures.append(item)
    by_url = {a.url: a.id for a in articles}
    sources: dict[str, list[str]] = {}
    for key, result in _results(root, chosen):
        article_id = by_url.get(canonical_url(result["url"]))
        if article_id and article_id not in sources.setdefault(key, []):
            sources[key].append(article_id)
    texts = {a.id: a.text for a in articles}
    asked: list[Question] = []
    for row in questions(root, chosen):
        own = sources.get(row["key"], [])
        if locatable(row["reference"]) and any(_mentions(row["reference"], texts[i])
                                               for i in own):
            asked.append(Question(row["id"], row["question"], True, row["reference"],
                                  [row["reference"]], "in_corpus", sources=own,
                                  as_of=row["as_of"]))
    later = [available[available.index(w) + 1] for w in chosen
             if available.index(w) + 1 < len(available)]
    everything = "\n".join(texts.values())
    for row in questions(root, sorted(set(later) - set(chosen))):
        if locatable(row["reference"]) and not _mentions(row["reference"], everything):
            asked.append(Question(row["id"], row["question"], False, row["reference"], [],
                                  "after_corpus", as_of=row["as_of"]))
    if limit:
        asked = asked[:limit]
    refusals = ", ".join(sorted(set(later) - set(chosen))) or "none (every later week is chosen)"
    return Dataset("realtimeqa", articles, asked, failures, gold_whole_words=True,
                   about=f"RealTimeQA 2023 weeks {', '.join(chosen)}: {len(articles)} "
                         f"articles; refusal cases from weeks {refusals}")
