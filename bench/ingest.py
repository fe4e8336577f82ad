"""Ingest speed, beside the stock LlamaIndex pipeline and the embedding floor, in one run.

    python bench/ingest.py [--limit 300] [--repeat 2] [--quick]

Three ways to put the first ``--limit`` RealTimeQA 2023 articles (de-duplicated by URL) into a
fresh store, each run in its own process (so peak RSS is its own), interleaved
``ours stock floor ours stock floor ...``, medians reported:

- ours: ``QAEngine.ingest_items`` (chunking, embedding, Chroma writes, idempotence records);
- stock: what a user would write with LlamaIndex: ``Document`` per article (title as
  metadata) → ``IngestionPipeline([SentenceSplitter(chunk_size=200, chunk_overlap=20),
  <the same MiniLM embedder>], vector_store=ChromaVectorStore)``, run 200 articles at a time
  (one run over more than 5,461 nodes fails in Chroma after all the embedding is done);
- floor: our own passages (read back from the first "ours" store), embedded alone in one
  call: what our chunking costs the model, with nothing else.

Time inside ``onnxruntime.InferenceSession.run`` is measured by wrapping that method from here,
so the report says how much of each ingest is the model's forward pass and how much is the
rest (tokenising, splitting, Chroma writes, ...). Retrieval hit@10 of the ours and stock
stores is measured on the RealTimeQA questions whose right answer occurs as whole words in
their own search results within the corpus: a hit is a retrieved passage that contains one
such occurrence (by article and character offsets), so speed is never bought with a worse index.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import corpus
from common import ROOT, Timer, peak_rss_mb, publish, rss_mb, table, verdict

MODES = ("ours", "stock", "floor")
STOCK_DOCS_PER_RUN = 200


class ForwardClock:
    """Wall time during which any ``InferenceSession.run`` is in progress (overlapping calls
    count once), with the real and padded tokens fed to the model."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0
        self.tokens = 0
        self.padded = 0
        self._active = 0
        self._since = 0.0
        self._lock = threading.Lock()

    def install(self) -> None:
        import onnxruntime as ort

        original = ort.InferenceSession.run
        clock = self

        def run(session: Any, output_names: Any, input_feed: Any, *args: Any, **kw: Any) -> Any:
            clock._enter(input_feed)
            try:
                return original(session, output_names, input_feed, *args, **kw)
            finally:
                clock._exit()

        ort.InferenceSession.run = run

    def reset(self) -> None:
        self.seconds, self.calls, self.tokens, self.padded = 0.0, 0, 0, 0

    def _enter(self, feed: Any) -> None:
        mask = feed.get("attention_mask") if isinstance(feed, dict) else None
        with self._lock:
            self.calls += 1
            if mask is not None:
                self.tokens += int(mask.sum())
                self.padded += int(mask.size)
            if self._active == 0:
                self._since = time.perf_counter()
            self._active += 1

    def _exit(self) -> None:
        with self._lock:
            self._active -= 1
            if self._active == 0:
                self.seconds += time.perf_counter() - self._since


# -- workers (one process each) ----------------------------------------------------------
def _embedder() -> Any:
    from qa.config import Settings
    from qa.index.embedding import build_embedder

    return build_embedder(Settings())


def _gold(articles: list[Any]) -> list[tuple[str, list[tuple[str, int, int]]]]:
    """(question, gold occurrences as (article id, start, end)) of the answerable questions."""
    from eval.datasets import whole_words

    texts = {a.id: a.text for a in articles}
    out = []
    for q in corpus.answerable(articles, own_sources=True):
        pattern = whole_words(q.answer)
        spans = [(i, m.start(), m.end()) for i in q.articles for m in pattern.finditer(texts[i])]
        out.append((q.question, spans))
    return out


def _hit_rate(gold: list[tuple[str, list[tuple[str, int, int]]]],
              search: Callable[[str], list[tuple[str, int, int]]]) -> float:
    hits = 0
    for question, spans in gold:
        found = search(question)
        hits += any(a == g and s <= gs and ge <= e for a, s, e in found for g, gs, ge in spans)
    return round(hits / len(gold), 4) if gold else float("nan")


def work_ours(path: Path, limit: int, clock: ForwardClock) -> dict[str, Any]:
    from qa.config import Settings
    from qa.engine import QAEngine

    embedder = _embedder()
    engine = QAEngine(Settings(data_dir=path, seeds_dir=path / "none"), embedder=embedder)
    articles = corpus.articles(limit)
    rss_before = rss_mb()
    clock.reset()
    with Timer() as timer:
        report = engine.ingest_items(articles)
    measured = _measures(timer.seconds, len(articles), report.passages, clock, rss_before)
    passages = _collection(path, "passages")
    gold = _gold(articles)

    def dense(question: str) -> list[tuple[str, int, int]]:
        got = passages.query(query_embeddings=[embedder.embed_one(question).tolist()],
                             n_results=10, include=["metadatas"])
        return [(m["article_id"], int(m["start"]), int(m["end"])) for m in got["metadatas"][0]]

    def hybrid(question: str) -> list[tuple[str, int, int]]:
        return [(h.article_id, h.start, h.end) for h in engine.retriever.retrieve(question, 10)]

    return measured | {"hit@10": _hit_rate(gold, dense), "hit@10_hybrid": _hit_rate(gold, hybrid),
                       "questions": len(gold)}


