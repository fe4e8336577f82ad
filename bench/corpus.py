"""The benchmarks' corpus: RealTimeQA 2023 read from ``../shared/data`` (every week, the
search results de-duplicated by URL, in file order, so ``--limit N`` is always the same N
articles), its answerable questions, and stores built from it, cached outside the repo.

``python bench/corpus.py --size 6000`` builds the 6k store into the cache (the slow part of
``bench/query.py``; resumable: run it again after a crash and it carries on).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import Timer

from eval.datasets import DataMissing, whole_words
from qa.types import Article

DEFAULT_CACHE = Path.home() / ".cache" / "articleqa-bench"
FULL = 6000
"""The whole corpus is 5,961 articles; a size of 6000 means all of them."""


def data_root() -> Path:
    from eval.realtimeqa import default_dir

    return default_dir()


def require_data() -> Path:
    """The RealTimeQA folder, or exit 2 with one line saying where it was looked for."""
    from eval.realtimeqa import weeks

    root = data_root()
    if not weeks(root):
        print(f"bench: no RealTimeQA data in {root} (set QA_EVAL_DATA or put the data in "
              "../shared/data; see its README)", file=sys.stderr)
        raise SystemExit(2)
    return root


def articles(limit: int | None = None) -> list[Article]:
    """The first ``limit`` articles of the de-duplicated corpus (all when ``None``)."""
    from eval.realtimeqa import corpus, weeks

    root = require_data()
    out: list[Article] = []
    seen: set[str] = set()
    for item in corpus(root, weeks(root)):
        if isinstance(item, Article) and item.id not in seen and item.text.strip():
            seen.add(item.id)
            out.append(item)
            if limit and len(out) >= limit:
                break
    return out


@dataclass
class GoldQuestion:
    id: str
    question: str
    answer: str
    articles: list[str]
    """Ids of the corpus articles whose text holds the answer as whole words."""


def answerable(corpus: list[Article], own_sources: bool = False) -> list[GoldQuestion]:
    """RealTimeQA questions (every week) whose right answer occurs as whole words in an
    article of ``corpus`` (with ``own_sources``: in one of the question's own search results,
    as ``eval.realtimeqa`` picks them): the ones whose retrieval can be scored (hit@k).
    Answers that cannot be told apart in text (numbers, yes/no) are left out, as in ``eval``."""
    from eval.realtimeqa import _results, locatable, questions, weeks
    from qa.sources.articles import canonical_url

    root = require_data()
    chosen = weeks(root)
    by_url = {a.url: a for a in corpus}
    sources: dict[str, list[Article]] = {}
    for key, result in _results(root, chosen):
        article = by_url.get(canonical_url(result["url"]))
        if article is not None and article not in sources.setdefault(key, []):
            sources[key].append(article)
    out = []
    for row in questions(root, chosen):
        if not locatable(row["reference"]):
            continue
        pattern = whole_words(row["reference"])
        pool = sources.get(row["key"], []) if own_sources else corpus
        holding = [a.id for a in pool if pattern.search(a.text)]
        if holding:
            out.append(GoldQuestion(row["id"], row["question"], row["reference"], holding))
    return out


def all_questions() -> list[str]:
    """Every distinct RealTimeQA question sentence, in file order (the query load)."""
    from eval.realtimeqa import questions, weeks

    root = require_data()
    seen: dict[str, None] = {}
    for row in questions(root, weeks(root)):
        seen.setdefault(row["question"].strip(), None)
    return [q for q in seen if q]


def store_dir(cache: Path, size: int, base: int | None = None) -> Path:
    """Where a store is cached, per embedder (a store refuses another embedder anyway): the
    first ``size`` articles ingested (``base`` None), or copied from the store of the first
    ``base`` articles (fewer: a subset; more: copies). After a change to chunking, rebuild
    (``--rebuild``)."""
    from qa.index.embedding import LOCAL_IDENTITY

    def label(n: int) -> str:
        return "all" if n == FULL else str(n)

    model = LOCAL_IDENTITY.rsplit(":", 1)[-1]
    if base is None:
        return cache / f"rtqa-{label(size)}-{model}"
    return cache / f"rtqa-{label(size)}-from-{label(base)}-{model}"


def is_built(path: Path) -> bool:
    return (path / "bench-complete.json").is_file()


def mark_built(path: Path, info: dict[str, Any]) -> None:
    (path / "bench-complete.json").write_text(json.dumps(info, indent=2) + "\n")


def build_ingested(path: Path, size: int) -> dict[str, Any]:
    """Ingest the first ``size`` articles into the store at ``path`` through ``QAEngine``
    (resumable: a rerun after a crash skips what is already complete)."""
    from qa.config import Settings
    from qa.engine import QAEngine

    chosen = articles(None if size >= FULL else size)
    engine = QAEngine(Settings(data_dir=path, seeds_dir=path / "no-seeds"))
    done = [0, 0, time.perf_counter()]

    def progress(new_articles: int, passages: int) -> None:
        done[0] += new_articles
        done[1] += passages
        if passages:
            rate = done[1] / max(time.perf_counter() - done[2], 1e-9)
            print(f"  {done[0]}/{len(chosen)} articles, {done[1]} passages "
                  f"({rate:.0f} passages/s)", file=sys.stderr, flush=True)

    print(f"bench: building {path} from {len(chosen)} articles (about "
          f"{len(chosen) * 12 / 40 / 60:.0f} min at ~40 passages/s, an idle 2-core machine; "
          f"load average now {os.getloadavg()[0]:.1f}; resumable)", file=sys.stderr, flush=True)
    with Timer() as timer:
        report = engine.ingest_items(chosen, progress)
    info = {"articles": engine.count_articles(), "passages": engine.store.count_passages(),
            "seconds": round(timer.seconds, 1), "counts": report.counts(), "how": "ingested"}
    mark_built(path, info)
    return info


def chroma(path: Path) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(path=str(path),
                                     settings=ChromaSettings(anonymized_telemetry=False))


def copy_id(article_id: str, copy: int) -> str:
    """Copy 0 keeps the id; copy k gets another id of the same shape (24 hex digits)."""
    if copy == 0:
        return article_id
    return hashlib.sha256(f"{article_id}:copy{copy}".encode()).hexdigest()[:len(article_id)]


def _owner(collection: str, row: tuple[Any, ...]) -> str:
    """The article a copied record belongs to."""
    return str(row[0] if collection == "articles" else row[2]["article_id"])


def copy_store(source: Path, target: Path, keep: set[str] | None = None, copies: int = 1,
               page: int = 4000) -> dict[str, Any]:
    """A store of the same layout (``qa/store.py``) at ``target`` holding the articles of
    ``source`` whose ids are in ``keep`` (all when ``None``), ``copies`` times: the records,
    documents and vectors are copied (no embedding), copy k under new article and passage
    ids. Collections other than ``articles`` and ``passages`` are copied once, verbatim."""
    src, dst = chroma(source), chroma(target)
    batch = int(dst.get_max_batch_size())
    counts: dict[str, int] = {}
    for name in [c.name for c in src.list_collections()]:
        origin = src.get_collection(name)
        into = dst.get_or_create_collection(name, metadata=origin.metadata,
                                            embedding_function=None)
        counts[name] = 0
        offset = 0
        while True:
            got = origin.get(include=["embeddings", "metadatas", "documents"], limit=page,
                             offset=offset)
            if not len(got["ids"]):
                break
            offset += len(got["ids"])
            rows = list(zip(got["ids"], got["embeddings"], got["metadatas"], got["documents"],
                            strict=True))
            if name in ("articles", "passages"):
                rows = [r for r in rows if keep is None or _owner(name, r) in keep]
            for copy in range(copies if name in ("articles", "passages") else 1):
                ids, metas = [], []
                for rid, _, meta, _ in rows:
                    meta = dict(meta or {}) or None
                    if name == "articles":
                        ids.append(copy_id(rid, copy))
                        if copy and meta is not None and meta.get("url"):
                            meta["url"] = f"{meta['url']}#copy{copy}"
                    elif name == "passages":
                        article, _, index = rid.rpartition(":")
                        ids.append(f"{copy_id(article, copy)}:{index}")
                        assert meta is not None
                        meta["article_id"] = copy_id(str(meta["article_id"]), copy)
                    else:
                        ids.append(rid)
                    metas.append(meta)
                for first in range(0, len(rows), batch):
                    part = slice(first, first + batch)
                    into.add(ids=ids[part], embeddings=[r[1] for r in rows[part]],
                             metadatas=metas[part], documents=[r[3] for r in rows[part]])
                counts[name] += len(rows)
            print(f"  {name}: {counts[name]} records copied", file=sys.stderr, flush=True)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=FULL, help="articles (6000 = all)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args()
    path = store_dir(args.cache, args.size)
    if is_built(path):
        print(f"bench: {path} is already built", file=sys.stderr)
        return 0
    print(json.dumps(build_ingested(path, args.size)))
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except DataMissing as exc:
        print(f"bench: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
