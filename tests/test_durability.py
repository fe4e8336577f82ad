"""Server mode against a real ``chroma run``, and an ingest killed partway then resumed."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from qa.embedding import Embedder
from qa.engine import QAEngine
from qa.errors import StoreError
from tests.conftest import ROOT, SEEDS, free_port, make_settings
from tests.invariants import check_invariants


@pytest.mark.slow
def test_server_mode_against_chroma_run(chroma_server: tuple[str, int], embedder: Embedder,
                                        tmp_path: Path) -> None:
    host, port = chroma_server
    settings = make_settings(tmp_path / "unused", chroma_host=host, chroma_port=port)
    engine = QAEngine(settings, embedder=embedder)
    assert engine.ingest([str(SEEDS)]).counts()["new"] == 1
    assert not (tmp_path / "unused").exists(), "server mode must not write a local store"
    answer = engine.ask("How many people died in the shootout?")
    assert "four" in answer.answer
    check_invariants(answer, engine)
    other = QAEngine(settings, embedder=embedder)  # a second service sharing the server
    assert other.ingest([str(SEEDS)]).counts()["unchanged"] == 1
    assert other.stats()["passages"] == engine.stats()["passages"] > 0
    other.delete_article(answer.citations[0].article_id)
    assert engine.stats()["articles"] == 0
    # the BM25 index of the first engine notices the other's delete
    assert engine.ask("How many people died in the shootout?").refused


def test_an_unreachable_chroma_server_is_a_clear_error(embedder: Embedder, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, chroma_host="127.0.0.1", chroma_port=free_port())
    with pytest.raises(StoreError, match=r"cannot open the Chroma store at 127\.0\.0\.1"):
        QAEngine(settings, embedder=embedder)


def _corpus(path: Path, count: int) -> None:
    sentences = [s.strip() + "." for s in SEEDS.joinpath(
        "000_722e9596503a7325.txt").read_text().replace("\n", " ").split(". ") if s.strip()]
    rng = random.Random(7)
    with path.open("w") as out:
        for i in range(count):
            body = " ".join(rng.sample(sentences, 9))
            out.write(json.dumps({"title": f"Report {i}", "text": body,
                                  "url": f"https://news.example/{i}",
                                  "published_at": f"2023-09-{1 + i % 28:02d}"}) + "\n")


def _snapshot(data_dir: Path, embedder: Embedder) -> dict[str, Any]:
    store = QAEngine(make_settings(data_dir), embedder=embedder).store
    got = store.passages.get(include=["documents", "metadatas", "embeddings"])
    passages = {
        pid: (doc, meta["article_id"], meta["start"], meta["end"], [round(x, 4) for x in emb])
        for pid, doc, meta, emb in zip(got["ids"], got["documents"], got["metadatas"],
                                       got["embeddings"], strict=True)
    }
    articles = store.articles.get(include=["metadatas"])
    hashes = {i: m["text_hash"] for i, m in zip(articles["ids"], articles["metadatas"],
                                                  strict=True)}
    return {"passages": passages, "articles": hashes}


def _ingest(data_dir: Path, corpus: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(QA_DATA_DIR=str(data_dir), QA_INGEST_BATCH="6")
    return subprocess.Popen([sys.executable, "-m", "qa.cli", "ingest", str(corpus)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_an_ingest_killed_partway_resumes_to_a_clean_result(tmp_path: Path,
                                                            embedder: Embedder) -> None:
    corpus = tmp_path / "corpus.jsonl"
    _corpus(corpus, 60)
    clean = _ingest(tmp_path / "clean", corpus)
    started = time.monotonic()
    assert clean.wait(timeout=600) == 0, clean.stderr.read() if clean.stderr else ""
    full_run = time.monotonic() - started
    rng = random.Random(11)
    kills = 0
    for _ in range(4):
        proc = _ingest(tmp_path / "killed", corpus)
        time.sleep(rng.uniform(0.3, 0.9) * full_run)
        if proc.poll() is not None:
            break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
    assert kills >= 1, "the ingest finished before it could be killed"
    final = _ingest(tmp_path / "killed", corpus)
    assert final.wait(timeout=600) == 0
    assert _snapshot(tmp_path / "killed", embedder) == _snapshot(tmp_path / "clean", embedder)
