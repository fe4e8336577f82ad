"""How often the local model's verdict on a yes-or-no question across articles is right.

    python -m eval.verdicts [--path queries.jsonl] [--data-dir DIR] [--report DIR] [--rescore]

For every MultiHop-RAG question answered "Yes" or "No" that the answerer treats as a
yes-or-no question about what reports say (``qa.answer.polar``), the local model's P(yes)
over the shortlisted evidence, through ``QAEngine.verdict_probability``. For each bound
``QA_VERDICT_FROM`` of a grid, the verdicts it would give ("Yes" at P(yes) >= the bound, "No"
at <= 1 minus it) are counted right, wrong or withheld; the even-numbered questions are
the calibration half, the odd-numbered the check. Needs a local model that judges
(``articleqa model install``) and ``../shared/data``; writes ``eval/reports/verdicts/``;
``--rescore`` scores its saved probabilities again.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from eval import multihop
from eval.answerability import auc
from eval.calibrate import HERE
from eval.metrics import VERDICTS
from qa.answer.polar import verdict
from qa.config import Settings
from qa.engine import QAEngine

REPORT = HERE / "reports" / "verdicts"
GRID = (0.5, 0.55, 0.6, 0.62, 0.65, 0.68, 0.7, 0.75)
Row = dict[str, Any]


def measure(settings: Settings, path: Path | None, data_dir: Path | None) -> list[Row]:
    data = multihop.dataset(path)
    with tempfile.TemporaryDirectory() as tmp:
        engine = QAEngine(settings.model_copy(update={"data_dir": data_dir or Path(tmp)}))
        engine.ingest_articles(data.articles)
        rows = []
        for question in data.questions:
            reference = question.reference.strip().lower()
            if reference not in VERDICTS:
                continue
            p_yes = engine.verdict_probability(question.question)
            rows.append({"id": question.id, "type": question.type, "reference": reference,
                         "p_yes": None if p_yes is None else round(p_yes, 4)})
    return rows


def tally(rows: list[Row], bound: float) -> dict[str, int]:
    out = {"right": 0, "wrong": 0, "withheld": 0}
    for row in rows:
        p = row["p_yes"]
        said = None if p is None else verdict(p, (1 - bound, bound))
        out["withheld" if said is None else "right" if said.lower() == row["reference"]
            else "wrong"] += 1
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m eval.verdicts", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--path", type=Path, default=None, help="MultiHop-RAG queries.jsonl")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="a store to reuse between runs (default: a temporary one)")
    parser.add_argument("--report", type=Path, default=REPORT)
    parser.add_argument("--rescore", action="store_true")
    args = parser.parse_args(argv)
    settings = Settings(answerer="local", answerability="model")
    started = time.perf_counter()
    if args.rescore:
        kept = json.loads((args.report / "report.json").read_text())
        rows, seconds = kept["questions"], float(kept["seconds"])
    else:
        rows = measure(settings, args.path, args.data_dir)
        seconds = time.perf_counter() - started
    judged = [r for r in rows if r["p_yes"] is not None]
    halves = {"calibration (even ids)": [r for r in judged if int(r["id"][3:]) % 2 == 0],
              "check (odd ids)": [r for r in judged if int(r["id"][3:]) % 2 == 1],
              "all": judged}
    yes_share = sum(r["reference"] == "yes" for r in judged) / max(1, len(judged))
    area = auc([r["p_yes"] for r in judged], [r["reference"] == "yes" for r in judged])
    lines = [
        "# The local model's verdict on yes-or-no questions across articles", "",
        f"MultiHop-RAG questions answered Yes or No: {len(rows)}; treated as yes-or-no "
        f"questions about what reports say (so given a P(yes)): {len(judged)}, of which "
        f"{yes_share:.2f} are \"Yes\" (always saying yes would be right that often). "
        f"AUC of P(yes): {area:.3f}. "
        f"Shipped bound `QA_VERDICT_FROM` = {settings.verdict_from}. Measured in "
        f"{seconds:.0f} s.", "",
        "| bound | " + " | ".join(f"{h}: right / wrong / withheld (share right)"
                                   for h in halves) + " |",
        "|---|" + "---|" * len(halves)]
    for bound in GRID:
        cells = []
        for group in halves.values():
            t = tally(group, bound)
            shown = t["right"] + t["wrong"]
            share = f"{t['right'] / shown:.2f}" if shown else "n/a"
            cells.append(f"{t['right']} / {t['wrong']} / {t['withheld']} ({share})")
        lines.append(f"| {bound} | " + " | ".join(cells) + " |")
    args.report.mkdir(parents=True, exist_ok=True)
    (args.report / "report.md").write_text("\n".join(lines) + "\n")
    (args.report / "report.json").write_text(json.dumps(
        {"seconds": round(seconds), "questions": rows}, indent=1) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
