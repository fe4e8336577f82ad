"""Ingest runs killed with SIGKILL at random points, then resumed: the machinery that
tests/test_faults.py (synthetic articles, in CI) and bench/crash.py (1,000 real articles, by
hand) share.

Each run is a child process (``python -m tests.crashes DATA_DIR CORPUS``) that ingests
``CORPUS`` with the engine's own ``ingest`` and prints one line a batch as it is written,
so a kill can be aimed inside the ingest (after start-up, between or during batches) rather
than at a time guessed from the outside.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NO_MODELS = ROOT / ".no-models-in-tests"


@dataclass
class Run:
    """One child run: when it started ingesting and when each batch was written."""

    ready_at: float = 0.0
    batches: list[float] = field(default_factory=list)
    exit_code: int | None = None


@dataclass
class Kill:
    after_batches: int
    """Batches the killed run had written (in that run) when it was killed."""
    seconds_after_last: float
    """Seconds between its last line (start-up or batch) and the kill."""
    complete: int = 0
    records: int = 0
    passages: int = 0
    """The store after the kill: complete article records, all records, passages."""


def synthetic_corpus(path: Path, count: int) -> None:
    """``count`` articles of nine shuffled seed sentences each, as JSONL, for quick kills."""
    seed = next((ROOT / "seeds").glob("*.txt")).read_text().replace("\n", " ")
    sentences = [s.strip() + "." for s in seed.split(". ") if s.strip()]
    rng = random.Random(7)
    with path.open("w") as out:
        for i in range(count):
            body = " ".join(rng.sample(sentences, 9))
            out.write(json.dumps({"title": f"Report {i}", "text": body,
                                  "url": f"https://news.example/{i}",
                                  "published_at": f"2023-09-{1 + i % 28:02d}"}) + "\n")


def start_ingest(data_dir: Path, corpus: Path, batch: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env["QA_MODELS_DIR"] = str(NO_MODELS)  # an installed local model is not for these tests
    env.update(QA_DATA_DIR=str(data_dir), QA_INGEST_BATCH=str(batch),
               PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-m", "tests.crashes", str(data_dir), str(corpus)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, bufsize=1)


def _follow(proc: subprocess.Popen[str], stop_after: int | None) -> Run:
    """Read the child's lines until it exits, or until it has written ``stop_after`` batches
    (``0``: until it is ready to ingest)."""
    assert proc.stdout is not None
    run = Run()
    for line in proc.stdout:
        if line.startswith("ready"):
            run.ready_at = time.monotonic()
        elif line.startswith("batch"):
            run.batches.append(time.monotonic())
        if stop_after is not None and run.ready_at and len(run.batches) >= stop_after:
            return run
    run.exit_code = proc.wait()
    return run


def clean_run(data_dir: Path, corpus: Path, batch: int) -> Run:
    """An uninterrupted ingest; fails with the child's stderr when it does not succeed."""
    proc = start_ingest(data_dir, corpus, batch)
    run = _follow(proc, None)
    if run.exit_code != 0:
        raise RuntimeError(f"the clean ingest failed: {proc.stderr.read() if proc.stderr else ''}")
    return run


def killed_runs(data_dir: Path, corpus: Path, batch: int, kills: int, clean: Run,
                seed: int) -> list[Kill]:
    """``kills`` runs, each killed with SIGKILL at a random point: after a random number of
    its batches (so that together they stop short of the whole ingest) plus a random part
    of a batch's time, which lands kills inside embedding and inside Chroma writes."""
    rng = random.Random(seed)
    gaps = [b - a for a, b in zip([clean.ready_at, *clean.batches], clean.batches, strict=False)]
    batch_seconds = statistics.median(gaps) if gaps else 1.0
    share = max(1, len(clean.batches) // (kills + 1))
    out = []
    for _ in range(kills):
        proc = start_ingest(data_dir, corpus, batch)
        target = rng.randint(0, share - 1)
        run = _follow(proc, target)
        last = run.batches[-1] if run.batches else run.ready_at
        time.sleep(rng.uniform(0, batch_seconds))
        if proc.poll() is not None:
            raise RuntimeError(f"the ingest finished before kill {len(out) + 1}: aim earlier")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for pipe in (proc.stdout, proc.stderr):
            if pipe:
                pipe.close()
        kill = Kill(after_batches=len(run.batches),
                    seconds_after_last=round(time.monotonic() - last, 3))
        kill.complete, kill.records, kill.passages = store_counts(data_dir)
        out.append(kill)
    return out


def store_counts(data_dir: Path) -> tuple[int, int, int]:
    """Complete article records, all article records, passages: read in a child process, so
    this process never holds a Chroma client open on a folder another process writes."""
    code = ("import chromadb, json, sys; c = chromadb.PersistentClient(sys.argv[1]); "
            "a = c.get_or_create_collection('articles', embedding_function=None)"
            ".get(include=['metadatas']); "
            "p = c.get_or_create_collection('passages', embedding_function=None).count(); "
            "print(json.dumps([sum(bool(m.get('complete')) for m in a['metadatas']), "
            "len(a['ids']), p]))")
    out = subprocess.run([sys.executable, "-c", code, str(data_dir)], capture_output=True,
                         text=True, check=True, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
    complete, records, passages = json.loads(out.stdout.strip().splitlines()[-1])
    return int(complete), int(records), int(passages)


def snapshot(data_dir: Path) -> dict[str, Any]:
    """What a store holds, by id, as content hashes: each passage's text, offsets, article
    and vector (rounded to 4 decimals), and each article record's fields but the time it was
    ingested. Two stores with equal snapshots hold the same passages and articles."""
    code = ("import json, sys; from tests.crashes import _snapshot_here; "
            "print(json.dumps(_snapshot_here(sys.argv[1])))")
    out = subprocess.run([sys.executable, "-c", code, str(data_dir)], capture_output=True,
                         text=True, check=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT),
                              "ANONYMIZED_TELEMETRY": "False"})
    snap: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return snap


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:20]


def _snapshot_here(data_dir: str) -> dict[str, Any]:
    import chromadb

    client = chromadb.PersistentClient(data_dir)
    got = client.get_collection("passages").get(include=["documents", "metadatas", "embeddings"])
    passages = {pid: _digest([doc, meta, [round(float(x), 4) for x in vec]])
                for pid, doc, meta, vec in zip(got["ids"], got["documents"], got["metadatas"],
                                               got["embeddings"], strict=True)}
    got = client.get_collection("articles").get(include=["documents", "metadatas"])
    articles = {aid: _digest([doc, {k: v for k, v in meta.items() if k != "ingested_at"}])
                for aid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"],
                                          strict=True)}
    return {"passages": passages, "articles": articles}


def as_dicts(kills: list[Kill]) -> list[dict[str, Any]]:
    return [asdict(k) for k in kills]


def _child(data_dir: str, corpus: str) -> int:
    from qa.config import Settings
    from qa.engine import QAEngine

    engine = QAEngine(Settings(_env_file=None, data_dir=Path(data_dir)))  # type: ignore[call-arg]
    print("ready", flush=True)

    def progress(articles: int, passages: int) -> None:
        if passages:
            print(f"batch {articles} {passages}", flush=True)

    report = engine.ingest([corpus], progress=progress)
    print("done " + json.dumps(report.counts()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1], sys.argv[2]))
