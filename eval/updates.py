"""Reports that differ, on real news: RealTimeQA stories whose figures were revised.

    python -m eval.updates [--path DIR] [--report DIR] [--answerer extractive|local|llm]

Each labelled case of ``eval/labelled/updates/realtimeqa.jsonl`` names a question, the day
it is asked as of, and the RealTimeQA articles of one evolving story by URL (their text is
read from the data, never kept here; some were published after that day, and some are
other news of the same days): the figures the newest report up to that day gives
(``latest``), those earlier reports gave (``earlier``) and those only later reports give
(``after``), as ``qa.text.numbers.figures`` writes them. Each case is asked of a store holding
only its story's articles, and scored:

- *latest first*: the answer's first sentence gives a ``latest`` figure;
- *latest named*: ``Answer.differs`` names a ``latest`` figure as the latest;
- *earlier shown*: the answer gives an ``earlier`` figure too;
- *wrong listed*: figures ``differs`` lists as earlier reports that are none of the story's
  labelled figures (another event's count, a forecast, a second number of the sentence);
- *after as_of*: a figure only later reports give, or a cited article published after the
  day (must be none).

The labelled cases of our own (``eval/datasets/updates.jsonl``, also asked by
``tests/test_reports.py``) are asked and scored the same way; for those asking "when", the
values are the dates their sentences name (``qa.answer.reports.given``). Writes
``eval/reports/updates/report.{md,json}``; without the RealTimeQA data its cases are left
out with a message.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from eval.calibrate import read_jsonl
from eval.realtimeqa import corpus, default_dir, weeks
from qa.answer.kinds import answer_kind
from qa.answer.reports import given
from qa.config import Settings
from qa.engine import QAEngine
from qa.sources.articles import canonical_url, make_article
from qa.text.numbers import figures
from qa.types import Answer, AnswerSentence, Article

HERE = Path(__file__).resolve().parent
LABELS = HERE / "labelled" / "updates" / "realtimeqa.jsonl"
OWN = HERE / "datasets" / "updates.jsonl"
REPORT = HERE / "reports" / "updates"
Case = dict[str, Any]


def own_cases() -> list[tuple[Case, list[Article]]]:
    """Our own cases, in the labelled file's terms (no figures after a day: asked without)."""
    out = []
    for case in read_jsonl(OWN):
        articles = [make_article(url=f"https://news.example/{case['id']}/{i}", **a)
                    for i, a in enumerate(case["articles"])]
        out.append(({**case, "latest": [case["latest"]], "after": [], "as_of": None}, articles))
    return out


def realtimeqa_cases(root: Path) -> list[tuple[Case, list[Article]]]:
    """The labelled RealTimeQA cases with their articles, read from the data by URL."""
    cases = read_jsonl(LABELS)
    wanted = {canonical_url(url) for case in cases for url in case["urls"]}
    found = {a.url: a for a in corpus(root, weeks(root))
             if isinstance(a, Article) and a.url in wanted}
    missing = sorted(wanted - set(found))
    if missing:
        raise SystemExit(f"eval.updates: {len(missing)} labelled URLs are not in {root}: "
                         f"{missing[0]} …")
    return [(case, [found[canonical_url(url)] for url in case["urls"]]) for case in cases]


def asks_date(answer: Answer) -> bool:
    return answer_kind(answer.question) == "date"


def listed(answer: Answer) -> list[set[str]]:
    """The values of each report ``differs`` names, the latest first: each part reads
    "93 (outlet, 12 August 2023) [1]", the figures (or, for a date question, the dates
    "26 October 2023 / 12 October 2023") before the outlet and date."""
    if not answer.differs:
        return []
    parts = [p.split("(")[0] for p in answer.differs.removeprefix("Reports differ: ").split(";")]
    if asks_date(answer):
        return [{v.strip() for v in part.split(" / ")} for part in parts]
    return [figures(part) for part in parts]


def shown(answer: Answer, sentence: AnswerSentence) -> set[str]:
    """What a shown sentence gives: its figures, or for a date question the dates it names
    read in the year of the latest report it cites (``reports.given``)."""
    if not asks_date(answer):
        return figures(sentence.text)
    days = {c.id: c.published_at or "" for c in answer.citations}
    return given(answer.question, sentence.text,
                 max((days.get(i, "") for i in sentence.citations), default="") or None)


def _order(value: str) -> tuple[int, float, str]:
    """Figures by size, then dates as written."""
    try:
        return 0, float(value), ""
    except ValueError:
        return 1, 0.0, value


def as_of(case: Case) -> date | None:
    """The day ``case`` is asked as of (our own cases: none)."""
    return date.fromisoformat(case["as_of"]) if case.get("as_of") else None


