"""Each verifier's agreement with the labelled pairs, by kind of pair.

    python -m eval.verifiers [--verifier heuristic model ...] [--report DIR]

A verifier is the one ``QA_VERIFIER`` names, reached through ``QAEngine.support`` (the score
the citation check gives a claim against its evidence); a pair counts as supported when its
score reaches ``QA_SUPPORT_THRESHOLD``. ``model`` uses the answerer's language model
(``QA_ANSWERER=local``: the installed local model; or the remote LLM configured), and falls
back to the rules when there is none: the report names the model it used.
The pairs are ``eval/labelled/*.jsonl``, labelled by careful annotation inside this project
(not by outside annotators); each file is reported apart and together.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from eval.judge import LABELLED, OfflineJudge, agreement, labelled_pairs
from eval.report import fmt
from qa.config import Settings
from qa.engine import QAEngine

HERE = Path(__file__).resolve().parent
REPORT = HERE / "reports" / "verifiers"


def measure(settings: Settings, verifiers: list[str]) -> dict[str, Any]:
    files = {path.stem: labelled_pairs_of(path) for path in sorted(LABELLED.glob("*.jsonl"))}
    results: dict[str, Any] = {}
    embedder = None
    for name in verifiers:
        engine = QAEngine(settings.model_copy(update={"verifier": name}), embedder)
        embedder = engine.embedder
        stats = engine.stats()
        started = time.perf_counter()
        judge = OfflineJudge(engine)
        results[name] = {
            "verifier": stats["verifier"],
            "model": stats["model"] if "model" in stats["verifier"] else None,
            "all": agreement(judge, labelled_pairs()),
            **{stem: agreement(judge, pairs) for stem, pairs in files.items()},
            "seconds": round(time.perf_counter() - started, 1),
        }
        engine.close()
    return {"threshold": settings.support_threshold, "verifiers": results}


def labelled_pairs_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def markdown(result: dict[str, Any]) -> str:
    names = list(result["verifiers"])
    runs = result["verifiers"]
    head = "| | " + " | ".join(f"{n} ({runs[n]['model'] or 'rules only'})" for n in names)
    lines = [head + " |", "|---" * (len(names) + 1) + "|"]
    first = runs[names[0]]
    for part in [p for p in first if isinstance(first[p], dict)]:
        for metric in ("balanced_accuracy", "accuracy"):
            cells = [fmt(runs[n][part].get(metric)) for n in names]
            lines.append(f"| {part}: {metric} [{first[part]['pairs']}] | " + " | ".join(cells)
                         + " |")
    for kind, row in first["all"]["by_kind"].items():
        cells = [fmt(runs[n]["all"]["by_kind"][kind]["accuracy"]) for n in names]
        lines.append(f"| kind {kind} [{row['n']}] | " + " | ".join(cells) + " |")
    lines.append("| seconds | " + " | ".join(str(runs[n]["seconds"]) for n in names) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verifier", nargs="+", default=["heuristic", "model"])
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args(argv)
    result = measure(Settings(), args.verifier)
    args.report.mkdir(parents=True, exist_ok=True)
    (args.report / "report.json").write_text(json.dumps(result, indent=2) + "\n")
    table = markdown(result)
    (args.report / "report.md").write_text(
        "# Verifier agreement with the labelled pairs\n\n" + table)
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
