"""Question latency and throughput over HTTP, beside the bare floor and stock LlamaIndex.

    python bench/query.py [--sizes 1000,6000,60000] [--repeat 2] [--requests 30] [--quick]

For each corpus size the service runs as its own process (``uvicorn api.main:app``, extractive
mode, its RSS sampled with psutil) over a cached store (``--cache``, default
``~/.cache/articleqa-bench``): the whole RealTimeQA 2023 corpus (5,952 articles, ingested once:
slow), its first 1,000 articles, and ten copies of it under new ids (59,520 articles: records,
texts and vectors copied, nothing re-embedded). Distinct RealTimeQA questions, cycled, are
asked through ``POST /api/ask`` by 1, 4 and 16 client threads, interleaved per repetition with,
in this process over the same store, the bare floor (question embedding + one Chroma query of
10) and a stock LlamaIndex ``VectorStoreIndex`` retriever (top 10) over the same collection.
In LLM mode, the time to the first ``token`` event of a streamed ``/api/chat`` is compared
with the time to the first chunk of the scripted upstream (``tests/fake_llm.py``, a fixed
delay before its first chunk) asked directly with the ``openai`` client.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import corpus
import httpx
import psutil
from common import percentiles, publish
from query_report import VECTOR_BYTES, markdown, targets
from serving import Sampler, Service, cpu_seconds, load

CONCURRENCY = (1, 4, 16)
LLM_DELAY_S = 0.25


# -- stores ------------------------------------------------------------------------------
def ensure_stores(cache: Path, base_size: int, sizes: list[int], rebuild: bool
                  ) -> dict[int, Path]:
    """The store of each size, building what the cache lacks (the base by ingesting)."""
    import shutil

    base = corpus.store_dir(cache, base_size)
    if rebuild:
        shutil.rmtree(base, ignore_errors=True)
        for size in sizes:
            shutil.rmtree(corpus.store_dir(cache, size, base_size), ignore_errors=True)
    if not corpus.is_built(base):
        corpus.build_ingested(base, base_size)
    info = json.loads((base / "bench-complete.json").read_text())
    base_ids = _article_ids(base)
    stores = {}
    for size in sizes:
        path = base if size == base_size else corpus.store_dir(cache, size, base_size)
        if not corpus.is_built(path):
            copies = max(1, round(size / len(base_ids))) if size > base_size else 1
            keep = None if size > base_size else {a.id for a in corpus.articles(size)}
            print(f"bench: copying {path.name} from {base.name} ({copies} copies)",
                  file=sys.stderr, flush=True)
            started = time.perf_counter()
            counts = corpus.copy_store(base, path, keep, copies)
            corpus.mark_built(path, {"from": base.name, "copies": copies, "counts": counts,
                                     "seconds": round(time.perf_counter() - started, 1),
                                     "base": info})
        stores[size] = path
    return stores


def _article_ids(path: Path) -> list[str]:
    return list(corpus.chroma(path).get_collection("articles").get(include=[])["ids"])


def timed(fn: Callable[[str], object], questions: list[str]) -> list[float]:
    out = []
    for question in questions:
        started = time.perf_counter()
        fn(question)
        out.append(time.perf_counter() - started)
    return out


def in_process(store: Path, embedder: Any) -> tuple[Callable[[str], object],
                                                      Callable[[str], object]]:
    """The bare floor and the stock LlamaIndex retriever over the store's passages."""
    from llama_index.core import VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from qa.integrations.llama_index import as_llama_embedding

    passages = corpus.chroma(store).get_collection("passages")

    def floor(question: str) -> object:
        return passages.query(query_embeddings=[embedder.embed_one(question).tolist()],
                              n_results=10)

    stock_store = ChromaVectorStore(chroma_collection=passages)
    retriever = VectorStoreIndex.from_vector_store(
        stock_store, embed_model=as_llama_embedding(embedder)).as_retriever(similarity_top_k=10)
    return floor, retriever.retrieve


