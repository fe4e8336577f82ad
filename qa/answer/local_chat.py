"""A GGUF model run in-process by llama.cpp (``xllamacpp``): the local ``ChatModel``.

Loaded once, on first use (or ``load()`` at start-up). It answers one request at a time
(two CPU cores do not go faster with two); the others wait their turn in arrival order, at
most ``QA_LLM_QUEUE`` of them, each for at most ``QA_LLM_TIMEOUT`` seconds, and beyond that
are refused at once with ``UpstreamBusy`` (HTTP 503 ``upstream_busy`` with ``Retry-After``).

Decoding cannot run away: at most ``QA_LLM_MAX_TOKENS`` tokens, and generation is stopped
(not merely abandoned) at the answer's deadline (``QA_LLM_DEADLINE``), when the consumer of
a stream goes away (a client that disconnects), or when the service stops (``close()``).
Nothing the model reads depends on the request before it: llama.cpp's logits for a prompt
part of which comes from its cache are not bit-for-bit those of the prompt read whole, and
differ again for another split between cached and new tokens (ggml-org/llama.cpp#7594),
enough to flip a one-token reading at its threshold or a word of a draft. So the model keeps
three slots, each its own context window and cache (``SLOTS``): a draft with a system prompt
is written in ``ANSWER_SLOT``, a reading that names the ``head`` its template starts with is
read in ``READING_SLOT`` (one head: the support check's instructions), and everything else
(the judge's P(none), the verdicts, a rewritten question) is read whole in ``WHOLE_SLOT``.
Before each draft or kept-head reading its slot is set back to exactly the kept part (the
system prompt; the head), so the request evaluates exactly the rest: the same split every
time, hence the same output, without reading the kept part again. No copies of idle slots
are kept in memory (llama.cpp's host-memory prompt cache, ggml-org/llama.cpp#16391: up to
8 GB by default, and it swaps a saved state into a slot when that reuses more): memory
stays flat, and a slot holds only what was asked there.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from qa.answer.chat import Reply, yes_probability_of
from qa.cancel import current_check
from qa.config import Settings
from qa.errors import ModelError, UpstreamBusy, UpstreamError
from qa.models.catalogue import catalogue
from qa.models.locate import LocalModel
from qa.types import Usage

_END = object()
ANSWER_SLOT, READING_SLOT, WHOLE_SLOT = 0, 1, 2
SLOTS = 3
"""llama.cpp slots: drafts after their system prompt; readings after their template's head
(the first one a reading names); whole readings and generations."""
STOP = ["\nQuestion:", "\nSources:", "<source"]
"""Where a draft has ended: the model starting a new turn or inventing sources."""


class _Turns:
    """First come, first served: one holder at a time, a bounded line of waiters."""

    def __init__(self, bound: int) -> None:
        self.bound = bound
        self._lock = threading.Lock()
        self._line: deque[threading.Event] = deque()

    def waiting(self) -> int:
        return max(0, len(self._line) - 1)

    def enter(self, timeout: float) -> threading.Event:
        mine = threading.Event()
        with self._lock:
            if len(self._line) > self.bound:
                raise UpstreamBusy("the local model is busy: too many questions are waiting")
            self._line.append(mine)
            if len(self._line) == 1:
                mine.set()
        if not mine.wait(timeout):
            with self._lock:
                if not mine.is_set():
                    self._line.remove(mine)
                    raise UpstreamBusy(f"the local model was busy for {timeout:g} s")
        return mine

    def leave(self, mine: threading.Event) -> None:
        with self._lock:
            if self._line and self._line[0] is mine:
                self._line.popleft()
            if self._line:
                self._line[0].set()


class LocalChat:
    """One local GGUF model, shared by every request of the process."""

    runtime = "local"

    def __init__(self, model: LocalModel, settings: Settings) -> None:
        self.name = model.name
        self.path = model.path
        entry = catalogue().get(model.name)
        self.judges = entry.judges if entry else True
        """Whether it checks answers under ``QA_VERIFIER=auto`` (catalogue.toml)."""
        self.max_tokens = settings.llm_max_tokens
        self.deadline = settings.llm_deadline
        self.wait = settings.llm_timeout
        self.threads = settings.llm_threads or os.cpu_count() or 1
        self.context = settings.llm_context
        self._turns = _Turns(settings.llm_queue)
        self._loading = threading.Lock()
        self._server: Any = None
        self._closing = threading.Event()
        self._head: str | None = None
        """The head ``READING_SLOT`` keeps evaluated (the first one a reading names)."""
        self._seconds_per_answer = 10.0  # a guess until answers are timed; for Retry-After
        self.stopped_early = 0
        """Generations stopped before their end because their reader went away."""

    # -- life ----------------------------------------------------------------------------
    def load(self) -> None:
        """Load the model now (else on the first question)."""
        with self._loading:
            if self._server is not None:
                return
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # idle threads must not spin
            import xllamacpp

            params = xllamacpp.CommonParams()
            params.model.path = str(self.path)
            params.n_ctx = self.context * SLOTS  # each slot a window of ``context`` tokens
            params.n_parallel = SLOTS  # one request at a time all the same (``_Turns``)
            params.kv_unified = False
            params.cache_ram_mib = 0
            params.cpuparams.n_threads = self.threads
            params.cpuparams_batch.n_threads = self.threads
            params.verbosity = -1
            params.warmup = False
            try:
                self._server = xllamacpp.Server(params)
            except Exception as exc:  # the library raises plain RuntimeError/ValueError
                raise ModelError(f"could not load the local model {self.path}: {exc}") from exc

    def close(self) -> None:
        """Stop every generation and refuse new ones: the service is stopping."""
        self._closing.set()

    @property
    def waiting(self) -> int:
        return self._turns.waiting()

    # -- answering -----------------------------------------------------------------------
    def chat(self, messages: list[dict[str, str]], max_tokens: int | None = None) -> Reply:
        parts: list[str] = []
        usage = None
        for delta in self.stream(messages, max_tokens):
            if isinstance(delta, Usage):
                usage = delta
            else:
                parts.append(delta)
        return Reply.of("".join(parts), usage)

    def stream(self, messages: list[dict[str, str]],
               max_tokens: int | None = None) -> Iterator[str | Usage]:
        """Text deltas as the model writes them, then the ``Usage``. Closing the iterator
        early stops the generation."""
        with self._turn():
            yield from self._generate(messages, max_tokens or self.max_tokens)

    def yes_probability(self, prompt: str, head: str = "") -> float:
        return yes_probability_of(*self.first_token(prompt, head))

    def first_token(self, prompt: str, head: str = "") -> tuple[list[tuple[str, float]], str]:
        """One token, read for its probabilities (in turn with the answers): whole, or after
        ``head`` kept evaluated in ``READING_SLOT`` (see the module's notes)."""
        with self._turn():
            kept = bool(head) and prompt.startswith(head) and self._head in (None, head)
            if kept:
                self._head = head
                self._set_back([{"role": "user", "content": head}], READING_SLOT)
            try:
                result = self._server.handle_chat_completions(
                    {"messages": [{"role": "user", "content": prompt}], "max_tokens": 1,
                     "temperature": 0, "cache_prompt": kept, "stream": False,
                     "id_slot": READING_SLOT if kept else WHOLE_SLOT,
                     "logprobs": True, "top_logprobs": 20})
            except Exception as exc:  # the library raises plain RuntimeError/ValueError
                raise UpstreamError(f"the local model failed: {exc}") from exc
        if not isinstance(result, dict) or "error" in result:
            raise UpstreamError(f"the local model failed: {_error(result or {})}")
        choice = (result.get("choices") or [{}])[0]
        try:
            tops = choice["logprobs"]["content"][0]["top_logprobs"]
            alternatives = [(t["token"], float(t["logprob"])) for t in tops]
        except (KeyError, IndexError, TypeError):
            alternatives = []
        return alternatives, str(choice.get("message", {}).get("content", ""))

    def _set_back(self, kept: list[dict[str, str]], slot: int) -> None:
        """``slot``'s cache set back to the prompt of ``kept`` (and the reply's opening,
        which no request shares), nothing written: the next request there that starts with
        ``kept`` evaluates exactly what follows it."""
        try:
            result = self._server.handle_chat_completions(
                {"messages": kept, "max_tokens": 0, "temperature": 0, "cache_prompt": True,
                 "stream": False, "id_slot": slot})
        except Exception as exc:  # the library raises plain RuntimeError/ValueError
            raise UpstreamError(f"the local model failed: {exc}") from exc
        if not isinstance(result, dict) or "error" in result:
            raise UpstreamError(f"the local model failed: {_error(result or {})}")

    @contextmanager
    def _turn(self) -> Iterator[None]:
        """This request's turn at the model: loaded, in arrival order, refused when the
        line is full (with a ``Retry-After`` estimate) or the service is stopping."""
        if self._closing.is_set():
            raise UpstreamError("the service is stopping")
        self.load()
        try:
            turn = self._turns.enter(self.wait)
        except UpstreamBusy as exc:
            exc.retry_after = max(1.0, round(self._seconds_per_answer * (self.waiting + 1)))
            raise
        try:
            if self._closing.is_set():
                raise UpstreamError("the service is stopping")
            yield
        finally:
            self._turns.leave(turn)

    def _generate(self, messages: list[dict[str, str]],
                  max_tokens: int) -> Iterator[str | Usage]:
        started = time.monotonic()
        deadline = started + self.deadline
        cancelled = current_check()  # e.g. the HTTP client went away
        chunks: queue.Queue[Any] = queue.Queue()
        stop = threading.Event()
        timed_out = threading.Event()

        def on_chunk(chunk: Any) -> bool:
            chunks.put(chunk)
            if time.monotonic() > deadline:
                timed_out.set()
            return (stop.is_set() or timed_out.is_set() or self._closing.is_set()
                    or cancelled())

        drafted = messages[0].get("role") == "system" and len(messages) > 1
        if drafted:  # the system prompt kept: the draft evaluates exactly the rest
            self._set_back([messages[0], {"role": "user", "content": ""}], ANSWER_SLOT)

        def run() -> None:
            try:
                result = self._server.handle_chat_completions(
                    {"messages": messages, "max_tokens": max_tokens, "temperature": 0,
                     "cache_prompt": drafted, "stream": True, "stop": STOP,
                     "id_slot": ANSWER_SLOT if drafted else WHOLE_SLOT,
                     "stream_options": {"include_usage": True}}, on_chunk)
                if isinstance(result, dict) and "error" in result:
                    chunks.put(result)
            except Exception as exc:  # reported to the consumer, not lost in this thread
                chunks.put({"error": {"message": str(exc)}})
            finally:
                chunks.put(_END)

        worker = threading.Thread(target=run, name="local-llm", daemon=True)
        worker.start()
        usage = Usage()
        ended = False
        try:
            while (chunk := chunks.get()) is not _END:
                if cancelled():
                    return  # nobody is waiting for the rest: stopped below
                if "error" in chunk:
                    raise UpstreamError(f"the local model failed: {_error(chunk)}")
                if chunk.get("usage"):
                    usage = _usage(chunk["usage"])
                for choice in chunk.get("choices") or ():
                    if choice.get("finish_reason") == "length":
                        usage.stopped = "length"
                    text = (choice.get("delta") or {}).get("content")
                    if text:
                        yield text
            ended = True
        finally:
            if not ended:  # the reader went away (or failed): stop generating, don't wait
                stop.set()
                self.stopped_early += 1
        self._seconds_per_answer = 0.7 * self._seconds_per_answer + 0.3 * (
            time.monotonic() - started)
        if self._closing.is_set():
            raise UpstreamError("the service is stopping")
        if timed_out.is_set():
            usage.stopped = "deadline"
        yield usage


def _usage(counts: dict[str, Any]) -> Usage:
    cached = (counts.get("prompt_tokens_details") or {}).get("cached_tokens", 0)
    return Usage(prompt_tokens=int(counts.get("prompt_tokens", 0)),
                 completion_tokens=int(counts.get("completion_tokens", 0)),
                 cached_tokens=int(cached or 0))


def _error(chunk: dict[str, Any]) -> str:
    error = chunk.get("error")
    if isinstance(error, dict):
        return str(error.get("message", error))[:300]
    return str(error)[:300]
