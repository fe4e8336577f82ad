"""Server mode against a real ``chroma run`` (an ingest killed and resumed: test_faults.py)."""

from pathlib import Path

import pytest

from qa.engine import QAEngine
from qa.errors import StoreError
from qa.index.embedding import Embedder
from qa.index.store import SEARCH_EF
from tests.conftest import SEEDS, free_port, make_settings
from tests.invariants import check_invariants


@pytest.mark.slow
def test_server_mode_against_chroma_run(chroma_server: tuple[str, int], embedder: Embedder,
                                        tmp_path: Path) -> None:
    host, port = chroma_server
    settings = make_settings(tmp_path / "unused", chroma_host=host, chroma_port=port)
    engine = QAEngine(settings, embedder=embedder)
    assert engine.store.passages.configuration_json["hnsw"]["ef_search"] == SEARCH_EF
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
