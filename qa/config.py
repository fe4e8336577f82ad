"""Settings, read once from the environment (prefix ``QA_``) and ``.env``, then passed down."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_PLACEHOLDERS = {"changeme", "change-me", "changethis", "your-api-key", "sk-...", "xxx"}


def default_models_dir() -> Path:
    """``$XDG_CACHE_HOME/articleqa/models`` (``~/.cache/articleqa/models``)."""
    cache_home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache_home) / "articleqa" / "models"


class Settings(BaseSettings):
    """Everything articleqa can be configured with."""

    model_config = SettingsConfigDict(env_prefix="QA_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path(".articleqa"), description="Where embedded Chroma keeps its data.")
    chroma_host: str | None = Field(None, description="Chroma server host; unset = embedded.")
    chroma_port: int = Field(8000, description="Chroma server port.")
    embedder: Literal["local", "openai"] = Field("local", description="Embedding backend.")
    embed_model: str | None = Field(
        None, description="Embedding model (openai embedder only; default text-embedding-3-small)."
    )
    embed_base_url: str | None = Field(
        None, description="Base URL for the openai embedder (default: QA_LLM_BASE_URL)."
    )
    answerer: Literal["auto", "extractive", "llm", "local"] = Field(
        "auto", description="llm = an OpenAI-compatible server; local = a GGUF model run "
        "in-process; auto = llm when a server is configured, else local when a model is "
        "installed (or QA_LLM_MODEL_PATH set), else extractive."
    )
    verifier: Literal["auto", "heuristic", "model"] = Field(
        "auto", description="How each answer sentence's support is scored: heuristic = the "
        "rules; model = the rules, with the answerer's language model asked where they are "
        "unsure; auto = model when a language model answers, else heuristic.")
    llm_base_url: str | None = Field(None, description="OpenAI-compatible server base URL.")
    llm_model: str | None = Field(None, description="Model name on that server.")
    llm_api_key: str | None = Field(None, description="API key; falls back to OPENAI_API_KEY.")
    local_model: str | None = Field(
        None, description="Catalogue model the local answerer runs (`articleqa model list`); "
        "unset = the catalogue's default if installed, else any installed one.")
    llm_model_path: Path | None = Field(
        None, description="Any GGUF model file for the local answerer (instead of a "
        "catalogue model).")
    models_dir: Path = Field(
        default_factory=default_models_dir, description="Where `articleqa model install` "
        "puts catalogue models (default ~/.cache/articleqa/models).")
    llm_max_tokens: int = Field(
        200, ge=16, le=8192, description="Most tokens the LLM may write for one answer.")
    llm_deadline: float = Field(
        60.0, gt=0, description="Seconds after which a local model's answer is stopped "
        "(what it wrote by then is checked as the draft).")
    llm_queue: int = Field(
        8, ge=0, description="Questions that may wait for the local model while it answers "
        "another; above it the API answers 503 upstream_busy with Retry-After.")
    llm_evidence_chars: int = Field(
        1000, ge=200, description="Characters of evidence a local model reads: the best "
        "sentences of the retrieved passages, with their neighbours (a remote LLM reads the "
        "whole passages).")
    llm_threads: int = Field(0, ge=0, description="CPU threads of the local model; 0 = all cores.")
    llm_context: int = Field(
        4096, ge=512, description="Context window (tokens) of each of the local model's "
        "three slots (drafts, the support check, whole readings).")
    llm_timeout: float = Field(60.0, gt=0, description="Seconds to wait for the LLM.")
    llm_max_retries: int = Field(1, ge=0, description="Retries on LLM connection errors.")
    ingest_batch: int = Field(
        256, ge=1, le=5000, description="Passages embedded and written per batch while ingesting."
    )
    fold_copies: bool = Field(
        True, description="Store a syndicated copy of a stored story (the same text under "
        "another URL, lightly edited) once, as 'also published by' its canonical article.")
    answer_threshold: float = Field(
        0.42, ge=0, le=1, description="Extractive answers below this score are refused."
    )
    retrieval_prior: float = Field(
        0.2, ge=0, le=1, description="Extractive quotes are ranked by their score plus this "
        "over their passage's retrieval rank (1, 1/2, 1/3, ...); whether to answer rests on "
        "the score alone.")
    answerability: Literal["auto", "model", "score"] = Field(
        "auto", description="Who decides whether the articles answer a question when a local "
        "model writes: model = the model, asked which of the best sentences gives the answer "
        "(or none); score = the extractive scorer's best score (QA_ANSWER_THRESHOLD); auto = "
        "model when the local model judges (catalogue.toml), else score.")
    none_threshold: float = Field(
        0.11, ge=0, le=1, description="With QA_ANSWERABILITY=model: a question is refused "
        "when the model's probability that none of the best sentences answers is at least "
        "this (calibrated by python -m eval.answerability).")
    verdict_from: float = Field(
        0.65, ge=0.5, le=1, description="With QA_ANSWERABILITY=model: a yes-or-no question "
        "about what reports say opens with the model's verdict, \"Yes.\" when its probability "
        "of yes is at least this, \"No.\" when it is at most 1 minus this; between the two, "
        "the quotes of each article stand alone.")
    support_threshold: float = Field(
        0.74, ge=0, le=1, description="Sentences whose citations score below this are unsupported."
    )
    top_k: int = Field(6, ge=1, le=50, description="Passages given to the answerer.")
    recency: float = Field(
        1.0, ge=0, le=10, description="Asked as of a day, a question about the latest news "
        "(\"latest\", \"new\", \"this week\") ranks newer reports higher: the weight of "
        "the date ranking beside the dense and BM25 rankings; 0 = dates do not rank."
    )
    worker_threads: int = Field(
        0, ge=0, description="Threads the HTTP service runs requests on; 0 = two per core "
        "(at least 4) in extractive mode, 40 in LLM mode (its requests mostly wait on the LLM)."
    )
    api_key: str | None = Field(None, description="Bearer key for write routes of the API.")
    host: str = Field("127.0.0.1", description="Address the HTTP service binds.")
    port: int = Field(8000, description="Port the HTTP service binds.")
    seeds_dir: Path = Field(Path("seeds"), description="Articles ingested by default.")
    max_question_chars: int = Field(
        2000, ge=1, description="Longest question accepted (HTTP 422 above it)."
    )
    max_upload_bytes: int = Field(
        10 * 2**20, ge=1, description="Largest article upload or request body (HTTP 413 above it)."
    )
    rate_limit: int = Field(
        120, ge=0, description="Questions per minute each client may ask (/api/ask, /api/chat, "
        "/v1/chat/completions; HTTP 429 with Retry-After above it); 0 = no limit."
    )
    rate_burst: int = Field(
        20, ge=1, description="Questions a client may ask at once before the rate applies."
    )
    cors_origins: str = Field(
        "", description="Comma-separated origins whose web pages may call the API (\"*\" = any); "
        "empty = none (browsers allow only this service's own page)."
    )

    allow_private_urls: bool = Field(
        False, description="Let feeds and the pages they link to be fetched from private, "
        "loopback and link-local addresses (off: only public addresses, every redirect "
        "checked).")
    allowed_private_hosts: str = Field(
        "", description="Comma-separated host names that may be fetched although they "
        "resolve to a private address (an intranet feed server), with private URLs otherwise "
        "refused.")
    fetch_timeout: float = Field(
        15.0, gt=0, description="Seconds a feed or page fetch may take in all.")
    fetch_max_bytes: int = Field(
        5 * 2**20, ge=1024, description="Largest feed or page fetched (bigger ones fail).")
    fetch_pages_per_minute: int = Field(
        60, ge=1, description="Most feed and page requests a minute, over all hosts.")
    fetch_host_interval: float = Field(
        1.0, ge=0, description="Seconds between two requests to the same host.")
    feed_interval: int = Field(
        15, ge=1, description="Minutes between two polls of a feed (each feed may set its own).")
    feed_max_items: int = Field(
        50, ge=1, description="New or changed items one poll of a feed ingests (the rest "
        "wait for the next poll).")
    feed_recheck_days: float = Field(
        2.0, ge=0, description="For how many days after an item is first seen each poll asks "
        "again for its page (conditionally) and replaces the article when the page's text "
        "changed; 0 = never.")
    job_nice: int = Field(
        10, ge=0, le=19, description="How much lower the background ingest thread's CPU "
        "priority is than the questions' (Linux nice increment).")

    @field_validator("llm_api_key", "api_key")
    @classmethod
    def _no_placeholder(cls, value: str | None) -> str | None:
        if value is not None and value.strip().lower() in _PLACEHOLDERS:
            raise ValueError("looks like a placeholder; set a real key or leave it unset")
        return value or None

    def private_host_list(self) -> set[str]:
        return {h.strip().lower() for h in self.allowed_private_hosts.split(",") if h.strip()}

    def cors_origin_list(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]

    def resolved_llm_api_key(self) -> str | None:
        return self.llm_api_key or os.environ.get("OPENAI_API_KEY") or None

    def llm_configured(self) -> bool:
        """An LLM counts as configured when a model is named, or a base URL or key is set."""
        return bool(self.llm_model or self.llm_base_url or self.resolved_llm_api_key())
