"""The README's result tables are the committed results, not numbers typed by hand."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from eval import readme_table as eval_table

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_eval_table_is_the_committed_baselines() -> None:
    assert eval_table.readme_table() == eval_table.render(), (
        "README.md's evaluation table differs from eval/baselines/: "
        "run python -m eval.readme_table --write")


def test_the_readme_benchmark_table_is_the_committed_results() -> None:
    spec = importlib.util.spec_from_file_location("bench_table", ROOT / "bench/readme_table.py")
    assert spec and spec.loader
    bench_table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_table)
    assert bench_table.stale_tables() == [], (
        "README.md's benchmark or reliability table differs from bench/results/: "
        "run python bench/readme_table.py --write")
