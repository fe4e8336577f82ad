"""The local embedder as a LlamaIndex ``BaseEmbedding``, for LlamaIndex pipelines
(``VectorStoreIndex``, ``IngestionPipeline``): ``as_llama_embedding``."""

from __future__ import annotations

from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

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
