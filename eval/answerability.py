"""Who should decide whether the articles answer: the score threshold or the model's reading.

    python -m eval.answerability [--realtimeqa DIR] [--data-dir DIR] [--report DIR] [--rescore]
                                 [--candidates N]

For every question of the development sets, the extractive scorer's best sentence score and
the local model's P(none) (``qa.answer.answerability``: asked which of the best sentences
gives the answer, or none), through ``QAEngine.answerability``. A question counts as
answerable as its set labels it. Three ways of deciding are scored: the score threshold
(``QA_ANSWER_THRESHOLD``), the model alone, and the rule as shipped (the model asked only
where the score is unsure, ``ASK_BETWEEN``). The P(none) threshold is the one that maximises
the shipped rule's mean balanced accuracy over the calibration sets (``seed_dev`` and, when
``../shared/data`` is present, RealTimeQA's rows of ``eval.calibrate``); ``seed_gold`` is
held out. Needs a local model (``articleqa model install``); writes
``eval/reports/answerability/``; ``--rescore`` scores its saved questions again;
``--candidates`` shows the model that many sentences instead of the shipped ``CANDIDATES``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eval import realtimeqa
from eval.calibrate import HERE, ROOT, balanced_accuracy, read_jsonl, realtimeqa_rows
from qa.answer.answerability import ASK_BETWEEN, CANDIDATES
from qa.config import Settings
from qa.engine import QAEngine

REPORT = HERE / "reports" / "answerability"
GRID = [round(0.01 * i, 2) for i in range(2, 61)]
Row = dict[str, Any]


def auc(scores: list[float], positive: list[bool]) -> float:
    """The probability that an answerable question scores above an unanswerable one."""
    pos = [s for s, p in zip(scores, positive, strict=True) if p]
    neg = [s for s, p in zip(scores, positive, strict=True) if not p]
    pairs = [(1.0 if a > b else 0.5 if a == b else 0.0) for a in pos for b in neg]
    return sum(pairs) / len(pairs) if pairs else float("nan")


def measure(engine: QAEngine, rows: list[dict[str, object]], candidates: int) -> list[Row]:
    if engine.quoter.judge is not None:
        engine.quoter.judge.candidates = candidates
    out = []
    for row in rows:
        best, none = engine.answerability(str(row["question"]))
        out.append({"question": row["question"], "answerable": bool(row["answerable"]),
                    "best": round(best, 4), "none": 1.0 if none is None else round(none, 4)})
    return out


def measure_all(settings: Settings, args: argparse.Namespace
                ) -> tuple[dict[str, list[Row]], list[str], str | None]:
    with tempfile.TemporaryDirectory() as tmp:
        base = args.data_dir or Path(tmp)
        seed = QAEngine(settings.model_copy(update={"data_dir": base / "seed"}))
        if not seed.count_articles():
            seed.ingest([str(ROOT / "seeds")])
        shown = args.candidates
        sets = {"seed_dev": measure(seed, read_jsonl(HERE / "datasets" / "seed_dev.jsonl"),
                                    shown)}
        news = QAEngine(settings.model_copy(update={"data_dir": base / "realtimeqa"}),
                        embedder=seed.embedder)
        rows = realtimeqa_rows(news, args.realtimeqa or realtimeqa.default_dir())
        if rows:
            sets["realtimeqa"] = measure(news, rows, shown)
        calibration = list(sets)
        sets["seed_gold"] = measure(seed, read_jsonl(HERE / "datasets" / "seed_gold.jsonl"),
                                    shown)
    return sets, calibration, seed.answerer.model_name


def decisions(none_t: float, score_t: float) -> dict[str, Callable[[Row], bool]]:
    """Each way of deciding: whether a question's record is answered."""
    low, high = ASK_BETWEEN
    return {
        "score": lambda r: bool(r["best"] >= score_t),
        "model": lambda r: bool(r["none"] < none_t),
        "shipped": lambda r: bool(r["best"] >= high or (r["best"] >= low
                                                        and r["none"] < none_t)),
    }


