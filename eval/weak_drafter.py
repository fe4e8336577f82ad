"""The weak-drafter check: sentences a small model drafted that the checks showed as
supported, each judged again by another model against its cited quotes.

    QA_LOCAL_MODEL=qwen2.5-coder-0.5b-instruct articleqa eval --answerer local \\
        --run-dir .articleqa-eval/weak-seed              # the weak model's answers, kept
    python -m eval.weak_drafter .articleqa-eval/weak-seed [...] [--judge-model NAME]

Each run folder's ``answers-local.jsonl`` is read; every sentence shown as supported is put
to the judge model (default the 1.5B, ``prompts/judge.txt``) with the quotes it cites; a
P("yes") below ``DOUBT`` counts it as doubted. A sentence that is a verbatim part of its
quotes is not asked. One small independent judge: evidence, not proof. Writes
``eval/reports/weak-drafter/report.md`` (or ``--report DIR``).
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from qa.config import Settings
from qa.engine import QAEngine
from qa.prompts import head_of, load_prompt

HERE = Path(__file__).resolve().parent
REPORT = HERE / "reports" / "weak-drafter"
DOUBT = 0.5
_MARKER = re.compile(r"\s*\[\d+\]")


def shown_supported(run: Path) -> list[tuple[str, str]]:
    """(claim, the quotes it cites) for each sentence a run's answers show as supported."""
    pairs = []
    for line in (run / "answers-local.jsonl").read_text(encoding="utf-8").splitlines():
        answer = json.loads(line).get("answer")
        if not answer or answer["refused"]:
            continue
        quotes = {c["id"]: c["quote"] for c in answer["citations"]}
        for sentence in answer["sentences"]:
            if sentence["supported"]:
                evidence = " ".join(quotes[i] for i in sentence["citations"] if i in quotes)
                pairs.append((_MARKER.sub("", sentence["text"]).strip(), evidence))
    return pairs


def judge_runs(runs: list[Path], judge_model: str) -> dict[str, Any]:
    engine = QAEngine(Settings(answerer="local", local_model=judge_model,
                               data_dir=runs[0] / "store"))
    model = engine.answerer.model  # type: ignore[attr-defined]
    prompt = load_prompt("judge")
    head = head_of(prompt)
    result: dict[str, Any] = {"judge_model": judge_model, "threshold": DOUBT, "runs": {}}
    try:
        for run in runs:
            doubted = []
            pairs = shown_supported(run)
            for claim, evidence in pairs:
                yes = 1.0 if claim in evidence else model.yes_probability(
                    prompt.format(claim=claim, evidence=evidence), head)
                if yes < DOUBT:
                    doubted.append({"claim": claim, "evidence": evidence, "p_yes": round(yes, 3)})
            result["runs"][run.name] = {"shown_supported": len(pairs), "doubted": doubted}
    finally:
        engine.close()
    return result


def markdown(result: dict[str, Any]) -> str:
    lines = ["# Weak-drafter check", "",
             f"Judge: {result['judge_model']}; a sentence is doubted when P(yes) < "
             f"{result['threshold']}.", "", "| run | shown as supported | doubted |",
             "|---|---|---|"]
    for name, run in result["runs"].items():
        lines.append(f"| {name} | {run['shown_supported']} | {len(run['doubted'])} |")
    for name, run in result["runs"].items():
        for d in run["doubted"]:
            lines.append(f"\n- {name}, P(yes) {d['p_yes']}: {d['claim']}\n  cites: {d['evidence']}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--judge-model", default="qwen2.5-coder-1.5b-instruct")
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args(argv)
    missing = [r for r in args.runs if not (r / "answers-local.jsonl").is_file()]
    if missing:
        parser.error(f"no answers-local.jsonl in {', '.join(map(str, missing))}: run "
                     "`articleqa eval --answerer local --run-dir DIR` first")
    result = judge_runs(args.runs, args.judge_model)
    args.report.mkdir(parents=True, exist_ok=True)
    (args.report / "report.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    (args.report / "report.md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
