"""The BM25 index: rebuilt when stale, in the background when large."""

import threading
import time
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from qa.engine import QAEngine
from qa.index import keyword, retrieval, store
from qa.index.embedding import Embedder
from qa.sources.articles import make_article
from qa.text.terms import present_terms, terms
from tests.conftest import SEEDS, make_settings


def test_a_large_stale_index_is_rebuilt_without_blocking_queries(
        engine: QAEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retrieval, "INLINE_REBUILD", 0)  # every index counts as large
    engine.ingest([str(SEEDS)])
    first = engine.retriever._index()  # none yet: built before answering
    assert first.generation == engine.store.generation()
    engine.ingest_articles([make_article(
        title="Lighthouse keeper retires", url="https://c.example/lighthouse",
        text="After forty years the keeper of the Skagen lighthouse, Ole Madsen, retired.")])
    stale = engine.retriever._index()
    assert stale is first  # answered at once with the old index, rebuilt meanwhile
    hits = engine.retriever.retrieve("Who kept the Skagen lighthouse?", 3)
    assert hits and all(h.text for h in hits)  # dense hits, read back from Chroma
    deadline = time.monotonic() + 60
    while engine.retriever._index().generation != engine.store.generation():
        assert time.monotonic() < deadline, "the background rebuild never finished"
        time.sleep(0.1)
    fresh = engine.retriever._index()
    assert fresh is not first and fresh.size == first.size + 1
    assert fresh.search(["skagen"], 3, None) != []


def test_a_store_made_with_chromas_default_search_width_is_widened(
        tmp_path: Path, embedder: Embedder) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    old = chromadb.PersistentClient(path=str(tmp_path / "store"),
                                    settings=ChromaSettings(anonymized_telemetry=False))
    made = old.get_or_create_collection("passages", embedding_function=None,
                                        metadata={"hnsw:space": "cosine"})
    assert made.configuration_json["hnsw"]["ef_search"] < store.SEARCH_EF  # Chroma's 100
    del old, made
    engine = QAEngine(make_settings(tmp_path / "store"), embedder=embedder)
    for vectors in (engine.store.passages, engine.store.articles):
        assert vectors.configuration_json["hnsw"]["ef_search"] == store.SEARCH_EF


def test_articles_being_rewritten_are_not_counted(engine: QAEngine) -> None:
    engine.ingest([str(SEEDS)])
    assert engine.count_articles() == 1
    ids = engine.store.articles.get(include=[])["ids"]
    engine.store.mark_complete(ids, complete=False)
    assert engine.count_articles() == 0 and engine.stats()["articles"] == 0
    engine.store.mark_complete(ids)
    assert engine.count_articles() == 1


def test_a_stale_index_never_returns_an_article_outside_the_dates(
        engine: QAEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retrieval, "INLINE_REBUILD", 0)  # every index counts as large
    monkeypatch.setattr(retrieval, "REBUILD_PAUSE", 1e6)  # and keeps serving stale
    url = "https://news.example/ferry"
    ferry = {"title": "Ferry", "text": "The Skagen ferry runs hourly to Oslo.", "url": url}
    engine.ingest_articles([make_article(**ferry, published_at="2023-01-10"),
                            make_article(title="Bus", text="The Skagen bus runs daily.",
                                         url="https://news.example/bus",
                                         published_at="2023-01-10")])
    engine.retriever._index()
    engine.retriever._next_rebuild = time.monotonic() + 600  # no rebuild during this test
    # the same article (same id and passage ids) re-published with another date
    engine.ingest_articles([make_article(**ferry, published_at="2024-06-01")])
    january = engine.retriever.retrieve("Skagen ferry to Oslo", 5, since=date(2023, 1, 1),
                                        until=date(2023, 1, 31))
    assert january, "the bus article is from January"
    assert all(engine.store.get_article(h.article_id).published_at == date(2023, 1, 10)
               for h in january)