def work_stock(path: Path, limit: int, clock: ForwardClock) -> dict[str, Any]:
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import Document, VectorStoreIndex
    from llama_index.core.ingestion import IngestionPipeline
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from qa.integrations.llama_index import as_llama_embedding

    model = as_llama_embedding(_embedder())
    client = chromadb.PersistentClient(path=str(path),
                                       settings=ChromaSettings(anonymized_telemetry=False))
    store = ChromaVectorStore(chroma_collection=client.get_or_create_collection("stock"))
    articles = corpus.articles(limit)
    rss_before = rss_mb()
    clock.reset()
    nodes = 0
    with Timer() as timer:
        documents = [Document(text=a.text, id_=a.id, metadata={"title": a.title})
                     for a in articles]
        pipeline = IngestionPipeline(
            transformations=[SentenceSplitter(chunk_size=200, chunk_overlap=20), model],
            vector_store=store)
        for first in range(0, len(documents), STOCK_DOCS_PER_RUN):
            nodes += len(pipeline.run(documents=documents[first:first + STOCK_DOCS_PER_RUN]))
    measured = _measures(timer.seconds, len(articles), nodes, clock, rss_before)
    retriever = VectorStoreIndex.from_vector_store(store, embed_model=model).as_retriever(
        similarity_top_k=10)

    def dense(question: str) -> list[tuple[str, int, int]]:
        return [(str(n.node.ref_doc_id), int(getattr(n.node, "start_char_idx", 0) or 0),
                 int(getattr(n.node, "end_char_idx", 0) or 0))
                for n in retriever.retrieve(question)]

    gold = _gold(articles)
    return measured | {"hit@10": _hit_rate(gold, dense), "questions": len(gold)}


def work_floor(path: Path, limit: int, clock: ForwardClock) -> dict[str, Any]:
    embedder = _embedder()
    texts = [t for t in _collection(path, "passages").get(include=["documents"])["documents"]
             if t is not None]
    rss_before = rss_mb()
    clock.reset()
    with Timer() as timer:
        embedder.embed(texts)
    return _measures(timer.seconds, limit, len(texts), clock, rss_before)


def _collection(path: Path, name: str) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(path=str(path),
                                       settings=ChromaSettings(anonymized_telemetry=False))
    return client.get_collection(name)


def _measures(seconds: float, articles: int, passages: int, clock: ForwardClock,
              rss_before: float) -> dict[str, Any]:
    return {
        "seconds": round(seconds, 3), "articles": articles, "passages": passages,
        "articles_per_s": round(articles / seconds, 3),
        "passages_per_s": round(passages / seconds, 2),
        "forward_s": round(clock.seconds, 3), "forward_share": round(clock.seconds / seconds, 4),
        "rest_s": round(seconds - clock.seconds, 3),
        "rest_share": round(1 - clock.seconds / seconds, 4),
        "tokens_per_article": round(clock.tokens / articles, 1),
        "forward_ms_per_1k_tokens": round(clock.seconds * 1e6 / max(clock.padded, 1), 3),
        "padded_tokens_per_article": round(clock.padded / articles, 1),
        "model_calls": clock.calls, "rss_before_mb": round(rss_before, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def worker(mode: str, path: Path, limit: int) -> None:
    clock = ForwardClock()
    clock.install()
    work = {"ours": work_ours, "stock": work_stock, "floor": work_floor}[mode]
    print(json.dumps(work(path, limit, clock)))


# -- the parent: interleave, aggregate, report --------------------------------------------
def run_child(mode: str, path: Path, limit: int) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__)), "--worker", mode, "--dir", str(path),
               "--limit", str(limit)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-3000:])
        raise SystemExit(f"bench: the {mode} run failed (exit {done.returncode})")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    keys = [k for k, v in runs[0].items() if isinstance(v, int | float)]
    return {k: round(statistics.median(r[k] for r in runs), 4) for k in keys}


