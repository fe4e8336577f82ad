"""Reports of a run: JSON, a Markdown summary and PNG plots; the comparison with a committed
baseline; and the ``--fail-under`` checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HEADLINE = ["retrieval_hit@1", "retrieval_hit@k", "retrieval_mrr", "answer_exact_match",
            "answer_f1", "answer_contains_reference", "answer_cites_gold", "citation_recall",
            "citation_precision",
            "faithfulness", "refusal_precision", "refusal_recall", "latency_p50_ms",
            "latency_p95_ms", "errors"]
LOWER_IS_BETTER = {"latency_p50_ms", "latency_p95_ms", "errors", "used_after_as_of"}
CHECKS = [*HEADLINE, "used_after_as_of"]
"""What ``--fail-under`` may name: the headline metrics, and the as_of check (reported by
runs that ask as of a day)."""


def fmt(value: float | None, name: str = "") -> str:
    if value is None:
        return "n/a"
    return f"{value:.0f}" if name.endswith("_ms") or name == "errors" else f"{value:.3f}"


def summary_table(result: dict[str, Any]) -> str:
    lines = ["| metric | value | 95% CI | n |", "|---|---|---|---|"]
    for name in HEADLINE:
        m = result["metrics"][name]
        ci = f"{fmt(m['ci'][0], name)}–{fmt(m['ci'][1], name)}" if m["ci"] else ""
        lines.append(f"| {name} | {fmt(m['value'], name)} | {ci} | {m['n']} |")
    if "used_after_as_of" in result["metrics"]:
        m = result["metrics"]["used_after_as_of"]
        lines.append(f"| used_after_as_of | {m['value']:.0f} |  | {m['n']} |")
    return "\n".join(lines)


def compare(result: dict[str, Any], baseline: dict[str, Any]) -> list[dict[str, Any]]:
    """Each headline metric now, in the baseline, and the change."""
    rows = []
    for name in HEADLINE:
        now = result["metrics"][name]["value"]
        then = baseline.get("metrics", {}).get(name, {}).get("value")
        delta = now - then if now is not None and then is not None else None
        rows.append({"metric": name, "baseline": then, "now": now, "delta": delta})
    return rows


def incomparable(result: dict[str, Any], baseline: dict[str, Any]) -> str:
    """Why a run cannot be compared with a baseline ("" when it can)."""
    for key in ("about", "questions", "config", "as_of"):
        if result.get(key) != baseline.get(key):
            return f"its {key} differs ({baseline.get(key)!r} there)"
    return ""


def comparison_table(rows: list[dict[str, Any]]) -> str:
    lines = ["| metric | baseline | now | change |", "|---|---|---|---|"]
    for r in rows:
        change = "" if r["delta"] is None else f"{r['delta']:+.3f}"
        if r["delta"] is not None and r["metric"].endswith("_ms"):
            change = f"{r['delta']:+.0f}"
        lines.append(f"| {r['metric']} | {fmt(r['baseline'], r['metric'])} | "
                     f"{fmt(r['now'], r['metric'])} | {change} |")
    return "\n".join(lines)


def parse_threshold(spec: str) -> tuple[str, float]:
    name, sep, value = spec.partition("=")
    if not sep or name not in CHECKS:
        raise ValueError(f"--fail-under wants METRIC=VALUE with METRIC one of "
                         f"{', '.join(CHECKS)}; got {spec!r}")
    return name, float(value)


def failures(result: dict[str, Any], thresholds: list[tuple[str, float]]) -> list[str]:
    """One message for each metric on the wrong side of its threshold (latencies and
    errors must be at most the value; the rest at least)."""
    out = []
    for name, limit in thresholds:
        value = result["metrics"].get(name, {}).get("value")
        high = name in LOWER_IS_BETTER
        if value is None or (value > limit if high else value < limit):
            out.append(f"{name} = {fmt(value, name)}, {'above' if high else 'below'} {limit:g}")
    return out


def write(result: dict[str, Any], folder: Path,
          comparison: list[dict[str, Any]] | None) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    (folder / "report.md").write_text(markdown(result, comparison))
    return [folder / "report.json", folder / "report.md", *_plots(result, folder)]


def markdown(result: dict[str, Any], comparison: list[dict[str, Any]] | None) -> str:
    judge = result["judge"]
    parts = [f"# Evaluation: {result['dataset']}", "",
             f"{result['about']}. {result['questions']} questions, asked {result['asker']}; "
             f"run {result['finished']}.", "", summary_table(result), "",
             f"Judge: {judge['judge']}: accuracy {fmt(judge.get('accuracy'))} "
             f"(balanced {fmt(judge.get('balanced_accuracy'))}) on {judge['pairs']} "
             "pairs (`eval/labelled/`) labelled by careful annotation inside this project "
             "(written and checked by its developers, not by outside annotators).", ""]
    if comparison:
        parts += ["## Against the baseline", "", comparison_table(comparison), ""]
    parts += ["## By question type", "", "| type | n | hit@k | contains ref. | cites gold | "
              "cit. recall | cit. precision | faithfulness | refused |",
              "|---|---|---|---|---|---|---|---|---|"]
    for kind, m in result["by_type"].items():
        refused = sum(1 for q in result["per_question"] if q["type"] == kind and q["refused"])
        n = sum(1 for q in result["per_question"] if q["type"] == kind)
        parts.append(f"| {kind} | {n} | {fmt(m['retrieval_hit@k']['value'])} | "
                     f"{fmt(m['answer_contains_reference']['value'])} | "
                     f"{fmt(m['answer_cites_gold']['value'])} | "
                     f"{fmt(m['citation_recall']['value'])} | "
                     f"{fmt(m['citation_precision']['value'])} | "
                     f"{fmt(m['faithfulness']['value'])} | {refused} |")
    parts += ["", "![metrics by type](by_type.png)", "", "![latency](latency.png)", ""]
    return "\n".join(parts)


def _plots(result: dict[str, Any], folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = ["retrieval_hit@k", "answer_contains_reference", "answer_cites_gold",
             "citation_recall", "citation_precision", "faithfulness"]
    kinds = list(result["by_type"])
    refused = [sum(1 for q in result["per_question"] if q["type"] == k and q["refused"]) /
               max(1, sum(1 for q in result["per_question"] if q["type"] == k)) for k in kinds]
    fig, ax = plt.subplots(figsize=(max(7, 1.5 * len(kinds) + 3), 4))
    width = 0.8 / (len(shown) + 1)
    for i, name in enumerate(shown):
        values = [result["by_type"][k][name]["value"] or 0 for k in kinds]
        ax.bar([x + i * width for x in range(len(kinds))], values, width, label=name)
    ax.bar([x + len(shown) * width for x in range(len(kinds))], refused, width,
           label="share refused", color="0.6")
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(kinds))], kinds, rotation=20)
    ax.set_ylim(0, 1.05)
    ax.set_title(f"{result['dataset']}: metrics per question type (missing bar: n/a or 0)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    fig.savefig(folder / "by_type.png", dpi=100)
    plt.close(fig)
    latencies = [q["latency_ms"] for q in result["per_question"] if q.get("latency_ms")]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(latencies, bins=min(30, max(5, len(latencies) // 3)))
    ax.set_xlabel("latency per question (ms)")
    ax.set_ylabel("questions")
    ax.set_title(f"{result['dataset']}: latency")
    fig.tight_layout()
    fig.savefig(folder / "latency.png", dpi=100)
    plt.close(fig)
    return [folder / "by_type.png", folder / "latency.png"]