def test_concurrent_writers_never_lose_each_others_incomplete_marks(engine: QAEngine) -> None:
    store = engine.store
    articles = [make_article(title=f"T{i}", text=f"Text number {i} here.") for i in range(60)]
    done, fresh = articles[30:], articles[:30]
    vector = np.ones((1, 384), np.float32)
    for a in done:
        store.write_articles([a], vector, {a.id: "h"}, {a.id: 0}, complete=False)
        store.mark_complete([a.id])
    assert store.count_articles() == 30

    def writer() -> None:  # an ingest writing new records, not complete yet
        for a in fresh:
            store.write_articles([a], vector, {a.id: "h"}, {a.id: 0}, complete=False)

    def deleter() -> None:  # meanwhile older versions are deleted
        for a in done:
            store.delete_article(a.id)

    threads = [threading.Thread(target=writer), threading.Thread(target=deleter)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    complete = store.articles.get(where={"complete": True}, include=[])["ids"]
    assert complete == [] and store.count_articles() == 0


def test_a_service_answers_from_the_dense_index_while_a_large_first_index_builds(
        engine: QAEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    engine.ingest([str(SEEDS)])
    monkeypatch.setattr(retrieval, "INLINE_REBUILD", 0)  # every store counts as large
    building = threading.Event()
    release = threading.Event()
    real_build = keyword.BM25Index.__init__

    def slow_build(index: object, store: object) -> None:  # holds the build until released
        building.set()
        release.wait(60)
        real_build(index, store)  # type: ignore[arg-type]

    monkeypatch.setattr(keyword.BM25Index, "__init__", slow_build)
    engine.retriever.warm()  # returns at once: the build runs in the background
    assert building.wait(30) and engine.retriever._index() is None
    answer = engine.ask("How many people died in the shootout?")
    assert answer.retrieved and not answer.refused  # dense hits only, answered meanwhile
    release.set()
    deadline = time.monotonic() + 60
    while engine.retriever._index() is None:
        assert time.monotonic() < deadline, "the background build never finished"
        time.sleep(0.05)
    index = engine.retriever._index()
    assert index is not None and index.size == engine.store.count_passages()


def test_without_warm_a_large_first_index_is_built_before_answering(
        engine: QAEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    engine.ingest([str(SEEDS)])
    monkeypatch.setattr(retrieval, "INLINE_REBUILD", 0)  # the CLI and eval: one question, hybrid
    index = engine.retriever._index()
    assert index is not None and index.size == engine.store.count_passages()


def test_the_keyword_index_knows_which_articles_hold_a_word_as_reading_them_does(
        engine: QAEngine) -> None:
    """The answerer asks the index which retrieved articles name what the question names;
    its answer must be what reading the articles' text gives, and an article the index does
    not know yet (ingested since it was built) must be said to be unknown."""
    engine.ingest([str(SEEDS)])
    engine.ingest_articles([make_article(
        title="Ferry", url="https://news.example/ferry",
        text="The Skagen ferry runs hourly to Oslo. Its crew of twelve sailed in Vučić's wake.")])
    index = keyword.BM25Index(engine.store)
    articles = engine.store.get_articles(engine.store.articles.get(include=[])["ids"])
    every = set().union(*(terms(a.text) for a in articles.values()))
    wanted = set(sorted(every)[::7]) | {"zanzibar", "vucic", "oslo"}
    for article_id, article in articles.items():
        held, unknown = index.held_by({article_id}, wanted)
        assert unknown == set() and held == present_terms(article.text, wanted)
    both, _ = index.held_by(set(articles), wanted)
    assert both == set().union(*(present_terms(a.text, wanted) for a in articles.values()))
    assert "vucic" in both and "zanzibar" not in both
    late = make_article(title="Bus", url="https://news.example/bus", text="The bus to Zanzibar.")
    engine.ingest_articles([late])
    held, unknown = index.held_by({late.id, *articles}, {"zanzibar", "oslo"})
    assert unknown == {late.id} and held == {"oslo"}
    assert index.idf("oslo") > index.idf(sorted(every, key=index.idf)[0])  # rarer weighs more
