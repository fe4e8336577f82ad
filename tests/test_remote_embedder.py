"""QA_EMBEDDER=openai through LlamaIndex's OpenAIEmbedding and the real openai client,
against the scripted server's /v1/embeddings."""

from pathlib import Path

import pytest

from qa.engine import QAEngine
from qa.errors import EmbedderMismatch, UpstreamError
from qa.index.embedding import build_embedder
from tests.conftest import SEEDS, make_settings
from tests.fake_llm import ScriptedLLM


def test_openai_embedder_builds_and_queries_a_store(tmp_path: Path, llm: ScriptedLLM) -> None:
    settings = make_settings(tmp_path, embedder="openai", embed_model="my-embedder",
                             embed_base_url=llm.url, answerer="extractive", llm_max_retries=0)
    engine = QAEngine(settings, embedder=build_embedder(settings))
    assert engine.ingest([str(SEEDS)]).counts()["new"] == 1
    assert engine.stats()["embedder"] == "openai:my-embedder"
    assert {r["model"] for r in llm.embedding_requests} == {"my-embedder"}
    hits = engine.retriever.retrieve("How many people died in the shootout?", top_k=2)
    assert any("death of four people" in h.text for h in hits)
    # the store remembers its embedder: the local one is refused
    with pytest.raises(EmbedderMismatch, match="openai:my-embedder"):
        QAEngine(make_settings(tmp_path))


def test_a_failing_embedding_server_is_a_clear_error(tmp_path: Path, llm: ScriptedLLM) -> None:
    llm.embedding_status = 503
    settings = make_settings(tmp_path, embedder="openai", embed_base_url=llm.url,
                             llm_max_retries=0)
    engine = QAEngine(settings, embedder=build_embedder(settings))
    with pytest.raises(UpstreamError, match="embedding request failed"):
        engine.ingest([str(SEEDS)])
    assert engine.stats()["passages"] == 0