def measure_size(size: int, store: Path, embedder: Any, questions: Iterator[str],
                 repeat: int, requests: int, warmup: int) -> dict[str, Any]:
    service = Service(store)
    try:
        started = time.perf_counter()
        health = service.wait_ready()
        ready_s = time.perf_counter() - started
        rss_started = service.rss_mb()
        print(f"bench: {size}: service up in {ready_s:.1f} s ({health.get('articles')} articles,"
              f" {health.get('passages')} passages); warming up", file=sys.stderr, flush=True)
        started = time.perf_counter()
        with Sampler(service):
            load(service.url, [next(questions) for _ in range(warmup)], 1)
            warm_s = time.perf_counter() - started
            rss_warm = service.rss_mb()
            floor, stock = in_process(store, embedder)
            for q in [next(questions) for _ in range(3)]:
                floor(q)
                stock(q)
            rounds: list[dict[str, Any]] = []
            for rep in range(repeat):
                rounds.append(_round(service, floor, stock, questions, requests))
                rounds[-1]["load_average"] = [round(x, 2) for x in os.getloadavg()]
                last = rounds[-1]
                print(f"  {size} #{rep + 1}: ask p50 {last['ask_c1']['p50_ms']:.0f} ms, floor "
                      f"{last['floor']['p50_ms']:.0f} ms, stock {last['stock']['p50_ms']:.0f} ms;"
                      f" throughput " + ", ".join(
                          f"c{c} {last[f'ask_c{c}']['throughput']:.1f}/s" for c in CONCURRENCY),
                      file=sys.stderr, flush=True)
        passages = int(health.get("passages", 0))
        articles = int(health.get("articles", 0))
        raw_mb = (passages + articles) * VECTOR_BYTES / 2**20
        return {"articles": articles, "passages": passages, "ready_s": round(ready_s, 1),
                "first_questions_s": round(warm_s, 1),
                "rss_started_mb": round(rss_started, 1), "rss_warm_mb": round(rss_warm, 1),
                "rss_peak_mb": round(service.peak_rss, 1),
                "rss_per_100k_passages_mb": round(service.peak_rss / passages * 1e5, 1),
                "raw_vectors_mb": round(raw_mb, 1),
                "rss_limit_mb": round(1.5 * raw_mb + 300, 1),
                "rounds": rounds, "median": _median_rounds(rounds)}
    finally:
        service.stop()


def _round(service: Service, floor: Callable[[str], object], stock: Callable[[str], object],
           questions: Iterator[str], requests: int) -> dict[str, Any]:
    """One repetition: ask (1 client), floor, stock on the same questions; then 4 and 16."""
    chosen = [next(questions) for _ in range(requests)]
    out: dict[str, Any] = {}
    for clients in CONCURRENCY:
        asked = chosen if clients == 1 else [next(questions) for _ in range(requests * 2)]
        clients_process = psutil.Process()  # the HTTP clients share the cores with the service
        cpu, machine, mine = service.cpu_s(), psutil.cpu_times(), cpu_seconds(clients_process)
        result = load(service.url, asked, clients)
        answered = max(len(result["latencies"]), 1)
        cpu_per_request = (service.cpu_s() - cpu) / answered
        client_per_request = (cpu_seconds(clients_process) - mine) / answered
        after = psutil.cpu_times()
        idle = (after.idle - machine.idle) + (after.iowait - machine.iowait)
        busy = 1 - idle / max(sum(after) - sum(machine), 1e-9)
        out[f"ask_c{clients}"] = percentiles(result["latencies"]) | {
            "throughput": round(result["throughput"], 3), "errors": len(result["errors"]),
            "first_error": result["errors"][0] if result["errors"] else "",
            "server_cpu_ms_per_request": round(cpu_per_request * 1000, 1),
            "client_cpu_ms_per_request": round(client_per_request * 1000, 1),
            "machine_busy": round(busy, 3),
            "server_ms": {k: round(statistics.median(t.get(k, 0.0) for t in result["server"]),
                                   1) for k in ("retrieve", "answer", "total")}
            if result["server"] else {}}
        if clients == 1:
            out["floor"] = percentiles(timed(floor, chosen))
            out["stock"] = percentiles(timed(stock, chosen))
    return out


def _median_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, first in rounds[0].items():
        if not isinstance(first, dict):
            continue
        out[key] = {k: round(statistics.median(r[key][k] for r in rounds), 3)
                    for k, v in first.items() if isinstance(v, int | float)}
        if first.get("server_ms"):
            out[key]["server_ms"] = {k: round(statistics.median(
                r[key]["server_ms"][k] for r in rounds), 1) for k in first["server_ms"]}
    return out


