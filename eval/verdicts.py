"""How often the local model's verdict on a yes-or-no question across articles is right.

    python -m eval.verdicts [--path queries.jsonl] [--data-dir DIR] [--report DIR] [--rescore]

For every MultiHop-RAG question answered "Yes" or "No" that the answerer treats as a
yes-or-no question about what reports say (``qa.answer.polar``), the local model's P(yes)
over the shortlisted evidence, through ``QAEngine.verdict_probability`` (for a compound
question, "… while …", the least of its claims'). For each bound of a grid the verdicts it
would give are counted right, wrong or withheld: for a question asked whole,
``QA_VERDICT_FROM`` ("Yes" at P(yes) >= the bound, "No" at <= 1 minus it); for a compound
question, ``CLAIMS_FROM`` ("Yes" only). The even-numbered questions are the calibration
half, the odd-numbered the check; each bound the calibration picks is the lowest whose
verdicts on the calibration half are right at least three times in four. Needs a local
model that judges (``articleqa model install``) and ``../shared/data``; writes
``eval/reports/verdicts/``; ``--rescore`` scores its saved probabilities again.
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
from qa.answer.polar import CLAIMS_FROM, compound, verdict, yes_only
from qa.config import Settings
from qa.engine import QAEngine

REPORT = HERE / "reports" / "verdicts"
GRID = (0.5, 0.55, 0.6, 0.62, 0.65, 0.68, 0.7, 0.75)
CLAIMS_GRID = (0.35, 0.38, 0.4, 0.42, 0.45, 0.48, 0.5, 0.55, 0.6)
RIGHT_SHARE = 0.75
"""A bound is picked when its verdicts on the calibration half are right this often."""
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
                         "p_yes": None if p_yes is None else round(p_yes, 4),
                         "compound": compound(question.question)})
    return rows


def tally(rows: list[Row], bound: float, claims: bool = False) -> dict[str, int]:
    """Right, wrong and withheld verdicts at ``bound``: "Yes" at P(yes) >= it, and "No" at
    <= 1 minus it unless ``claims`` (a compound question's bound gives "Yes" only)."""
    out = {"right": 0, "wrong": 0, "withheld": 0}
    for row in rows:
        p = row["p_yes"]
        said = None if p is None else verdict(p, yes_only(bound) if claims else (1 - bound, bound))
        out["withheld" if said is None else "right" if said.lower() == row["reference"]
            else "wrong"] += 1
    return out


def picked(rows: list[Row], grid: tuple[float, ...], claims: bool = False) -> float | None:
    """The lowest bound of ``grid`` whose verdicts on ``rows`` are right at least
    ``RIGHT_SHARE`` of the time (``None``: none is)."""
    for bound in grid:
        t = tally(rows, bound, claims)
        if t["right"] + t["wrong"] and t["right"] >= RIGHT_SHARE * (t["right"] + t["wrong"]):
            return bound
    return None


def _table(groups: dict[str, list[Row]], grid: tuple[float, ...], name: str,
           claims: bool = False) -> list[str]:
    lines = [f"| {name} | " + " | ".join(f"{h}: right / wrong / withheld (share right)"
                                         for h in groups) + " |",
             "|---|" + "---|" * len(groups)]
    for bound in grid:
        cells = []
        for group in groups.values():
            t = tally(group, bound, claims)
            shown = t["right"] + t["wrong"]
            share = f"{t['right'] / shown:.2f}" if shown else "n/a"
            cells.append(f"{t['right']} / {t['wrong']} / {t['withheld']} ({share})")
        lines.append(f"| {bound} | " + " | ".join(cells) + " |")
    return lines


def _halves(rows: list[Row]) -> dict[str, list[Row]]:
    return {"calibration (even ids)": [r for r in rows if int(r["id"][3:]) % 2 == 0],
            "check (odd ids)": [r for r in rows if int(r["id"][3:]) % 2 == 1], "all": rows}


def _auc(rows: list[Row]) -> str:
    kinds = {r["reference"] for r in rows}
    return f"{auc([r['p_yes'] for r in rows], [r['reference'] == 'yes' for r in rows]):.3f}" \
        if len(kinds) == 2 else "n/a"


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
    whole = [r for r in judged if not r.get("compound")]
    joined = [r for r in judged if r.get("compound")]
    yes_share = sum(r["reference"] == "yes" for r in judged) / max(1, len(judged))
    at = settings.verdict_from
    shipped = [tally(whole, at), tally(joined, CLAIMS_FROM, claims=True)]
    total = {k: shipped[0][k] + shipped[1][k] for k in shipped[0]}
    calibration = _halves(whole)["calibration (even ids)"]
    joined_calibration = _halves(joined)["calibration (even ids)"]
    lines = [
        "# The local model's verdict on yes-or-no questions across articles", "",
        f"MultiHop-RAG questions answered Yes or No: {len(rows)}; treated as yes-or-no "
        f"questions about what reports say (so given a P(yes)): {len(judged)}, of which "
        f"{yes_share:.2f} are \"Yes\" (always saying yes would be right that often); "
        f"{len(joined)} of them compound (asked claim by claim, P(yes) the least of its "
        f"claims'). AUC of P(yes): {_auc(judged)} (asked whole {_auc(whole)}, compound "
        f"{_auc(joined)}). Shipped bounds: `QA_VERDICT_FROM` = {at} (the calibration half "
        f"picks {picked(calibration, GRID)}), `CLAIMS_FROM` = {CLAIMS_FROM} (picks "
        f"{picked(joined_calibration, CLAIMS_GRID, claims=True)}): {total['right']} right, "
        f"{total['wrong']} wrong, {total['withheld']} withheld. Measured in {seconds:.0f} s.",
        "", f"Asked whole ({len(whole)}), by `QA_VERDICT_FROM`:", "",
        *_table(_halves(whole), GRID, "bound"), "",
        f"Compound ({len(joined)}), by `CLAIMS_FROM` (\"Yes\" only):", "",
        *_table(_halves(joined), CLAIMS_GRID, "bound", claims=True)]
    args.report.mkdir(parents=True, exist_ok=True)
    (args.report / "report.md").write_text("\n".join(lines) + "\n")
    (args.report / "report.json").write_text(json.dumps(
        {"seconds": round(seconds), "questions": rows}, indent=1) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
