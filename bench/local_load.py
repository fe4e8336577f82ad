"""Many questions at once to one local model: every request ends (answered or told to retry).

    python bench/local_load.py [--clients 16] [--rounds 3] [--model NAME] [--no-write]

``articleqa serve`` runs as its own process with the local model (``QA_ANSWERER=local``, the
default queue bound ``QA_LLM_QUEUE=8``) over ``seeds/``; each round, ``--clients`` threads ask
distinct seed dev questions through ``POST /api/ask`` at the same moment, with a client
timeout of 600 s (a request that reaches it counts as hung). Reported: the statuses, each
answered request's time, the answers stopped by the token bound or the deadline (a runaway
would be one that neither stopped), and the service's RSS (psutil) before and after each
round.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from common import ROOT, percentiles, publish, rss_mb, table, verdict


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--model", default=None)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(QA_DATA_DIR=tempfile.mkdtemp(prefix="bench-local-load-"), QA_ANSWERER="local",
               QA_SEEDS_DIR=str(ROOT / "seeds"), QA_RATE_LIMIT="0")
    if args.model:
        env["QA_LOCAL_MODEL"] = args.model
    service = subprocess.Popen([sys.executable, "-m", "qa.cli", "serve", "--port", str(port)],
                               cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                health = httpx.get(f"{url}/health", timeout=2).json()
                break
            except httpx.HTTPError:
                assert service.poll() is None, "the service did not start"
                time.sleep(0.5)
        questions = [json.loads(line)["question"] for line in
                     (ROOT / "eval/datasets/seed_dev.jsonl").read_text().splitlines()]

        def ask(i: int) -> dict[str, Any]:
            started = time.perf_counter()
            try:
                r = httpx.post(f"{url}/api/ask", json={"question": questions[i % len(questions)]},
                               timeout=600)
            except httpx.TimeoutException:
                return {"status": "hung", "seconds": time.perf_counter() - started}
            body = r.json()
            return {"status": r.status_code, "seconds": time.perf_counter() - started,
                    "retry_after": r.headers.get("retry-after"),
                    "stopped": (body.get("usage") or {}).get("stopped") if r.is_success
                    else None}

        rounds = []
        for n in range(args.rounds):
            before = rss_mb(service.pid)
            with ThreadPoolExecutor(args.clients) as pool:
                results = list(pool.map(ask, range(n * args.clients, (n + 1) * args.clients)))
            rounds.append({"rss_before_mb": round(before), "rss_after_mb":
                           round(rss_mb(service.pid)), "results": results})
    finally:
        service.terminate()
        service.wait(timeout=60)
    every = [r for rnd in rounds for r in rnd["results"]]
    statuses: dict[str, int] = {}
    for r in every:
        statuses[str(r["status"])] = statuses.get(str(r["status"]), 0) + 1
    hung = statuses.get("hung", 0)
    other = sum(v for k, v in statuses.items() if k not in ("200", "503"))
    answered = [r["seconds"] for r in every if r["status"] == 200]
    stopped = sum(1 for r in every if r.get("stopped"))
    busy_without_retry = sum(1 for r in every if r["status"] == 503 and not r["retry_after"])
    rss = [(rnd["rss_before_mb"], rnd["rss_after_mb"]) for rnd in rounds]
    data = {"model": health.get("model"), "clients": args.clients, "rounds": args.rounds,
            "statuses": statuses, "answered": percentiles(answered), "stopped_early": stopped,
            "busy_without_retry_after": busy_without_retry, "rss_mb": rss, "rounds_detail": rounds,
            "targets": [
                {"target": f"{args.clients} concurrent questions × {args.rounds}: none hung",
                 "measured": ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())),
                 "result": verdict(hung == 0 and other == 0 and busy_without_retry == 0)},
                {"target": "memory stays flat across rounds",
                 "measured": "; ".join(f"{a:,} → {b:,} MB" for a, b in rss),
                 "result": "—"}]}
    rows = [{"round": i + 1, "answered": sum(r["status"] == 200 for r in rnd["results"]),
             "busy (503)": sum(r["status"] == 503 for r in rnd["results"]),
             "hung": sum(r["status"] == "hung" for r in rnd["results"]),
             "slowest answered s": round(max([r["seconds"] for r in rnd["results"]
                                              if r["status"] == 200] or [0]), 1),
             "RSS MB": f"{rnd['rss_before_mb']:,} → {rnd['rss_after_mb']:,}"}
            for i, rnd in enumerate(rounds)]
    markdown = (f"# {args.clients} concurrent questions to the local model "
                f"({health.get('model')})\n\n" + table(rows, list(rows[0])) +
                f"\n\nAnswered p50 {data['answered']['p50_ms'] / 1000:.1f} s, p95 "
                f"{data['answered']['p95_ms'] / 1000:.1f} s (waiting included); "
                f"{stopped} answers stopped by the token bound or the deadline; every 503 "
                f"carried Retry-After: {verdict(busy_without_retry == 0)}.\n")
    publish("local-load", data, markdown, write=not args.no_write)


if __name__ == "__main__":
    main()
