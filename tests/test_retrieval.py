"""The BM25 index: rebuilt when stale, in the background when large."""

import time

import pytest

from qa import retrieval
from qa.articles import make_article
from qa.engine import QAEngine
from tests.conftest import SEEDS


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


def test_articles_being_rewritten_are_not_counted(engine: QAEngine) -> None:
    engine.ingest([str(SEEDS)])
    assert engine.count_articles() == 1
    ids = engine.store.articles.get(include=[])["ids"]
    engine.store.mark_complete(ids, complete=False)
    assert engine.count_articles() == 0 and engine.stats()["articles"] == 0
    engine.store.mark_complete(ids)
    assert engine.count_articles() == 1