def score(case: Case, answer: Answer) -> dict[str, Any]:
    latest, earlier, after = set(case["latest"]), set(case["earlier"]), set(case["after"])
    values = [] if answer.refused else [shown(answer, s) for s in answer.sentences]
    first = values[0] if values else set()
    gave = set().union(*values)
    reports = listed(answer)
    labelled = latest | earlier
    wrong = sorted({n for part in reports[1:] for n in part - labelled}, key=_order)
    day = as_of(case)
    late = [c.article_id for c in answer.citations
            if day and c.published_at and date.fromisoformat(c.published_at[:10]) > day]
    return {
        "id": case["id"], "question": case["question"], "as_of": case.get("as_of"),
        "refused": answer.refused,
        "latest_first": bool(first & latest),
        "latest_named": bool(reports and reports[0] & latest
                             and "the latest" in (answer.differs or "").split(";")[0]),
        "earlier_expected": bool(earlier),
        "earlier_shown": bool(gave & earlier) if earlier else None,
        "wrong_listed": wrong,
        "after_as_of": sorted(gave & after - labelled, key=_order) + late,
        "answer": answer.answer, "differs": answer.differs,
    }


def ask_all(cases: Iterable[tuple[Case, list[Article]]],
            settings: Settings) -> list[dict[str, Any]]:
    rows = []
    for case, articles in cases:
        with tempfile.TemporaryDirectory() as tmp:
            engine = QAEngine(settings.model_copy(update={"data_dir": Path(tmp)}))
            try:
                engine.ingest_articles(articles)
                answer = engine.ask(case["question"], as_of=as_of(case))
                rows.append(score(case, answer))
            finally:
                engine.close()
    return rows


def totals(rows: list[dict[str, Any]]) -> dict[str, str]:
    n = len(rows)
    expected = [r for r in rows if r["earlier_expected"]]
    return {
        "cases": str(n),
        "latest first": f"{sum(r['latest_first'] for r in rows)} of {n}",
        "latest named": f"{sum(r['latest_named'] for r in expected)} of {len(expected)}",
        "earlier shown": f"{sum(bool(r['earlier_shown']) for r in expected)} of {len(expected)}",
        "cases listing a wrong figure": f"{sum(bool(r['wrong_listed']) for r in rows)} of {n}",
        "after as_of used": f"{sum(bool(r['after_as_of']) for r in rows)} of {n}",
    }


def markdown(results: dict[str, list[dict[str, Any]]], answerer: str, seconds: float) -> str:
    lines = ["# Reports that differ: labelled cases", "",
             f"Answerer: {answerer}. Each case asked of a store holding only its story's "
             f"articles (`python -m eval.updates`). Measured in {seconds:.0f} s.", ""]
    for name, rows in results.items():
        lines += [f"## {name}", "", "| | |", "|---|---|",
                  *(f"| {k} | {v} |" for k, v in totals(rows).items()), "",
                  "| case | as of | latest first | latest named | earlier shown | wrong listed "
                  "| after as_of |", "|---|---|---|---|---|---|---|"]
        for r in rows:
            shown = "–" if r["earlier_shown"] is None else ("yes" if r["earlier_shown"] else "no")
            lines.append(
                f"| {r['id']} | {r['as_of'] or '–'} | {'yes' if r['latest_first'] else 'no'} | "
                f"{'yes' if r['latest_named'] else ('–' if not r['earlier_expected'] else 'no')} "
                f"| {shown} | {', '.join(r['wrong_listed']) or '–'} | "
                f"{', '.join(r['after_as_of']) or '–'} |")
        lines += ["", "Answers:", ""]
        for r in rows:
            text = r["answer"].replace("\n", " ")
            lines.append(f"- **{r['id']}** ({r['question']}): {text}")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m eval.updates", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--path", type=Path, default=None, help="the realtimeqa-2023 folder")
    parser.add_argument("--report", type=Path, default=REPORT)
    parser.add_argument("--answerer", default="extractive",
                        choices=["extractive", "local", "llm"])
    args = parser.parse_args(argv)
    started = time.perf_counter()
    settings = Settings(answerer=args.answerer)
    results = {"our own cases (eval/datasets/updates.jsonl)": ask_all(own_cases(), settings)}
    root = args.path or default_dir()
    if weeks(root):
        results["RealTimeQA stories (eval/labelled/updates/realtimeqa.jsonl)"] = ask_all(
            realtimeqa_cases(root), settings)
    else:
        print(f"eval.updates: no RealTimeQA data in {root}: its cases are left out")
    seconds = time.perf_counter() - started
    args.report.mkdir(parents=True, exist_ok=True)
    (args.report / "report.json").write_text(json.dumps(
        {"answerer": args.answerer, "seconds": round(seconds, 1),
         "totals": {k: totals(v) for k, v in results.items()}, "cases": results}, indent=2))
    text = markdown(results, args.answerer, seconds)
    (args.report / "report.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
