"""Load: many concurrent clients on ``POST /api/ask`` and streaming ``POST /api/chat`` of a
real ``articleqa serve`` process, over loopback, for a fixed time. Reports errors (there
must be none), latency percentiles, throughput, time to the first streamed token, and the
service's memory sampled every second (it must stay flat once warm).

    python bench/load.py                      # 64 clients, 60 s, the 1k-article store
    python bench/load.py --clients 8 --seconds 10 --size 0   # quick, over seeds/ only

The store is the benchmarks' cached RealTimeQA store (``bench/corpus.py``); ``--size 0``
serves the seed article instead, so the script runs without ``../shared/data``. The rate
limit is off for the run (``QA_RATE_LIMIT=0``): this measures capacity, not the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from common import ROOT, percentiles, rss_mb, table, write_results
from serving import free_port, wait_ready

SEED_QUESTIONS = ["How many people died in the shootout?", "Where did the shootout happen?",
                  "Who was killed in the shootout?", "What did Kosovo's prime minister say?",
                  "What is the capital of Australia?"]


def _store(size: int, cache: Path) -> tuple[Path, list[str]]:
    """The data folder to serve and the questions to ask."""
    if size == 0:
        return Path(tempfile.mkdtemp(prefix="articleqa-load-")), SEED_QUESTIONS
    import corpus

    # bench/query.py's store of this size (a part of the whole corpus), else one of its own
    for path in (corpus.store_dir(cache, size, corpus.FULL), corpus.store_dir(cache, size)):
        if corpus.is_built(path):
            return path, corpus.all_questions()
    print(f"building the {size}-article store in {path} (slow the first time)…",
          file=sys.stderr)
    corpus.build_ingested(path, size)
    return path, corpus.all_questions()


def _start(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "QA_DATA_DIR": str(data_dir), "QA_PORT": str(port),
           "QA_RATE_LIMIT": "0", "QA_ANSWERER": "extractive", "ANONYMIZED_TELEMETRY": "False",
           "QA_SEEDS_DIR": str(ROOT / "seeds"), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "qa.cli", "serve"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(f"http://127.0.0.1:{port}", proc)
    return proc


class Sampler(threading.Thread):
    """The service's RSS once a second."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, float]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        start = time.perf_counter()
        while not self.stop.is_set():
            self.samples.append((time.perf_counter() - start, rss_mb(self.pid)))
            self.stop.wait(1.0)


async def _ask(client: httpx.AsyncClient, question: str) -> dict[str, Any]:
    started = time.perf_counter()
    response = await client.post("/api/ask", json={"question": question})
    ok = response.status_code == 200 and "answer" in response.json()
    return {"route": "ask", "ok": ok, "status": response.status_code,
            "seconds": time.perf_counter() - started}


async def _chat(client: httpx.AsyncClient, question: str) -> dict[str, Any]:
    started = time.perf_counter()
    first: float | None = None
    done = False
    error = None
    body = {"messages": [{"role": "user", "content": question}], "stream": True}
    async with client.stream("POST", "/api/chat", json=body) as response:
        event = ""
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                if first is None:
                    first = time.perf_counter() - started
                if event == "done":
                    done = "answer" in json.loads(line[5:])
                elif event == "error":
                    error = line[5:].strip()
        status = response.status_code
    return {"route": "chat", "ok": status == 200 and done and error is None, "status": status,
            "seconds": time.perf_counter() - started, "first_token": first, "error": error}


async def _client(url: str, questions: list[str], route: str, until: float, seed: int,
                  results: list[dict[str, Any]]) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        while time.perf_counter() < until:
            question = rng.choice(questions)
            try:
                results.append(await (_ask if route == "ask" else _chat)(client, question))
            except httpx.HTTPError as exc:
                results.append({"route": route, "ok": False, "status": None,
                                "seconds": 0.0, "error": repr(exc)})


async def _load(url: str, questions: list[str], clients: int, seconds: float
                ) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    until = time.perf_counter() + seconds
    await asyncio.gather(*(_client(url, questions, "ask" if i % 2 == 0 else "chat", until, i,
                                   results) for i in range(clients)))
    return results


