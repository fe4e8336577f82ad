"""What folding syndicated copies costs an ingest: the RealTimeQA default corpus into two
fresh stores, with ``QA_FOLD_COPIES`` off and on, in one process (one embedder, warmed up
first), off first. With folding on, the time spent in the folding work itself
(fingerprints, the LSH index, the exact counts, the signatures and copy lists written) is
clocked by wrapping those functions from here: a share of the same run, which the machine's
load moves far less than it moves two runs' totals.

    python bench/copies_ingest.py [--limit N]

Writes ``bench/results/copies-ingest.{json,md}``. Skipped with a message when the RealTimeQA
data is absent.
"""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import machine, publish, shared_data, table

from eval.realtimeqa import DEFAULT_WEEKS, corpus, weeks
from qa.config import Settings
from qa.engine import QAEngine
from qa.index.embedding import build_embedder
from qa.index.folding import Folding
from qa.index.ingest import Ingester
from qa.index.store import ArticleStore
from qa.types import Article

FOLDING_WORK: list[tuple[Any, str]] = [
    (Ingester, "_fold"), (Folding, "sync"), (Folding, "attach"), (Folding, "detach"),
    (Folding, "listed"), (ArticleStore, "write_signatures"), (ArticleStore, "delete_signatures"),
]


class FoldingClock:
    """Seconds spent in the folding work (summed over the ingest's two threads)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.by_name: dict[str, float] = {}
        self._lock = threading.Lock()
        self._saved: list[tuple[Any, str, Any]] = []

    def __enter__(self) -> FoldingClock:
        for owner, name in FOLDING_WORK:
            original = getattr(owner, name)
            self._saved.append((owner, name, original))
            setattr(owner, name, self._timed(original))
        return self

    def __exit__(self, *_: object) -> None:
        for owner, name, original in self._saved:
            setattr(owner, name, original)

    def _timed(self, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                with self._lock:
                    spent = time.perf_counter() - started
                    self.seconds += spent
                    name = function.__qualname__
                    self.by_name[name] = self.by_name.get(name, 0.0) + spent
        return timed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, help="the first N articles only")
    args = parser.parse_args(argv)
    root = shared_data() / "realtimeqa-2023"
    if not weeks(root):
        print(f"bench: no RealTimeQA data in {root}: skipped", file=sys.stderr)
        return 0
    articles = [a for a in corpus(root, DEFAULT_WEEKS) if isinstance(a, Article)]
    articles = articles[:args.limit] if args.limit else articles
    embedder = build_embedder(Settings(_env_file=None))  # type: ignore[call-arg]
    embedder.embed(["warm-up"] * 8)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        for fold in (False, True):
            settings = Settings(_env_file=None, data_dir=Path(folder) / str(fold),  # type: ignore[call-arg]
                                fold_copies=fold, answerer="extractive")
            engine = QAEngine(settings, embedder=embedder)
            with FoldingClock() as clock:
                started, cpu = time.perf_counter(), time.process_time()
                report = engine.ingest_items(articles)
                seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            rows.append({"folding": "on" if fold else "off", "articles": len(articles),
                         "seconds": round(seconds, 1), "cpu seconds": round(cpu, 1),
                         "articles/s": round(len(articles) / seconds, 2),
                         "folding work s": round(clock.seconds, 2),
                         "folding work share": round(clock.seconds / seconds, 4),
                         "passages": report.passages, "copies": len(report.copies),
                         "folding work by function s": {k: round(v, 2) for k, v in
                                                        sorted(clock.by_name.items())}})
    ratio = rows[1]["seconds"] / rows[0]["seconds"]
    cpu_ratio = rows[1]["cpu seconds"] / rows[0]["cpu seconds"]
    share = rows[1]["folding work share"]
    data = {"machine": machine(), "corpus": f"RealTimeQA 2023 weeks {', '.join(DEFAULT_WEEKS)}",
            "runs": rows, "time_ratio_on_off": round(ratio, 3),
            "cpu_ratio_on_off": round(cpu_ratio, 3), "folding_work_share": share}
    markdown = (f"# Ingest with and without folding copies\n\n{data['corpus']}: "
                f"{len(articles):,} articles.\n\n"
                + table(rows, ["folding", "articles", "seconds", "cpu seconds", "articles/s",
                               "folding work s", "folding work share", "passages", "copies"])
                + "\n\nThe folding work by function (wall seconds, both threads): "
                + ", ".join(f"`{k}` {v}" for k, v in rows[1]["folding work by function s"].items())
                + f"\n\nThe folding work: {share:.1%} of the ingest with folding on. "
                  f"Folding on / off: {ratio:.3f}x the time, {cpu_ratio:.3f}x the process's CPU "
                  "time (two runs, one after the other: the machine's load moves the wall-time "
                  "ratio more than folding does). Measured "
                  f"{data['machine']['measured_at']} (load average "
                  f"{data['machine']['load_average'][0]}, commit {data['machine']['commit']}).\n")
    publish("copies-ingest", data, markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
