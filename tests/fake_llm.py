"""A scripted OpenAI-compatible server on loopback: the one stand-in the tests use.

Each request to ``/v1/chat/completions`` takes the next step of ``script``: a reply text,
an HTTP error status (with headers such as ``Retry-After``), a delay (to force a timeout), a
stream cut off halfway, or a raw body sent as is (JSON that does not parse, say). Requests
are recorded so tests can read what the real ``openai`` client sent. A verifier's request
(one token with ``logprobs``) takes the next of ``judgements`` instead: the probability
of "yes" to answer with (none scripted: HTTP 500, so the rules' verdict stands).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Step:
    content: str = ""
    status: int = 200
    delay: float = 0.0
    cut_stream: bool = False
    drop_connection: bool = False
    """For a stream: promise the whole body's length, send half of it, close the socket."""
    respond: Callable[[dict[str, Any]], str] | None = None
    """Computes the reply from the request, e.g. to cite the source holding a fact."""
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    """The response body as is, with ``status`` (for a stream: the event stream's body)."""


@dataclass
class ScriptedLLM:
    script: list[Step] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    embedding_requests: list[dict[str, Any]] = field(default_factory=list)
    embedding_status: int = 200
    judgements: list[float] = field(default_factory=list)
    judge_requests: list[dict[str, Any]] = field(default_factory=list)

    def reply(self, *contents: str) -> None:
        self.script.extend(Step(content=c) for c in contents)


def hashed_vector(text: str, dims: int = 64) -> list[float]:
    """A deterministic bag-of-words vector: a scripted stand-in for a remote embedding model."""
    import hashlib
    import math
    import re

    vector = [0.0] * dims
    for word in re.findall(r"\w+", text.lower()):
        vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % dims] += 1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


def _chunk(content: str | None, finish: str | None = None) -> bytes:
    delta = {"content": content} if content is not None else {}
    body = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0,
            "model": "scripted", "choices": [{"index": 0, "delta": delta,
                                              "finish_reason": finish}]}
    return f"data: {json.dumps(body)}\n\n".encode()


def start(llm: ScriptedLLM) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def handle(self) -> None:
            # the client may give up first (a timeout test)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                super().handle()

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            request = json.loads(self.rfile.read(length) or b"{}")
            if self.path.endswith("/embeddings"):
                self._embeddings(request)
                return
            if request.get("logprobs"):
                self._judgement(request)
                return
            llm.requests.append(request)
            step = llm.script.pop(0) if llm.script else Step(status=500, content="no script")
            if step.delay:
                time.sleep(step.delay)
            if step.respond:
                step.content = step.respond(request)
            if step.raw is not None:
                kind = "text/event-stream" if request.get("stream") else "application/json"
                self._send(step.status, kind, step.raw, step.headers)
                return
            if step.status != 200:
                body = json.dumps({"error": {"message": step.content or "scripted failure",
                                             "type": "server_error"}}).encode()
                self._send(step.status, "application/json", body, step.headers)
                return
            if request.get("stream") and step.drop_connection:
                body = b"".join(_chunk(w) for w in step.content.split(" "))
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("content-length", str(len(body) + 100))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            if request.get("stream"):
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                words = step.content.split(" ")
                half = len(words) // 2 if step.cut_stream else len(words)
                for i, word in enumerate(words[:half]):
                    self.wfile.write(_chunk(word if i == 0 else " " + word))
                    self.wfile.flush()
                if step.cut_stream:
                    self.wfile.write(b"data: {broken")
                    self.wfile.flush()
                    return
                self.wfile.write(_chunk(None, "stop") + b"data: [DONE]\n\n")
                return
            body = json.dumps({
                "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "scripted",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": step.content}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }).encode()
            self._send(200, "application/json", body)

        def _judgement(self, request: dict[str, Any]) -> None:
            import math

            llm.judge_requests.append(request)
            if not llm.judgements:
                self._send(500, "application/json",
                           b'{"error": {"message": "no judgement scripted"}}')
                return
            yes = min(max(llm.judgements.pop(0), 1e-6), 1 - 1e-6)
            tops = [{"token": "Yes", "logprob": math.log(yes), "bytes": None},
                    {"token": "No", "logprob": math.log(1 - yes), "bytes": None}]
            tops.sort(key=lambda t: -t["logprob"])
            first = dict(tops[0], top_logprobs=tops)
            body = json.dumps({
                "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "scripted",
                "choices": [{"index": 0, "finish_reason": "length",
                             "message": {"role": "assistant", "content": first["token"]},
                             "logprobs": {"content": [first]}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }).encode()
            self._send(200, "application/json", body)

        def _embeddings(self, request: dict[str, Any]) -> None:
            llm.embedding_requests.append(request)
            if llm.embedding_status != 200:
                self._send(llm.embedding_status, "application/json",
                           b'{"error": {"message": "embedding backend down"}}')
                return
            texts = request["input"] if isinstance(request["input"], list) else [request["input"]]
            data = [{"object": "embedding", "index": i, "embedding": hashed_vector(t)}
                    for i, t in enumerate(texts)]
            body = json.dumps({"object": "list", "data": data, "model": request["model"],
                               "usage": {"prompt_tokens": 1, "total_tokens": 1}}).encode()
            self._send(200, "application/json", body)

        def _send(self, status: int, kind: str, body: bytes,
                  headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("content-type", kind)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    llm.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def source_number(request: dict[str, Any], needle: str) -> int:
    """The number of the source in the request's last message whose text holds ``needle``."""
    import re

    prompt = request["messages"][-1]["content"]
    for number, body in re.findall(r'<source id="(\d+)"[^>]*>\n(.*?)\n</source>', prompt, re.S):
        if needle in body:
            return int(number)
    raise AssertionError(f"no source holds {needle!r}")


def reply_citing(llm: ScriptedLLM, template: str, **needles: str) -> None:
    """Script one reply whose {name} fields become the numbers of the sources holding them."""
    def respond(request: dict[str, Any]) -> str:
        return template.format(**{k: source_number(request, v) for k, v in needles.items()})
    llm.script.append(Step(respond=respond))