def _flat(samples: list[tuple[float, float]]) -> dict[str, float]:
    """Memory over the run: first and last 10 % of samples, and the fitted slope."""
    times = np.array([t for t, _ in samples])
    mb = np.array([m for _, m in samples])
    tenth = max(1, len(mb) // 10)
    slope = float(np.polyfit(times, mb, 1)[0]) * 60 if len(mb) > 2 else 0.0
    return {"start_mb": round(float(mb[:tenth].mean()), 1),
            "end_mb": round(float(mb[-tenth:].mean()), 1),
            "peak_mb": round(float(mb.max()), 1),
            "slope_mb_per_min": round(slope, 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=30, help="seconds of load before "
                        "measuring (caches, BM25 index, allocator)")
    parser.add_argument("--size", type=int, default=1000,
                        help="articles of the cached RealTimeQA store; 0 = seeds/ only")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "articleqa-bench")
    parser.add_argument("--name", default="load", help="results file name in bench/results")
    args = parser.parse_args()

    data_dir, questions = _store(args.size, args.cache)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _start(data_dir, port)
    try:
        health = httpx.get(f"{url}/health", timeout=10).json()
        print(f"serving {health['articles']} articles, {health['passages']} passages; "
              f"{args.clients} clients for {args.warmup:g} s warm-up + {args.seconds:g} s",
              file=sys.stderr)
        asyncio.run(_load(url, questions, args.clients, args.warmup))
        sampler = Sampler(proc.pid)
        sampler.start()
        started = time.perf_counter()
        results = asyncio.run(_load(url, questions, args.clients, args.seconds))
        elapsed = time.perf_counter() - started
        sampler.stop.set()
        sampler.join()
        alive = proc.poll() is None and httpx.get(f"{url}/health", timeout=10).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    rows = []
    for route in ("ask", "chat"):
        mine = [r for r in results if r["route"] == route]
        good = [r for r in mine if r["ok"]]
        row: dict[str, Any] = {"route": "POST /api/ask" if route == "ask"
                               else "POST /api/chat (stream)",
                               "requests": len(mine), "errors": len(mine) - len(good),
                               "per_second": round(len(good) / elapsed, 2),
                               **percentiles([r["seconds"] for r in good])}
        if route == "chat":
            firsts = [r["first_token"] for r in good if r.get("first_token") is not None]
            row["first_token_p50_ms"] = percentiles(firsts)["p50_ms"]
            row["first_token_p99_ms"] = percentiles(firsts)["p99_ms"]
        rows.append(row)
    memory = _flat(sampler.samples)
    errors = sum(r["errors"] for r in rows)
    statuses = sorted({str(r["status"]) for r in results if not r["ok"]})
    flat = memory["end_mb"] <= memory["start_mb"] * 1.05 + 20
    verdicts = [
        {"target": "no errors", "measured": f"{errors} of {len(results)}"
         + (f" (statuses {', '.join(statuses)})" if statuses else ""),
         "result": "PASS" if errors == 0 else "FAIL"},
        {"target": "memory flat (last 10% ≤ first 10% × 1.05 + 20 MB)",
         "measured": f"{memory['start_mb']:.0f} → {memory['end_mb']:.0f} MB "
                     f"({memory['slope_mb_per_min']:+.1f} MB/min)",
         "result": "PASS" if flat else "FAIL"},
        {"target": "service still healthy after the run", "measured": str(alive),
         "result": "PASS" if alive else "FAIL"},
    ]
    data = {"clients": args.clients, "seconds": round(elapsed, 1), "warmup_s": args.warmup,
            "articles": health["articles"], "passages": health["passages"], "routes": rows,
            "memory": memory, "memory_samples": sampler.samples, "targets": verdicts}
    markdown = (f"## Load: {args.clients} clients for {elapsed:.0f} s "
                f"({health['articles']:,} articles, {health['passages']:,} passages)\n\n"
                + table(rows, ["route", "requests", "errors", "per_second", "p50_ms", "p95_ms",
                               "p99_ms", "first_token_p50_ms", "first_token_p99_ms"])
                + "\n\nService memory: "
                + f"{memory['start_mb']:.0f} MB at the start, {memory['end_mb']:.0f} MB at the "
                  f"end, peak {memory['peak_mb']:.0f} MB, slope "
                  f"{memory['slope_mb_per_min']:+.1f} MB/min.\n\n"
                + table(verdicts, ["target", "measured", "result"]))
    json_path, md_path = write_results(args.name, data, markdown)
    print(markdown)
    print(f"\nwrote {json_path.relative_to(ROOT)} and {md_path.relative_to(ROOT)}",
          file=sys.stderr)
    return 0 if all(v["result"] == "PASS" for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