# -- LLM mode: time to first token -------------------------------------------------------
def measure_ttft(store: Path, questions: Iterator[str], repeat: int, n: int) -> dict[str, Any]:
    from openai import OpenAI

    from tests.fake_llm import ScriptedLLM, Step, start

    llm = ScriptedLLM()
    reply = "The articles say so [1]. That is what they report [1]."
    llm.script.extend(Step(content=reply, delay=LLM_DELAY_S) for _ in range(10_000))
    upstream = start(llm)
    service = Service(store, {"QA_ANSWERER": "llm", "QA_LLM_BASE_URL": llm.url,
                              "QA_LLM_MODEL": "scripted", "QA_LLM_API_KEY": "bench-key"})
    direct_client = OpenAI(base_url=llm.url, api_key="bench-key", max_retries=0)
    try:
        service.wait_ready()
        with httpx.Client(base_url=service.url, timeout=120) as http:
            for _ in range(3):
                _service_ttft(http, next(questions))
                _direct_ttft(direct_client, next(questions))
            direct: list[float] = []
            served: list[float] = []
            retrieve: list[float] = []
            for _ in range(repeat):
                for q in [next(questions) for _ in range(n)]:
                    direct.append(_direct_ttft(direct_client, q))
                    took, timings = _service_ttft(http, q)
                    served.append(took)
                    retrieve.append(timings.get("retrieve", float("nan")))
        d, s = statistics.median(direct), statistics.median(served)
        return {"upstream_delay_ms": LLM_DELAY_S * 1000, "direct": percentiles(direct),
                "service": percentiles(served), "ratio": round(s / d, 3),
                "added_ms": round((s - d) * 1000, 1),
                "service_retrieve_ms": round(statistics.median(retrieve), 1)}
    finally:
        service.stop()
        upstream.shutdown()


def _direct_ttft(client: Any, question: str) -> float:
    started = time.perf_counter()
    stream = client.chat.completions.create(
        model="scripted", stream=True, messages=[{"role": "user", "content": question}])
    took = float("nan")
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            took = time.perf_counter() - started
            break
    stream.close()
    return took


def _service_ttft(http: httpx.Client, question: str) -> tuple[float, dict[str, float]]:
    """Seconds to the first ``token`` event, and the answer's timings from ``done``."""
    started = time.perf_counter()
    took = float("nan")
    timings: dict[str, float] = {}
    body = {"messages": [{"role": "user", "content": question}], "stream": True}
    with http.stream("POST", "/api/chat", json=body) as got:
        if got.status_code != 200:
            raise SystemExit(f"bench: /api/chat answered {got.status_code}: {got.read()[:200]!r}")
        event = ""
        for line in got.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
                if event == "token" and took != took:
                    took = time.perf_counter() - started
            elif line.startswith("data:") and event == "done":
                timings = json.loads(line[5:]).get("timings_ms", {})
    return took, timings


# -- report --------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,6000,60000", help="articles per corpus")
    parser.add_argument("--repeat", type=int, default=2, help="interleaved repetitions")
    parser.add_argument("--requests", type=int, default=30,
                        help="questions a round at 1 client (twice that at 4 and 16)")
    parser.add_argument("--ttft-questions", type=int, default=15,
                        help="questions a round for time to first token")
    parser.add_argument("--cache", type=Path, default=corpus.DEFAULT_CACHE)
    parser.add_argument("--base", type=int, default=corpus.FULL,
                        help="articles ingested for real; larger sizes are copies of it")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached stores")
    parser.add_argument("--no-llm", action="store_true", help="skip the LLM time to first token")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: a 60-article store and 3 copies, few questions")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    corpus.require_data()
    if args.quick:
        args.base, sizes, args.repeat, args.requests, args.ttft_questions = 60, [60, 180], 1, 8, 4
    else:
        sizes = sorted(int(s) for s in args.sizes.split(","))
    stores = ensure_stores(args.cache, args.base, sizes, args.rebuild)
    from qa.config import Settings
    from qa.index.embedding import build_embedder

    embedder = build_embedder(Settings())
    questions = itertools.cycle(corpus.all_questions())
    results: dict[int, dict[str, Any]] = {}
    for size in sizes:
        results[size] = measure_size(size, stores[size], embedder, questions, args.repeat,
                                     args.requests, warmup=10)
    ttft = None if args.no_llm else measure_ttft(stores[sizes[0]], questions, args.repeat,
                                                 args.ttft_questions)
    mid = args.base if args.base in sizes else sizes[0]
    big = max(sizes)
    grow_from = mid if big > mid else sizes[0]
    data = {"repeat": args.repeat, "requests": args.requests, "sizes": results, "ttft": ttft,
            "targets": targets(results, ttft, mid, big, grow_from),
            "stores": {s: json.loads((p / "bench-complete.json").read_text())
                       for s, p in stores.items()}}
    publish("query", data, markdown(data), write=not (args.no_write or args.quick))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
