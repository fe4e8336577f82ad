"""The README's table of benchmark results, rendered from ``bench/results/*.json``.

    python bench/readme_table.py           # print it
    python bench/readme_table.py --write   # replace it in README.md

``tests/test_readme.py`` fails when the README's table is not the committed results.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/readme_table.py` from a clone finds eval/
    sys.path.insert(0, str(ROOT))
from eval.readme_table import between, cli  # noqa: E402

RESULTS = ROOT / "bench" / "results"
TABLES = {  # README section's markers: the scripts whose results it shows
    ("<!-- bench-table: python bench/readme_table.py --write -->", "<!-- /bench-table -->"):
        ["ingest", "query", "memory"],
    ("<!-- reliability-table: python bench/readme_table.py --write -->",
     "<!-- /reliability-table -->"): ["load", "load-long", "crash"],
    ("<!-- local-model-table: python bench/readme_table.py --write -->",
     "<!-- /local-model-table -->"): ["local-model", "local-load"],
}


def _rows(name: str, data: dict[str, Any]) -> list[dict[str, str]]:
    rows = [dict(t) for t in data.get("targets", [])]
    if name == "memory" and data.get("slopes"):
        s = data["slopes"]
        rows += [{"target": f"service RSS by part: {part}",
                  "measured": f"{s['fixed_mb'][part]:.0f} MB + "
                              f"{s['per_100k_passages_mb'][part]:.0f} MB per 100k passages",
                  "result": "—"} for part in s["fixed_mb"]]
        rows.append({"target": "service RSS by part: Python itself",
                     "measured": f"{s['python_mb']:.0f} MB", "result": "—"})
    if name.startswith("load"):
        rows.insert(1, {"target": "p99 reported", "measured": "; ".join(
            f"{r['route']} p99 {r['p99_ms']:,.0f} ms ({r['requests']:,} requests, "
            f"{r['per_second']:.0f}/s)" for r in data["routes"]) + f" with {data['clients']} "
            f"clients for {data['seconds']:.0f} s over {data['articles']:,} articles",
            "result": "—"})
    if name == "local-model":
        ours, bare = data["ours"], data["bare"]
        for what, key, limit in (("answer time", "total", 8000),
                                 ("time to first token", "first_token", 4000)):
            rows.append({"target": f"{data['model']}: {what} p50 ≤ {limit / 1000:g} s",
                         "measured": f"p50 {ours[key]['p50_ms'] / 1000:.1f} s, p95 "
                                     f"{ours[key]['p95_ms'] / 1000:.1f} s over "
                                     f"{data['questions']} seed dev questions (bare model "
                                     f"p50 {bare[key]['p50_ms'] / 1000:.1f} s)",
                         "result": "PASS" if ours[key]["p50_ms"] <= limit else "FAIL"})
        rows.append({"target": "end to end ≤ 1.15× the bare model on the same prompt",
                     "measured": f"{data['ratio_p50_total']}× (p50 answer time)",
                     "result": "PASS" if data["ratio_p50_total"] <= 1.15 else "FAIL"})
        rows.append({"target": "prompt tokens per answer", "measured":
                     f"p50 {data['prompt_tokens']['p50']}, max {data['prompt_tokens']['max']}",
                     "result": "—"})
        rss = data["rss_mb"]
        rows.append({"target": "memory with the model loaded", "measured":
                     f"{rss['model_loaded']:,} MB RSS ({rss['before_model']:,} MB before "
                     f"loading it; {rss['after_run']:,} MB after the run); load "
                     f"{data['load_s']} s", "result": "—"})
    if name == "crash":
        diff = data["passage_differences"]
        rows.append({"target": f"ingest of {data['articles']:,} articles killed "
                               f"{data['kills']} times and resumed = a clean run",
                     "measured": f"{data['store_counts']['killed'][2]:,} passages vs "
                                 f"{data['store_counts']['clean'][2]:,}; differing passages "
                                 f"{sum(diff.values())}, articles "
                                 f"{sum(data['article_differences'].values())}",
                     "result": "PASS" if data["identical"] else "FAIL"})
    return rows


def render(scripts: list[str], results: Path = RESULTS) -> str:
    lines = ["| results | target | measured | result |", "|---|---|---|---|"]
    notes = []
    for name in scripts:
        path = results / f"{name}.json"
        if not path.exists():
            continue
        data = json.loads(path.read_text())
        for row in _rows(name, data):
            cells = [row["target"], row["measured"], row["result"]]
            lines.append(f"| `{name}` | " + " | ".join(c.replace("|", "/") for c in cells)
                         + " |")
        machine = data.get("machine", {})
        notes.append(f"`{name}` {machine.get('measured_at', '?')[:16].replace('T', ' ')} "
                     f"(load average {machine.get('load_average', ['?'])[0]}, commit "
                     f"{machine.get('commit', '?')})")
    return "\n".join(lines) + "\n\n_Measured: " + "; ".join(notes) + "._"


def stale_tables() -> list[str]:
    """The README tables that are not the committed results."""
    return [begin for (begin, end), scripts in TABLES.items()
            if between(begin, end) != render(scripts)]


if __name__ == "__main__":
    for (begin, end), scripts in TABLES.items():  # each table: printed, written with --write
        cli(__doc__, begin, end, functools.partial(render, scripts))
