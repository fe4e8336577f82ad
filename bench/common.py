"""What every benchmark shares: the machine it ran on, memory readings, percentiles and the
results files (JSON for machines, Markdown for people) in ``bench/results/``."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
if str(ROOT) not in sys.path:  # `python bench/x.py` from a clone finds qa/, api/ and tests/
    sys.path.insert(0, str(ROOT))


def shared_data() -> Path:
    """``$QA_EVAL_DATA``, else ``../shared/data`` beside the checkout (as ``eval`` finds it)."""
    from eval.datasets import shared_data as find

    return find()


def machine() -> dict[str, Any]:
    """Where and when a result was measured: CPU, memory, load, versions, commit."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain"], cwd=ROOT,
                                    capture_output=True, text=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = "unknown", False
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": commit + ("+dirty" if dirty else ""),
    }


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process (this one by default), in MiB."""
    return psutil.Process(pid or os.getpid()).memory_info().rss / 2**20


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(samples_s: list[float]) -> dict[str, float]:
    """p50/p95/p99 and mean of latencies given in seconds, reported in milliseconds."""
    if not samples_s:
        return {"p50_ms": float("nan"), "p95_ms": float("nan"), "p99_ms": float("nan"),
                "mean_ms": float("nan"), "n": 0}
    ms = np.asarray(samples_s) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p95_ms": round(float(np.percentile(ms, 95)), 2),
            "p99_ms": round(float(np.percentile(ms, 99)), 2),
            "mean_ms": round(float(ms.mean()), 2), "n": len(ms)}


class Timer:
    """``with Timer() as t: ...`` then ``t.seconds``."""

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


def write_results(name: str, data: dict[str, Any], markdown: str) -> tuple[Path, Path]:
    """``bench/results/NAME.json`` (data plus machine details) and ``NAME.md``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = {"machine": machine(), **data}
    json_path = RESULTS / f"{name}.json"
    md_path = RESULTS / f"{name}.md"
    json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    info = data["machine"]
    header = (f"_Measured {info['measured_at']} on {info['cpu']} ({info['cores']} cores, "
              f"{info['memory_gb']} GB), load average {info['load_average']}, "
              f"Python {info['python']}, commit {info['commit']}._\n\n")
    md_path.write_text(markdown.rstrip() + "\n\n" + header)
    return json_path, md_path


def verdict(ok: bool | None) -> str:
    """A target's line: PASS, FAIL, or a dash when it was not measured."""
    return "—" if ok is None else ("PASS" if ok else "FAIL")


def publish(name: str, data: dict[str, Any], markdown: str, write: bool = True) -> None:
    """Print the Markdown and, when ``write``, save both files and say where."""
    print(markdown)
    if write:
        for path in write_results(name, data, markdown):
            print(f"bench: wrote {path.relative_to(ROOT)}", file=sys.stderr)


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """A Markdown table of ``rows`` with ``columns`` in order."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(c, "")) for c in columns) + " |")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)
