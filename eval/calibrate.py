"""Calibrate the two thresholds of the answer path on development sets, never one question.

    python -m eval.calibrate

1. The extractive answer threshold, on ``eval/datasets/seed_dev.jsonl`` (questions over
   ``seeds/``, answerable or not): for every question, the best candidate's score; the
   threshold that maximises balanced accuracy (answerable questions answered from a gold
   sentence, unanswerable ones refused).
2. The support threshold, on ``eval/datasets/support_dev.jsonl`` (claim, evidence,
   supported?): the threshold that maximises balanced accuracy of supported vs not.

It prints both sweeps; the chosen values live in ``qa/extractive.py`` and ``qa/support.py``.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from qa.config import Settings
from qa.engine import QAEngine

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def read_jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def balanced_accuracy(scores: Sequence[float], positive: Sequence[bool], threshold: float) -> float:
    pos = [s >= threshold for s, p in zip(scores, positive, strict=True) if p]
    neg = [s < threshold for s, p in zip(scores, positive, strict=True) if not p]
    return (sum(pos) / max(len(pos), 1) + sum(neg) / max(len(neg), 1)) / 2


def sweep(name: str, scores: Sequence[float], positive: Sequence[bool],
          grid: Sequence[float]) -> float:
    best = max(grid, key=lambda t: (balanced_accuracy(scores, positive, t), -abs(t - 0.5)))
    print(f"\n{name}: threshold  balanced accuracy")
    for t in grid:
        mark = "  <- best" if t == best else ""
        print(f"  {t:.2f}  {balanced_accuracy(scores, positive, t):.3f}{mark}")
    return best


def answer_scores(engine: QAEngine, rows: list[dict[str, object]]) -> tuple[list[float],
                                                                              list[bool]]:
    """Best score per question; an answerable question counts as positive only when the
    best sentence is a gold one (answering from the wrong sentence is no success)."""
    scores, positive = [], []
    for row in rows:
        ranked = engine.explain(str(row["question"]))
        best = ranked[0] if ranked else None
        gold = [str(g) for g in row.get("gold", [])]  # type: ignore[attr-defined]
        right = best is not None and any(g in best["text"] for g in gold)
        scores.append(best["score"] if best else 0.0)
        positive.append(bool(row["answerable"]) and right)
        if row["answerable"] and not right:
            print(f"  wrong sentence for: {row['question']}")
    return scores, positive


def main(argv: Sequence[str] | None = None, out: Callable[[str], None] = print) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = QAEngine(Settings(data_dir=Path(tmp), answerer="extractive"))
        engine.ingest([str(ROOT / "seeds")])
        rows = read_jsonl(HERE / "datasets" / "seed_dev.jsonl")
        scores, positive = answer_scores(engine, rows)
        grid = [round(0.30 + 0.02 * i, 2) for i in range(31)]
        answer_t = sweep("extractive answer threshold", scores, positive, grid)
        pairs = read_jsonl(HERE / "datasets" / "support_dev.jsonl")
        support = [engine.support(str(p["claim"]), str(p["evidence"])) for p in pairs]
        labels = [bool(p["supported"]) for p in pairs]
        support_t = sweep("support threshold", support, labels, grid)
    out(f"\nchosen: ANSWER_THRESHOLD={answer_t}  SUPPORTED={support_t}")


if __name__ == "__main__":
    main()
