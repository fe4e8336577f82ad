"""Question latency while an upload is ingested in the background, against idle.

    python bench/ingest_during_ask.py [--mb 2] [--questions 30] [--no-write]

The service runs as its own process (``uvicorn api.main:app``, extractive mode) over a fresh
store holding the seed article. Sequential ``POST /api/ask`` questions are timed idle, then
while a job ingests a ``--mb`` MB ``.jsonl`` upload (generated news-like articles), once with
the job thread at the default priority (``QA_JOB_NICE=10``) and once at the questions' own
(``QA_JOB_NICE=0``). Target: p50 during the upload at most 1.5x idle p50.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from common import ROOT, percentiles, publish, table, verdict
from serving import Service

QUESTIONS = ["How many people died in the shootout?", "What did NATO approve?",
             "Where did the shootout happen?", "Who asked for more troops?"]
TARGET = 1.5
NOTE = ("Timing on a shared 2-core machine: another niced process (a model measurement) may "
        "have been running, which slows both phases.")


def upload_body(megabytes: float, seed: int = 1) -> bytes:
    """``megabytes`` of JSONL articles, each of its own words and numbers."""
    rng = random.Random(seed)
    places = ["Bergen", "Tromsø", "Zvecan", "Pristina", "Oslo", "Trondheim", "Mitrovica"]
    things = ["ferry berths", "school places", "bus routes", "police officers", "homes"]
    lines, size, number = [], 0, 0
    while size < megabytes * 2**20:
        sentences = [f"The council of {rng.choice(places)} approved {rng.randint(2, 900)} new "
                     f"{rng.choice(things)} on day {rng.randint(1, 28)} of month "
                     f"{rng.randint(1, 12)}, officials said in report {number}-{i}."
                     for i in range(rng.randint(8, 20))]
        line = json.dumps({"title": f"Council report {number}", "text": " ".join(sentences),
                           "published_at": f"2024-{rng.randint(1, 12):02d}-01"})
        lines.append(line)
        size += len(line) + 1
        number += 1
    return ("\n".join(lines) + "\n").encode()


def ask_times(url: str, count: int | None, until_done: str | None = None) -> list[float]:
    """Seconds per question: ``count`` of them, or as many as fit before the job ends."""
    times, i = [], 0
    with httpx.Client(base_url=url, timeout=120) as client:
        while count is None or i < count:
            if until_done and client.get(f"/api/jobs/{until_done}").json()["status"] in {
                    "done", "failed"}:
                break
            started = time.perf_counter()
            response = client.post("/api/ask", json={"question": QUESTIONS[i % len(QUESTIONS)]})
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
            i += 1
    return times


def submit(url: str, name: str, data: bytes) -> str:
    response = httpx.post(f"{url}/api/articles", files=[("file", (name, data))], timeout=120)
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def wait(url: str, job_id: str) -> dict[str, Any]:
    while (job := httpx.get(f"{url}/api/jobs/{job_id}").json())["status"] not in {
            "done", "failed"}:
        time.sleep(0.2)
    return dict(job)


def run(nice: int, body: bytes, questions: int, folder: Path) -> dict[str, Any]:
    service = Service(folder / f"store-nice{nice}", {"QA_JOB_NICE": str(nice)})
    try:
        service.wait_ready()
        seed = sorted((ROOT / "seeds").glob("*.txt"))[0]
        wait(service.url, submit(service.url, seed.name, seed.read_bytes()))
        ask_times(service.url, 5)  # warm
        idle = ask_times(service.url, questions)
        started = time.perf_counter()
        job_id = submit(service.url, "wire.jsonl", body)
        during = ask_times(service.url, None, until_done=job_id)
        job = wait(service.url, job_id)
        seconds = time.perf_counter() - started
    finally:
        service.stop()
    ratio = statistics.median(during) / statistics.median(idle)
    return {"job_nice": nice, "idle": percentiles(idle), "during": percentiles(during),
            "ratio_p50": round(ratio, 2), "ingest_s": round(seconds, 1),
            "articles": job["counts"]["new"], "job_status": job["status"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=2.0)
    parser.add_argument("--questions", type=int, default=30)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    body = upload_body(args.mb)
    with tempfile.TemporaryDirectory(prefix="articleqa-bench-") as tmp:
        runs = [run(nice, body, args.questions, Path(tmp)) for nice in (10, 0)]
    rows = [{"QA_JOB_NICE": r["job_nice"], "idle p50 ms": r["idle"]["p50_ms"],
             "during p50 ms": r["during"]["p50_ms"], "during p95 ms": r["during"]["p95_ms"],
             "questions during": r["during"]["n"], "ratio p50": r["ratio_p50"],
             "ingest s": r["ingest_s"], "articles": r["articles"]} for r in runs]
    default = runs[0]
    ok = default["ratio_p50"] <= TARGET
    markdown = (f"# Questions while a {args.mb:g} MB upload is ingested\n\n"
                f"Sequential `POST /api/ask` over the seed article, idle and while a job "
                f"ingests a {len(body) / 2**20:.1f} MB `.jsonl` upload "
                f"({default['articles']} articles).\n\n"
                + table(rows, list(rows[0])) +
                f"\n\n**p50 during / idle at the default priority: {default['ratio_p50']}x "
                f"(target ≤ {TARGET}x): {verdict(ok)}**\n\n{NOTE}\n")
    for r in runs:
        print(f"bench: QA_JOB_NICE={r['job_nice']}: ratio {r['ratio_p50']}x", flush=True)
    publish("ingest-during-ask", {"mb": args.mb, "target_ratio": TARGET, "runs": runs,
                                  "note": NOTE, "pass": ok}, markdown, write=not args.no_write)


if __name__ == "__main__":
    main()