def report(limit: int, repeat: int, runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    med = {m: median_of(r) for m, r in runs.items()}
    ours, stock, floor = med["ours"], med["stock"], med["floor"]
    speed = ours["articles_per_s"] / stock["articles_per_s"]
    ratios = {
        "articles_per_s ours/stock": round(speed, 3),
        "articles_per_s ours/floor": round(ours["articles_per_s"] / floor["articles_per_s"], 3),
        "passages_per_s ours/stock": round(ours["passages_per_s"] / stock["passages_per_s"], 3),
        "tokens_per_article ours/stock": round(
            ours["tokens_per_article"] / stock["tokens_per_article"], 3),
        "articles_per_s floor/stock (our chunking's bound)": round(
            floor["articles_per_s"] / stock["articles_per_s"], 3),
        "padded tokens/article ours/stock": round(
            ours["padded_tokens_per_article"] / stock["padded_tokens_per_article"], 3),
        "hit@10 ours-stock": round(ours["hit@10"] - stock["hit@10"], 4),
        "peak_rss ours/stock": round(ours["peak_rss_mb"] / stock["peak_rss_mb"], 3),
    }
    targets = [
        {"target": "ingest articles/s ≥ 1.2× stock at equal or better hit@10",
         "measured": f"{speed:.2f}×, hit@10 {ours['hit@10']:.3f} vs {stock['hit@10']:.3f}; "
                     f"bound: the floor (our passages, embedding only) runs "
                     f"{floor['articles_per_s'] / stock['articles_per_s']:.2f}× stock, the "
                     f"forward pass is {stock['forward_share']:.0%} of stock's time",
         "result": verdict(speed >= 1.2 and ours["hit@10"] >= stock["hit@10"])},
        {"target": "all but the forward pass ≤ 5% of our ingest wall time",
         "measured": f"{ours['rest_share']:.1%} ({ours['rest_s']:.1f} s of "
                     f"{ours['seconds']:.1f} s)",
         "result": verdict(ours["rest_share"] <= 0.05)},
    ]
    return {"limit": limit, "repeat": repeat, "runs": runs, "median": med, "ratios": ratios,
            "targets": targets}


def markdown(data: dict[str, Any]) -> str:
    rows = []
    names = {"ours": "articleqa (QAEngine.ingest)",
             "stock": "stock LlamaIndex (SentenceSplitter 200/20 + IngestionPipeline)",
             "floor": "floor: embed our passages only"}
    for mode in MODES:
        m = data["median"][mode]
        rows.append({"pipeline": names[mode], "articles/s": m["articles_per_s"],
                     "passages/s": m["passages_per_s"], "passages": int(m["passages"]),
                     "tokens/article": m["tokens_per_article"],
                     "padded tokens/article": m["padded_tokens_per_article"],
                     "forward pass": f"{m['forward_share']:.1%}",
                     "forward ms / 1k padded tokens": m["forward_ms_per_1k_tokens"],
                     "rest": f"{m['seconds'] - m['forward_s']:.1f} s",
                     "peak RSS MB": m["peak_rss_mb"],
                     "hit@10": m.get("hit@10", "")})
    columns = list(rows[0])
    ratio_rows = [{"ratio": k, "value": v} for k, v in data["ratios"].items()]
    questions = int(data["median"]["ours"]["questions"])
    return "\n\n".join([
        f"## Ingest: {data['limit']} RealTimeQA 2023 articles, median of {data['repeat']} "
        "interleaved runs",
        table(rows, columns),
        f"hit@10 over {questions} questions whose answer is in their own search results "
        f"(dense retrieval of each store); our hybrid retriever: "
        f"{data['median']['ours']['hit@10_hybrid']:.3f}.",
        table(ratio_rows, ["ratio", "value"]),
        table(data["targets"], ["target", "measured", "result"]),
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=300, help="articles (default 300)")
    parser.add_argument("--repeat", type=int, default=2, help="interleaved repetitions")
    parser.add_argument("--quick", action="store_true", help="smoke run: 40 articles, once")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--worker", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    corpus.require_data()
    if args.worker:
        worker(args.worker, args.dir, args.limit)
        return 0
    limit, repeat = (40, 1) if args.quick else (args.limit, args.repeat)
    minutes = limit * repeat * 3 * 12 / 40 / 60 * 1.3
    print(f"bench: ingest of {limit} articles × 3 pipelines × {repeat} repetitions, about "
          f"{minutes:.0f} min on an idle 2-core machine (load average now "
          f"{os.getloadavg()[0]:.1f}: more if busy)", file=sys.stderr, flush=True)
    runs: dict[str, list[dict[str, Any]]] = {m: [] for m in MODES}
    with tempfile.TemporaryDirectory(prefix="articleqa-bench-") as tmp:
        for rep in range(repeat):
            for mode in MODES:
                # the floor embeds the passages of the first "ours" store
                where = Path(tmp) / ("ours-0" if mode == "floor" else f"{mode}-{rep}")
                result = run_child(mode, where, limit)
                runs[mode].append(result)
                print(f"  {mode} #{rep + 1}: {result['articles_per_s']:.2f} articles/s, "
                      f"{result['passages_per_s']:.1f} passages/s, forward "
                      f"{result['forward_share']:.1%}", file=sys.stderr, flush=True)
    data = report(limit, repeat, runs)
    publish("ingest", data, markdown(data), write=not (args.no_write or args.quick))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