def summary(rows: list[Row], none_t: float, score_t: float) -> dict[str, Any]:
    positive = [bool(r["answerable"]) for r in rows]
    out: dict[str, Any] = {"questions": len(rows), "answerable": sum(positive)}
    for name, decide in decisions(none_t, score_t).items():
        answered = [1.0 if decide(r) else 0.0 for r in rows]
        out[f"{name}_balanced"] = round(balanced_accuracy(answered, positive, 0.5), 3)
    out["score_auc"] = round(auc([float(r["best"]) for r in rows], positive), 3)
    out["model_auc"] = round(auc([1 - float(r["none"]) for r in rows], positive), 3)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m eval.answerability", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--realtimeqa", type=Path, default=None)
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="stores to reuse between runs (default: temporary ones)")
    parser.add_argument("--report", type=Path, default=REPORT)
    parser.add_argument("--rescore", action="store_true",
                        help="score again the questions saved in the report's report.json")
    parser.add_argument("--candidates", type=int, default=CANDIDATES,
                        help=f"sentences the model is shown (default {CANDIDATES}, as shipped)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    settings = Settings(answerer="local", answerability="model")
    if args.rescore:
        kept = json.loads((args.report / "report.json").read_text())
        sets, calibration, model = kept["questions"], kept["calibration"], kept["model"]
        seconds = float(kept.get("seconds", 0))
        args.candidates = int(kept.get("candidates", CANDIDATES))
    else:
        sets, calibration, model = measure_all(settings, args)
        seconds = time.perf_counter() - started
    score_t = settings.answer_threshold

    def mean_accuracy(t: float) -> float:
        return sum(float(summary(sets[n], t, score_t)["shipped_balanced"])
                   for n in calibration) / len(calibration)

    chosen = max(GRID, key=lambda t: (mean_accuracy(t), -t))
    results = {name: summary(rows, chosen, score_t) for name, rows in sets.items()}
    took = f"Measured in {seconds:.0f} s." if seconds else ""
    lines = [
        "# Who decides to answer: the score threshold or the model's reading", "",
        f"Model: {model}, shown {args.candidates} sentences. P(none) threshold chosen on "
        f"{', '.join(calibration)}: {chosen} "
        f"(grid {GRID[0]}–{GRID[-1]}); score threshold {score_t}. \"shipped\" asks the model "
        f"only for best scores from {ASK_BETWEEN[0]} to {ASK_BETWEEN[1]} "
        "(`qa/answer/answerability.py`); \"model\" asks it for every question. "
        f"{took}", "",
        "| set | questions (answerable) | balanced accuracy: score | model | shipped | "
        "AUC: score | model |", "|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        role = "calibration" if name in calibration else "held out"
        lines.append(f"| {name} ({role}) | {r['questions']} ({r['answerable']}) | "
                     f"{r['score_balanced']} | {r['model_balanced']} | "
                     f"{r['shipped_balanced']} | {r['score_auc']} | {r['model_auc']} |")
    lines += ["", "The shipped rule's balanced accuracy by P(none) threshold:", "",
              "| P(none) threshold | " + " | ".join(calibration) + " | mean |",
              "|---|" + "---|" * (len(calibration) + 1)]
    for t in GRID[::2]:
        cells = " | ".join(str(summary(sets[n], t, score_t)["shipped_balanced"])
                           for n in calibration)
        lines.append(f"| {t} | {cells} | {mean_accuracy(t):.3f} |")
    args.report.mkdir(parents=True, exist_ok=True)
    (args.report / "report.md").write_text("\n".join(lines) + "\n")
    (args.report / "report.json").write_text(json.dumps(
        {"model": model, "chosen": chosen, "calibration": calibration, "results": results,
         "seconds": round(seconds), "candidates": args.candidates, "questions": sets},
        indent=1) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
