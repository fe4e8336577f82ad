"""articleqa in LlamaIndex's types: the local embedder as a ``BaseEmbedding``
(``as_llama_embedding``), hybrid retrieval as a ``BaseRetriever`` whose nodes carry the
article id, the exact offsets and the date (``ArticleRetriever``), and checked answering as
a query engine whose ``Response.source_nodes`` are the cited spans (``CheckedQueryEngine``).
The service itself never imports LlamaIndex."""

from __future__ import annotations

from typing import Any

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.base.response.schema import Response
from llama_index.core.callbacks import CallbackManager
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from pydantic import PrivateAttr

from qa.engine import QAEngine
from qa.index.embedding import Embedder, MiniLMEmbedding


class LlamaIndexMiniLM(BaseEmbedding):
    """all-MiniLM-L6-v2 (int8, onnxruntime) through LlamaIndex's embedding interface."""

    model_name: str = MiniLMEmbedding.model_name
    _local: Any = PrivateAttr()

    def __init__(self, local: MiniLMEmbedding) -> None:
        super().__init__(embed_batch_size=local.embed_batch_size)
        self._local = local

    @classmethod
    def class_name(cls) -> str:
        return "MiniLMEmbedding"

    def _get_query_embedding(self, query: str) -> list[float]:
        return [float(x) for x in self._local.embed([query])[0]]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_query_embedding(text)

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return [[float(x) for x in row] for row in self._local.embed(texts)]


def as_llama_embedding(embedder: Embedder) -> BaseEmbedding:
    """``embedder`` as a LlamaIndex ``BaseEmbedding``: the remote model itself, or the
    local one wrapped."""
    if embedder.model is not None:
        return embedder.model
    assert embedder.local is not None
    return LlamaIndexMiniLM(embedder.local)


class ArticleRetriever(BaseRetriever):
    """``QAEngine``'s hybrid retrieval: one node a passage, ``text`` being
    ``article.text[start_char_idx:end_char_idx]``."""

    def __init__(self, engine: QAEngine, top_k: int | None = None) -> None:
        super().__init__()
        self._engine = engine
        self._top_k = top_k

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        evidence = self._engine.retrieve(query_bundle.query_str, self._top_k)
        nodes = []
        for hit in evidence.hits:
            article = evidence.articles[hit.article_id]
            nodes.append(NodeWithScore(node=TextNode(
                id_=hit.passage_id, text=hit.text, start_char_idx=hit.start,
                end_char_idx=hit.end, metadata={
                    "article_id": article.id, "title": article.title, "url": article.url,
                    "source": article.source, "published_at": article.published_at
                    and article.published_at.isoformat()}), score=hit.score))
        return nodes


class CheckedQueryEngine(BaseQueryEngine):
    """``QAEngine.ask`` as a query engine: the checked answer, its citations as source nodes
    (each the exact quoted span), and the whole answer JSON in ``metadata["answer"]``."""

    def __init__(self, engine: QAEngine) -> None:
        super().__init__(callback_manager=CallbackManager([]))
        self._engine = engine

    def _query(self, query_bundle: QueryBundle) -> Response:
        answer = self._engine.ask(query_bundle.query_str)
        nodes = [NodeWithScore(node=TextNode(
            id_=f"{c.article_id}:{c.start}-{c.end}", text=c.quote, start_char_idx=c.start,
            end_char_idx=c.end, metadata={"citation": c.id, "article_id": c.article_id,
                                          "title": c.title, "url": c.url,
                                          "published_at": c.published_at}))
            for c in answer.citations]
        return Response(response=answer.answer, source_nodes=nodes,
                        metadata={"answer": answer.model_dump(mode="json")})

    async def _aquery(self, query_bundle: QueryBundle) -> Response:
        return self._query(query_bundle)

    def _get_prompt_modules(self) -> dict[str, Any]:
        return {}
