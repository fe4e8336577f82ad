"""Crash and resume on real news: 1,000 RealTimeQA articles ingested once cleanly, and once
with the ingest killed by SIGKILL 5 times at random points (seeded) and resumed each time,
then finished. The two stores must hold exactly the same passages (ids and content hashes:
text, offsets, article, vector) and article records.

    python bench/crash.py [--articles 1000] [--kills 5] [--seed 1] [--batch 256]

Writes bench/results/crash.{json,md}. Needs the RealTimeQA data (``$QA_EVAL_DATA`` or
``../shared/data``); says so and exits 0 when it is absent. The articles are written to a
temporary folder for the child processes, never into the repository.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import shared_data, table, write_results

from tests.crashes import as_dicts, clean_run, killed_runs, snapshot, store_counts


def _corpus(limit: int, out: Path) -> int:
    """The first ``limit`` readable articles of RealTimeQA (all weeks), as JSONL."""
    from eval.realtimeqa import corpus, weeks
    from qa.types import Article

    root = shared_data() / "realtimeqa-2023"
    written = 0
    with out.open("w") as sink:
        for item in corpus(root, weeks(root)):
            if isinstance(item, Article):
                record = item.model_dump(mode="json", exclude={"id", "origin"})
                sink.write(json.dumps(record, ensure_ascii=False) + "\n")
                written += 1
                if written == limit:
                    break
    return written


def _differences(a: dict[str, str], b: dict[str, str]) -> dict[str, int]:
    return {"only_clean": len(a.keys() - b.keys()), "only_killed": len(b.keys() - a.keys()),
            "different": sum(a[k] != b[k] for k in a.keys() & b.keys())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=256, help="QA_INGEST_BATCH (passages)")
    args = parser.parse_args()
    if not (shared_data() / "realtimeqa-2023").is_dir():
        print(f"crash: skipped, no RealTimeQA data under {shared_data()} (set QA_EVAL_DATA)")
        return 0
    with tempfile.TemporaryDirectory(prefix="articleqa-crash-") as tmp:
        work = Path(tmp)
        corpus = work / "articles.jsonl"
        count = _corpus(args.articles, corpus)
        print(f"{count} articles; clean ingest …", flush=True)
        started = time.monotonic()
        clean = clean_run(work / "clean", corpus, args.batch)
        clean_seconds = time.monotonic() - started
        print(f"clean: {len(clean.batches)} batches in {clean_seconds:.0f} s; killing …",
              flush=True)
        started = time.monotonic()
        kills = killed_runs(work / "killed", corpus, args.batch, args.kills, clean, args.seed)
        for i, kill in enumerate(kills, 1):
            print(f"kill {i}: {kill}", flush=True)
        final = clean_run(work / "killed", corpus, args.batch)
        killed_seconds = time.monotonic() - started
        a, b = snapshot(work / "clean"), snapshot(work / "killed")
        counts = {"clean": store_counts(work / "clean"), "killed": store_counts(work / "killed")}
    passages, articles = _differences(a["passages"], b["passages"]), _differences(
        a["articles"], b["articles"])
    identical = a == b
    data: dict[str, Any] = {
        "articles": count, "kills": args.kills, "seed": args.seed, "batch_passages": args.batch,
        "clean": {"seconds": round(clean_seconds, 1), "batches": len(clean.batches),
                  "passages": len(a["passages"]), "article_records": len(a["articles"])},
        "killed_and_resumed": {"seconds": round(killed_seconds, 1),
                               "final_run_batches": len(final.batches),
                               "passages": len(b["passages"]),
                               "article_records": len(b["articles"])},
        "each_kill": as_dicts(kills), "store_counts": counts,
        "passage_differences": passages, "article_differences": articles,
        "identical": identical,
    }
    rows = [{"kill": i, **k} for i, k in enumerate(as_dicts(kills), 1)]
    markdown = (
        f"# Ingest killed {args.kills} times and resumed\n\n"
        f"{count} RealTimeQA articles, {args.batch} passages a batch, seed {args.seed}. "
        f"Clean ingest: {len(clean.batches)} batches, {len(a['passages'])} passages, "
        f"{clean_seconds:.0f} s. Killed with SIGKILL {args.kills} times and resumed, then "
        f"finished: {killed_seconds:.0f} s in all.\n\n"
        + table(rows, ["kill", "after_batches", "seconds_after_last", "complete", "records",
                       "passages"])
        + "\n\n(after_batches: batches that run had written when killed; complete / records: "
          "complete and all article records in the store after the kill.)\n\n"
        f"**Same passages and articles as the clean run: {'yes' if identical else 'NO'}** "
        f"(passages: {passages}; articles: {articles}).\n"
    )
    json_path, md_path = write_results("crash", data, markdown)
    print(markdown)
    print(f"wrote {json_path} and {md_path}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
