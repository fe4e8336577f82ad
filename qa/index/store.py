"""Chroma: the one place articleqa keeps state.

Collections: ``articles`` (one record an article: full text as the document, the vector of
headline and standfirst; a syndicated copy's record has no passages and names its canonical
article in ``copy_of``, and the canonical one lists its copies in ``copies``), ``passages``
(one record a passage), ``signatures`` (the MinHash signature of each canonical article's
body, from which the copy index is built: ``qa.index.copies``) and ``state`` (a generation
stamp that every write renews, so derived indexes such as BM25 know when they are stale).
Embedded ``PersistentClient`` by default, ``HttpClient`` when a Chroma host is set.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np

from qa.config import Settings
from qa.errors import EmbedderMismatch, NotFound, StoreError
from qa.index.pooling import StoredUnits, Units, decode_units, encode_units
from qa.index.records import article_from, article_meta, copies_in, passage_meta, summary
from qa.types import Article, Passage

Where = dict[str, Any]
_COMPLETE: Where = {"complete": True}


def _client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_host:
            return chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.data_dir), settings=chroma_settings)
    except Exception as exc:  # chromadb raises bare Exception/ValueError on connect failures
        where = (f"{settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host
                 else str(settings.data_dir))
        raise StoreError(f"cannot open the Chroma store at {where}: {exc}") from exc


class _Guarded:
    """A Chroma collection whose calls raise ``StoreError`` when the store cannot be reached
    (a Chroma server stopped or restarting), so callers answer "unavailable", not crash."""

    def __init__(self, collection: Any) -> None:
        self._collection = collection

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._collection, name)
        if not callable(found):
            return found

        def call(*args: Any, **kwargs: Any) -> Any:
            from chromadb.errors import InternalError

            try:
                return found(*args, **kwargs)
            except (httpx.TransportError, InternalError) as exc:
                raise StoreError(f"the Chroma store is unavailable: {exc}") from exc
        return call


SEARCH_EF = 400
"""Candidates Chroma's HNSW graph keeps while it searches (its default: 100). At 100 it
missed 5% of the exact 96 nearest passages of RealTimeQA questions (18k passages), among
them a gold passage that was second nearest; at 400, 0.3%, for about 1 ms more a query
(measured on the development weeks' store; ``bench/`` times whole questions)."""


def _search_wider(collection: Any) -> None:
    """Raise a collection's HNSW ``ef_search`` to ``SEARCH_EF`` (a store made before this
    setting existed too: it can change on a live collection, unlike the graph's shape)."""
    hnsw = (collection.configuration_json or {}).get("hnsw") or {}
    if int(hnsw.get("ef_search") or 0) < SEARCH_EF:
        collection.modify(configuration={"hnsw": {"ef_search": SEARCH_EF}})


class ArticleStore:
    """Articles and passages in Chroma, always written with our own vectors."""

    def __init__(self, settings: Settings, embedder_identity: str) -> None:
        self.client = _client(settings)
        self.identity = embedder_identity
        space = {"hnsw:space": "cosine", "embedder": embedder_identity}
        try:
            self.articles = _Guarded(self.client.get_or_create_collection(
                "articles", metadata=space, embedding_function=None))
            self.passages = _Guarded(self.client.get_or_create_collection(
                "passages", metadata=space, embedding_function=None))
            self.state = _Guarded(self.client.get_or_create_collection(
                "state", embedding_function=None))
            self.signatures = _Guarded(self.client.get_or_create_collection(
                "signatures", embedding_function=None))
            self.max_batch = int(self.client.get_max_batch_size())
            for vectors in (self.articles, self.passages):
                _search_wider(vectors)
        except Exception as exc:
            raise StoreError(f"cannot open the Chroma collections: {exc}") from exc
        built_with = (self.passages.metadata or {}).get("embedder")
        if built_with and built_with != embedder_identity:
            raise EmbedderMismatch(
                f"this store was built with the embedder {built_with!r} but this run uses "
                f"{embedder_identity!r}; set QA_EMBEDDER back, or use a new QA_DATA_DIR"
            )

    # -- state ---------------------------------------------------------------------------
    def generation(self) -> str:
        got = self.state.get(ids=["generation"], include=["documents"])
        docs = got.get("documents") or []
        return str(docs[0]) if docs else ""

    def _bump(self) -> None:
        self.state.upsert(ids=["generation"], documents=[uuid.uuid4().hex], embeddings=[[0.0]])

    # -- reads ---------------------------------------------------------------------------
    def count_articles(self) -> int:
        """Complete articles: all records but the few being (re)written. A metadata filter
        over the articles reads every record (13 ms at 1.5k articles), so the ids marked
        incomplete are kept in the small ``state`` collection and checked by id."""
        pending = self._pending()
        got = self.articles.get(ids=sorted(pending), include=["metadatas"]) if pending else None
        incomplete = sum(not (m or {}).get("complete") for m in got["metadatas"]) if got else 0
        return int(self.articles.count()) - incomplete

    def _pending(self) -> set[str]:
        """Ids that may be incomplete (a superset: a crash can leave a complete one listed).
        One ``state`` record an id, so concurrent writers never lose each other's marks."""
        if not self.state.get(ids=[_PENDING_LISTED], include=[])["ids"]:
            # a new store, or one from before the list: find them once, the slow way
            found = self.articles.get(where={"complete": False}, include=[])["ids"]
            self._mark_pending(sorted(found), True)
            self.state.upsert(ids=[_PENDING_LISTED], documents=["1"], embeddings=[[0.0]],
                              metadatas=[{"kind": "marker"}])
        got = self.state.get(where={"kind": "pending"}, include=[])
        return {pid.removeprefix(_PENDING_PREFIX) for pid in got["ids"]}

    def _mark_pending(self, ids: Sequence[str], pending: bool) -> None:
        for first in range(0, len(ids), self.max_batch):
            keys = [_PENDING_PREFIX + i for i in ids[first:first + self.max_batch]]
            if pending:
                self.state.upsert(ids=keys, documents=["pending"] * len(keys),
                                  embeddings=[[0.0]] * len(keys),
                                  metadatas=[{"kind": "pending"}] * len(keys))
            else:
                self.state.delete(ids=keys)

    def count_passages(self) -> int:
        return int(self.passages.count())

    def article_meta(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        got = self.articles.get(ids=list(ids), include=["metadatas"])
        return {i: dict(m or {}) for i, m in zip(got["ids"], got["metadatas"] or [], strict=True)}

    def ids_with_origin(self, origin: str) -> list[str]:
        got = self.articles.get(where={"origin": origin}, include=[])
        return list(got["ids"])

    def get_article(self, article_id: str) -> Article:
        got = self.articles.get(ids=[article_id], include=["metadatas", "documents"])
        if not got["ids"] or not (got["metadatas"][0] or {}).get("complete"):
            raise NotFound(f"no article with id {article_id!r}")
        return article_from(got["ids"][0], got["metadatas"][0], got["documents"][0])

    def get_articles(self, ids: Sequence[str]) -> dict[str, Article]:
        """The complete articles among ``ids`` (one being re-ingested is left out)."""
        return self.get_articles_and_units(ids)[0]

    def get_articles_and_units(self, ids: Sequence[str]
                               ) -> tuple[dict[str, Article], dict[str, StoredUnits]]:
        """``get_articles``, and the sentence vectors stored with them (when there are)."""
        found = self.read_evidence(ids)
        return found.articles, found.units

    def read_evidence(self, ids: Sequence[str]) -> StoredArticles:
        """The complete articles among ``ids``, their sentence vectors and their copies:
        what an answer reads of the articles it retrieved, in one Chroma call."""
        found = StoredArticles()
        if not ids:
            return found
        # by id alone: with a metadata filter Chroma reads every record (20x slower at 1.5k)
        got = self.articles.get(ids=list(ids), include=["metadatas", "documents"])
        for i, meta, text in zip(got["ids"], got["metadatas"], got["documents"], strict=True):
            if not (meta or {}).get("complete"):
                continue
            found.articles[i] = article_from(i, meta, text)
            units = decode_units(dict(meta or {}))
            if units is not None:
                found.units[i] = units
            copies = copies_in(meta)
            if copies:
                found.copies[i] = copies
        return found

    def texts(self, ids: Sequence[str]) -> dict[str, str]:
        """The stored text of each article among ``ids`` (complete or not)."""
        if not ids:
            return {}
        got = self.articles.get(ids=list(ids), include=["documents"])
        return {i: str(d or "") for i, d in zip(got["ids"], got["documents"], strict=True)}

    def list_articles(self, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        got = self.articles.get(where=_COMPLETE, include=["metadatas"], limit=limit,
                                offset=offset)
        return [summary(i, m) for i, m in zip(got["ids"], got["metadatas"], strict=True)]

    def iter_passages(self, page: int = 5000) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Every passage as ``(id, text, metadata)``, read in pages."""
        offset = 0
        while True:
            got = self.passages.get(include=["documents", "metadatas"], limit=page, offset=offset)
            if not got["ids"]:
                return
            yield from zip(got["ids"], got["documents"], got["metadatas"], strict=True)
            offset += len(got["ids"])

    def get_passages(self, ids: Sequence[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        """The passages among ``ids`` that exist, as ``id: (text, metadata)``."""
        if not ids:
            return {}
        got = self.passages.get(ids=list(ids), include=["documents", "metadatas"])
        return {i: (str(d), dict(m or {}))
                for i, d, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)}

    def query_passages(self, vector: np.ndarray, n: int,
                       where: Where | None) -> list[tuple[str, float]]:
        """Nearest passages as ``(id, cosine similarity)``, best first (fewer when the store
        holds fewer: Chroma 1.5 caps ``n_results`` itself)."""
        got = self.passages.query(
            query_embeddings=[vector.tolist()], n_results=n, where=where or None,
            include=["distances"],
        )
        pairs = zip(got["ids"][0], got["distances"][0], strict=True)
        return [(i, 1.0 - float(d)) for i, d in pairs]

    # -- writes --------------------------------------------------------------------------
    def write_passages(self, passages: Sequence[Passage], vectors: np.ndarray,
                       articles: dict[str, Article]) -> None:
        for first in range(0, len(passages), self.max_batch):
            chunk = passages[first:first + self.max_batch]
            self.passages.upsert(
                ids=[p.id for p in chunk],
                documents=[p.text for p in chunk],
                embeddings=vectors[first:first + self.max_batch].tolist(),
                metadatas=[passage_meta(p, articles[p.article_id]) for p in chunk],
            )
        self._bump()

    def write_articles(self, articles: Sequence[Article], vectors: np.ndarray,
                       text_hashes: dict[str, str], passage_counts: dict[str, int],
                       complete: bool, units: Sequence[Units] | None = None,
                       copy_of: dict[str, str] | None = None) -> None:
        """Article records; ``complete`` is set once all their passages are written.
        ``units``: each article's sentence vectors (none: the old ones are cleared).
        ``copy_of``: the copies among them, with their canonical articles (a copy lists no
        copies of its own)."""
        if not complete:
            self._mark_pending([a.id for a in articles], True)
        no_units = {"unit_spans": "", "unit_vectors": ""}
        copy_of = copy_of or {}
        for first in range(0, len(articles), self.max_batch):
            chunk = articles[first:first + self.max_batch]
            self.articles.upsert(
                ids=[a.id for a in chunk],
                documents=[a.text for a in chunk],
                embeddings=vectors[first:first + self.max_batch].tolist(),
                metadatas=[article_meta(a, text_hashes[a.id], passage_counts[a.id],
                                        copy_of.get(a.id, "")) |
                           (encode_units(units[first + k]) if units else no_units) |
                           ({"copies": ""} if a.id in copy_of else {}) |
                           {"complete": complete} for k, a in enumerate(chunk)],
            )
        self._bump()

    def set_copies(self, article_id: str, copies: Sequence[dict[str, Any]]) -> None:
        """The copies a canonical article lists (``qa.index.records.copy_entry``)."""
        self.articles.update(ids=[article_id],
                             metadatas=[{"copies": json.dumps(list(copies)) if copies else ""}])
        self._bump()

    # -- signatures of canonical articles (qa.index.copies) ------------------------------
    def write_signatures(self, signatures: dict[str, str]) -> None:
        ids = sorted(signatures)
        for first in range(0, len(ids), self.max_batch):
            chunk = ids[first:first + self.max_batch]
            self.signatures.upsert(ids=chunk, documents=[signatures[i] for i in chunk],
                                   embeddings=[[0.0]] * len(chunk))

    def delete_signatures(self, ids: Sequence[str]) -> None:
        if ids:
            self.signatures.delete(ids=list(ids))

    def signatures_listed(self) -> bool:
        """Whether every canonical article's signature is stored (false only for a store
        written before signatures, until they are added)."""
        return bool(self.state.get(ids=[_SIGNATURES_LISTED], include=[])["ids"])

    def mark_signatures_listed(self) -> None:
        self.state.upsert(ids=[_SIGNATURES_LISTED], documents=["1"], embeddings=[[0.0]],
                          metadatas=[{"kind": "marker"}])

    def iter_signatures(self, page: int = 5000) -> Iterator[tuple[str, str]]:
        """Every stored signature as ``(article id, encoded signature)``, read in pages."""
        offset = 0
        while True:
            got = self.signatures.get(include=["documents"], limit=page, offset=offset)
            if not got["ids"]:
                return
            yield from zip(got["ids"], (str(d) for d in got["documents"]), strict=True)
            offset += len(got["ids"])

    def mark_complete(self, ids: Sequence[str], complete: bool = True) -> None:
        if not complete:
            self._mark_pending(ids, True)
        for first in range(0, len(ids), self.max_batch):
            chunk = list(ids[first:first + self.max_batch])
            self.articles.update(ids=chunk, metadatas=[{"complete": complete}] * len(chunk))
        if complete:
            self._mark_pending(ids, False)
        self._bump()

    def set_origin(self, article_id: str, origin: str) -> None:
        self.articles.update(ids=[article_id], metadatas=[{"origin": origin}])

    def delete_passages_of(self, article_ids: Sequence[str]) -> None:
        """Every passage of these articles, in one delete and one generation bump."""
        if article_ids:
            self.passages.delete(where={"article_id": {"$in": list(article_ids)}})
            self._bump()

    def delete_article(self, article_id: str) -> None:
        if not self.articles.get(ids=[article_id], include=[])["ids"]:
            raise NotFound(f"no article with id {article_id!r}")
        self.passages.delete(where={"article_id": article_id})
        self.signatures.delete(ids=[article_id])
        self.articles.delete(ids=[article_id])
        self._mark_pending([article_id], False)
        self._bump()


@dataclass
class StoredArticles:
    """Articles as an answer reads them: by id, with their sentence vectors and the copies
    each lists (``qa.index.records.copy_entry``)."""

    articles: dict[str, Article] = field(default_factory=dict)
    units: dict[str, StoredUnits] = field(default_factory=dict)
    copies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


_PENDING_PREFIX = "pending:"
_PENDING_LISTED = "pending-listed"
_SIGNATURES_LISTED = "signatures-listed"
"""Marks a store whose incomplete ids are all listed (stores before the list get one)."""
