"""Calibrate the two thresholds of the answer path on development sets, never one question.

    python -m eval.calibrate [--realtimeqa DIR]

1. The extractive answer threshold. For every development question, the best candidate
   sentence's score; a question counts as answerable-and-found when that sentence holds the
   gold answer. Sets: ``eval/datasets/seed_dev.jsonl`` (45 questions over ``seeds/``, 18 of
   them unanswerable) and, when ``../shared/data`` is present, RealTimeQA: the corpus of its
   first two weeks, their questions whose answer is in that corpus (answerable), and the
   questions of its last two weeks whose answer is not (unanswerable: the articles are from
   months earlier). The threshold maximises the mean of the sets' balanced accuracies.
2. The support threshold, on ``eval/datasets/support_dev.jsonl`` (claim, evidence,
   supported?): the threshold that maximises balanced accuracy.

The chosen values are the defaults of ``QA_ANSWER_THRESHOLD`` and ``QA_SUPPORT_THRESHOLD``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval import realtimeqa
from qa.config import Settings
from qa.engine import QAEngine
from qa.sources.articles import LoadFailure

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GRID = [round(0.30 + 0.02 * i, 2) for i in range(31)]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def balanced_accuracy(scores: Sequence[float], positive: Sequence[bool], threshold: float) -> float:
    pos = [s >= threshold for s, p in zip(scores, positive, strict=True) if p]
    neg = [s < threshold for s, p in zip(scores, positive, strict=True) if not p]
    return (sum(pos) / max(len(pos), 1) + sum(neg) / max(len(neg), 1)) / 2


def best_scores(engine: QAEngine, rows: Sequence[dict[str, object]]) -> tuple[list[float],
                                                                              list[bool]]:
    """Best score per question, and whether it should be answered: only when the question
    is answerable and the first sentence quoted holds a gold answer (a wrong quote is no
    success)."""
    scores, positive = [], []
    for row in rows:
        ranked = engine.explain(str(row["question"]))
        best = ranked[0] if ranked else None
        gold = [str(g).lower() for g in row.get("gold", [])]  # type: ignore[attr-defined]
        right = best is not None and any(g in str(best["text"]).lower() for g in gold)
        scores.append(max(float(s["score"]) for s in ranked) if ranked else 0.0)
        positive.append(bool(row["answerable"]) and right)
    return scores, positive


def realtimeqa_rows(engine: QAEngine, root: Path) -> list[dict[str, object]]:
    weeks = realtimeqa.weeks(root)
    if len(weeks) < 4:
        print(f"RealTimeQA not found at {root}; calibrating on the seed set only")
        return []
    report = engine.ingest_items(realtimeqa.corpus(root, weeks[:2]))
    print(f"RealTimeQA corpus {weeks[0]}–{weeks[1]}: {report.counts()}")
    text = "\n".join(a.text.lower() for a in realtimeqa.corpus(root, weeks[:2])
                     if not isinstance(a, LoadFailure))
    rows: list[dict[str, object]] = []
    for q in realtimeqa.questions(root, weeks[:2]):
        if len(q["reference"]) > 2 and q["reference"].lower() in text:
            rows.append({"question": q["question"], "answerable": True, "gold": [q["reference"]]})
    for q in realtimeqa.questions(root, weeks[-2:]):
        if q["reference"].lower() not in text:
            rows.append({"question": q["question"], "answerable": False})
    return rows


def sweep(name: str, sets: dict[str, tuple[list[float], list[bool]]]) -> float:
    def mean_accuracy(t: float) -> float:
        return sum(balanced_accuracy(s, p, t) for s, p in sets.values()) / len(sets)

    best = max(GRID, key=lambda t: (round(mean_accuracy(t), 4), -abs(t - 0.5)))
    print(f"\n{name}\n  threshold  " + "  ".join(f"{k:>12}" for k in sets) + "        mean")
    for t in GRID:
        cells = "  ".join(f"{balanced_accuracy(s, p, t):12.3f}" for s, p in sets.values())
        print(f"  {t:9.2f}  {cells}  {mean_accuracy(t):10.3f}{'  <- best' if t == best else ''}")
    return best


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m eval.calibrate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--realtimeqa", type=Path, default=None,
                        help="RealTimeQA folder (default: $QA_EVAL_DATA/realtimeqa-2023, or "
                             "../shared/data beside the checkout)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="store to reuse between runs (default: a temporary one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        base = args.data_dir or Path(tmp)
        sets: dict[str, tuple[list[float], list[bool]]] = {}
        seed = QAEngine(Settings(data_dir=base / "seed", answerer="extractive"))
        seed.ingest([str(ROOT / "seeds")])
        sets["seed_dev"] = best_scores(seed, read_jsonl(HERE / "datasets" / "seed_dev.jsonl"))
        news = QAEngine(Settings(data_dir=base / "realtimeqa", answerer="extractive"),
                        embedder=seed.embedder)
        rows = realtimeqa_rows(news, args.realtimeqa or realtimeqa.default_dir())
        if rows:
            sets["realtimeqa"] = best_scores(news, rows)
        for name, (_, positive) in sets.items():
            print(f"{name}: {sum(positive)} to answer, {len(positive) - sum(positive)} to refuse")
        answer_t = sweep("extractive answer threshold (balanced accuracy)", sets)
        pairs = read_jsonl(HERE / "datasets" / "support_dev.jsonl")
        support = [seed.support(str(p["claim"]), str(p["evidence"])) for p in pairs]
        labels = [bool(p["supported"]) for p in pairs]
        support_t = sweep("support threshold (balanced accuracy)",
                          {"support_dev": (support, labels)})
    print(f"\nchosen: QA_ANSWER_THRESHOLD={answer_t}  QA_SUPPORT_THRESHOLD={support_t}")


if __name__ == "__main__":
    main()
