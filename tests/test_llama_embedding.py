"""The local embedder reaches LlamaIndex only when asked: the service never imports it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding

from qa.index.embedding import Embedder
from qa.integrations.llama_index import as_llama_embedding
from tests.conftest import SEEDS

ROOT = Path(__file__).resolve().parents[1]


def test_answering_never_imports_llamaindex(tmp_path: Path) -> None:
    script = f"""
import sys
from pathlib import Path
from qa.config import Settings
from qa.engine import QAEngine
engine = QAEngine(Settings(_env_file=None, data_dir=Path({str(tmp_path)!r}), rate_limit=0))
engine.warm()
engine.ingest([{str(SEEDS)!r}])
assert not engine.ask("How many people died in the shootout?").refused
print(sorted(m for m in sys.modules if m.startswith("llama_index")))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_llamaindex_view_gives_the_same_vectors(embedder: Embedder) -> None:
    texts = ["Four people died in the shootout.", "Kosovo's prime minister spoke."]
    model = as_llama_embedding(embedder)
    assert isinstance(model, BaseEmbedding)
    np.testing.assert_allclose(np.asarray(model.get_text_embedding_batch(texts)),
                               embedder.embed(texts), atol=1e-6)
    np.testing.assert_allclose(model.get_query_embedding(texts[0]),
                               embedder.embed_one(texts[0]), atol=1e-6)


def test_llamaindex_retriever_and_query_engine_over_a_real_store(tmp_path: Path,
                                                                 embedder: Embedder) -> None:
    from qa.engine import QAEngine
    from qa.integrations.llama_index import ArticleRetriever, CheckedQueryEngine
    from tests.conftest import make_settings

    engine = QAEngine(make_settings(tmp_path / "store"), embedder=embedder)
    engine.ingest([str(SEEDS)])
    nodes = ArticleRetriever(engine, top_k=3).retrieve("How many people died in the shootout?")
    assert 0 < len(nodes) <= 3
    for found in nodes:
        article = engine.get_article(found.node.metadata["article_id"])
        node = found.node
        assert article.text[node.start_char_idx:node.end_char_idx] == node.get_content()
    response = CheckedQueryEngine(engine).query("How many people died in the shootout?")
    answer = response.metadata["answer"]
    assert str(response) == answer["answer"] and not answer["refused"]
    assert len(response.source_nodes) == len(answer["citations"]) > 0
    for cited in response.source_nodes:
        article = engine.get_article(cited.node.metadata["article_id"])
        node = cited.node
        assert article.text[node.start_char_idx:node.end_char_idx] == node.get_content()
