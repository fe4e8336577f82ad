"""The README's table of evaluation results, rendered from ``eval/baselines/``.

    python -m eval.readme_table           # print it
    python -m eval.readme_table --write   # replace it in README.md

``tests/test_readme.py`` fails when the README's table is not the committed baselines.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BASELINES = ROOT / "eval" / "baselines"
README = ROOT / "README.md"
BEGIN = "<!-- eval-table: python -m eval.readme_table --write -->"
END = "<!-- /eval-table -->"
COLUMNS = [("seed", "seed gold"), ("seed-local", "seed gold, local model"),
           ("realtimeqa", "RealTimeQA"),
           ("realtimeqa-without-as-of", "RealTimeQA without as_of"),
           ("realtimeqa-local", "RealTimeQA, local model"),
           ("multihop", "MultiHop-RAG"), ("multihop-local", "MultiHop-RAG, local model")]
"""The baselines shown, where committed: extractive unless "local model" (the local 1.5B)."""
ROWS = [("retrieval hit@1", "retrieval_hit@1"), ("retrieval hit@k", "retrieval_hit@k"),
        ("retrieval MRR", "retrieval_mrr"),
        ("answer contains reference", "answer_contains_reference"),
        ("answer cites gold", "answer_cites_gold"), ("citation recall", "citation_recall"),
        ("citation precision", "citation_precision"), ("faithfulness", "faithfulness"),
        ("refusal precision", "refusal_precision"), ("refusal recall", "refusal_recall")]


def _cell(metric: dict[str, Any] | None) -> str:
    if not metric or metric.get("value") is None:
        return "—"
    value, ci = metric["value"], metric.get("ci")
    spread = f" ({ci[0]:.2f}–{ci[1]:.2f})" if ci and f"{ci[0]:.2f}" != f"{ci[1]:.2f}" else ""
    return f"{value:.2f}{spread} [{metric['n']}]"


def render(baselines: Path = BASELINES) -> str:
    runs = {name: json.loads((baselines / f"{name}.json").read_text())
            for name, _ in COLUMNS if (baselines / f"{name}.json").exists()}
    shown = [(name, label) for name, label in COLUMNS if name in runs]
    lines = ["| metric [questions it covers] | " + " | ".join(
                 f"{label} ({runs[name]['questions']})" for name, label in shown) + " |",
             "|---" * (len(shown) + 1) + "|"]
    for label, key in ROWS:
        lines.append(f"| {label} | " + " | ".join(_cell(runs[name]["metrics"].get(key))
                                                  for name, _ in shown) + " |")
    latency = []
    for name, _ in shown:
        m = runs[name]["metrics"]
        latency.append(f"{m['latency_p50_ms']['value']:.0f} / {m['latency_p95_ms']['value']:.0f}")
    lines.append("| latency p50 / p95 (ms) | " + " | ".join(latency) + " |")
    return "\n".join(lines)


def between(begin: str, end: str, readme: Path = README) -> str:
    """The text between two marker lines in the README."""
    found = re.search(re.escape(begin) + r"\n(.*?)\n" + re.escape(end), readme.read_text(), re.S)
    if not found:
        raise SystemExit(f"{readme}: no {begin} … {end} markers")
    return found.group(1)


def cli(doc: str | None, begin: str, end: str, render_table: Callable[[], str]) -> int:
    """Print the table; with ``--write``, put it between the markers in the README."""
    parser = argparse.ArgumentParser(description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="replace the table in README.md")
    args = parser.parse_args()
    table = render_table()
    if args.write:
        old = f"{begin}\n{between(begin, end)}\n{end}"
        README.write_text(README.read_text().replace(old, f"{begin}\n{table}\n{end}"))
    print(table)
    return 0


def readme_table() -> str:
    return between(BEGIN, END)


if __name__ == "__main__":
    raise SystemExit(cli(__doc__, BEGIN, END, render))
