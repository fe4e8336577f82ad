"""Faults: upstream LLM failures (rate limits, bodies that are not JSON, made-up citation
numbers) over HTTP, a Chroma server restarted while the service runs, and an ingest killed
again and again. Each ends in a clear error or a checked answer, never a crash, and never
an uncited claim shown as cited."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from qa.engine import QAEngine
from qa.index.embedding import Embedder
from tests import crashes
from tests.conftest import SEEDS, free_port, live, make_settings
from tests.fake_llm import ScriptedLLM, Step, reply_citing
from tests.sse import events
from tests.test_api import QUESTION, assert_error

SHOOTOUT = "death of four people"
CHAT = {"messages": [{"role": "user", "content": QUESTION}], "stream": True}
V1 = {"model": "articleqa", "messages": [{"role": "user", "content": QUESTION}]}
ROUTES = ["/api/ask", "/api/chat", "/api/chat?stream", "/v1/chat/completions"]


def send(url: str, route: str) -> httpx.Response:
    """One question to ``route`` ("/api/chat?stream": the SSE form); the body is read."""
    if route == "/api/ask":
        return httpx.post(f"{url}/api/ask", json={"question": QUESTION}, timeout=30)
    if route == "/v1/chat/completions":
        return httpx.post(f"{url}{route}", json=V1, timeout=30)
    body = CHAT if route.endswith("stream") else {**CHAT, "stream": False}
    return httpx.post(f"{url}/api/chat", json=body, timeout=30)


@pytest.fixture
def url(serve: Callable[..., str], llm: ScriptedLLM) -> str:
    """The service in LLM mode; the client retries once, as by default."""
    return serve(llm_base_url=llm.url, llm_model="scripted", llm_timeout=5.0,
                 llm_max_retries=1)


# -- rate limits --------------------------------------------------------------------------
def test_a_short_rate_limit_is_waited_out_and_retried(url: str, llm: ScriptedLLM) -> None:
    llm.script.append(Step(status=429, content="slow down", headers={"Retry-After": "1"}))
    reply_citing(llm, "Four people died in the shootout last weekend [{s}].", s=SHOOTOUT)
    answer = send(url, "/api/ask")
    assert answer.status_code == 200, answer.text
    assert SHOOTOUT in answer.json()["citations"][0]["quote"]
    assert len(llm.requests) == 2


@pytest.mark.parametrize("route", ROUTES)
def test_a_rate_limit_that_lasts_is_503_with_retry_after(url: str, llm: ScriptedLLM,
                                                        route: str) -> None:
    for _ in range(2):  # the first try and the client's one retry
        llm.script.append(Step(status=429, content="rate limit reached",
                               headers={"Retry-After": "1"}))
    refused = send(url, route)
    assert_error(refused, 503, "upstream_busy", "HTTP 429: rate limit reached")
    assert refused.headers["retry-after"] == "1"
    assert len(llm.requests) == 2
    reply_citing(llm, "Four people died in the shootout last weekend [{s}].", s=SHOOTOUT)
    assert send(url, route).status_code == 200  # the same service answers once it may


def test_a_long_retry_after_is_passed_on_not_waited(url: str, llm: ScriptedLLM) -> None:
    llm.script.append(Step(status=429, content="quota", headers={"Retry-After": "90"}))
    refused = send(url, "/api/ask")
    assert_error(refused, 503, "upstream_busy", "429")
    assert refused.headers["retry-after"] == "90"
    assert len(llm.requests) == 1, "the client waited out a 90 s Retry-After to retry"


def test_a_rate_limit_without_retry_after_is_503_without_one(url: str,
                                                            llm: ScriptedLLM) -> None:
    llm.script += [Step(status=429), Step(status=429)]
    refused = send(url, "/api/ask")
    assert_error(refused, 503, "upstream_busy")
    assert "retry-after" not in refused.headers


# -- bodies that are not what the OpenAI API sends ----------------------------------------
@pytest.mark.parametrize("raw", [b"{not json", b"<html><body>Bad gateway</body></html>",
                                 b"", b'{"choices": null}', b'{"choices": [{"message": 7}]}'])
@pytest.mark.parametrize("route", ["/api/ask", "/v1/chat/completions", "/api/chat?stream"])
def test_a_reply_that_is_not_a_completion_is_502(url: str, llm: ScriptedLLM, raw: bytes,
                                                 route: str) -> None:
    llm.script.append(Step(raw=raw if not route.endswith("stream") else b"data: " + raw
                           + b"\n\n"))
    failed = send(url, route)
    if route.endswith("stream") and failed.status_code == 200:  # the stream had started
        got = events(failed)
        assert got[-1][0] == "error" and "done" not in [name for name, _ in got]
        assert got[-1][1]["error"]["type"] == "upstream_error"
    else:
        assert_error(failed, 502, "upstream_error", "the configured server")
    assert httpx.get(f"{url}/health").status_code == 200


def test_a_stream_with_a_broken_event_midway_ends_with_an_error(url: str,
                                                                llm: ScriptedLLM) -> None:
    first = (b'data: {"id":"c","object":"chat.completion.chunk","created":0,"model":"s",'
             b'"choices":[{"index":0,"delta":{"content":"Four people"},"finish_reason":null}]}'
             b"\n\n")
    llm.script.append(Step(raw=first + b"data: {oops\n\n" + first + b"data: [DONE]\n\n"))
    with httpx.stream("POST", f"{url}/api/chat", json=CHAT, timeout=30) as response:
        got = events(response)
    assert [name for name, _ in got] == ["quote", "token", "error"]
    assert "broke off" in got[-1][1]["error"]["message"]


def test_an_error_event_inside_the_stream_is_reported(url: str, llm: ScriptedLLM) -> None:
    llm.script.append(Step(raw=b'data: {"error": {"message": "model overloaded"}}\n\n'))
    failed = send(url, "/api/chat?stream")
    if failed.status_code == 200:
        got = events(failed)
        assert got[-1][0] == "error" and "model overloaded" in got[-1][1]["error"]["message"]
    else:
        assert_error(failed, 502, "upstream_error", "model overloaded")


# -- citation numbers that do not exist ---------------------------------------------------
MADE_UP = ("Four people died in the shootout last weekend [{s}][9]. NATO will station "
           "troops on the moon [12]. Serbia won the 2023 Eurovision Song Contest [0][7].")


def assert_honest(answer: dict[str, Any]) -> None:
    """Every marker is a citation and every citation a marker; a sentence with citations is
    supported; the two made-up sentences are shown unsupported and uncited."""
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer["answer"])}
    assert markers == {c["id"] for c in answer["citations"]} == {1}
    assert SHOOTOUT in answer["citations"][0]["quote"]
    for sentence in answer["sentences"]:
        assert bool(sentence["citations"]) == sentence["supported"], sentence
    made_up = [s for s in answer["sentences"] if "moon" in s["text"] or "Eurovision" in s["text"]]
    assert len(made_up) == 2 and not any(s["supported"] or s["citations"] for s in made_up)


@pytest.mark.parametrize("route", ["/api/ask", "/api/chat", "/api/chat?stream"])
def test_made_up_citation_numbers_never_show_as_cited(url: str, llm: ScriptedLLM,
                                                      route: str) -> None:
    reply_citing(llm, MADE_UP, s=SHOOTOUT)
    response = send(url, route)
    assert response.status_code == 200, response.text
    if route.endswith("stream"):
        name, answer = events(response)[-1]
        assert name == "done"
    else:
        answer = response.json()
    assert_honest(answer)


@pytest.mark.parametrize("stream", [False, True])
def test_made_up_citation_numbers_over_the_openai_api(url: str, llm: ScriptedLLM,
                                                      stream: bool) -> None:
    reply_citing(llm, MADE_UP, s=SHOOTOUT)
    response = httpx.post(f"{url}/v1/chat/completions", json={**V1, "stream": stream},
                          timeout=30)
    assert response.status_code == 200, response.text
    if stream:
        chunks = [data for _, data in events(response) if data != "[DONE]"]
        content = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
        citations = chunks[-1]["citations"]
    else:
        content = response.json()["choices"][0]["message"]["content"]
        citations = response.json()["citations"]
    text, sources = content.split("\n\nSources:\n")
    assert set(re.findall(r"\[(\d+)\]", text)) == {"1"} == {str(c["id"]) for c in citations}
    assert "[9]" not in content and "[12]" not in content and "[7]" not in content
    assert sources.count("Not supported by the articles:") == 2
    assert "moon" in sources and "Eurovision" in sources


def test_an_answer_citing_only_numbers_that_do_not_exist_is_never_shown(
        url: str, llm: ScriptedLLM) -> None:
    """The checks refuse the draft; the checked quotes that answer are shown, with a note."""
    llm.reply("NATO will station troops on the moon [12]. Serbia won Eurovision [0][44].")
    answer = send(url, "/api/ask").json()
    assert "moon" not in answer["answer"] and "Eurovision" not in answer["answer"]
    assert not answer["refused"] and "did not pass the citation checks" in answer["note"]
    assert all(s["supported"] for s in answer["sentences"])
    assert {c["id"] for c in answer["citations"]} == {
        int(n) for n in re.findall(r"\[(\d+)\]", answer["answer"])}


# -- the Chroma server restarted while the service runs -----------------------------------
@contextmanager
def chroma_run(path: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A real ``chroma run`` on ``path`` and ``port``, killed (SIGKILL) on leaving."""
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or "chroma"
    proc = subprocess.Popen([chroma, "run", "--path", str(path), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, "chroma run did not start"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=20)


@pytest.mark.slow
def test_a_restarted_chroma_server_is_503_then_served_again(tmp_path: Path,
                                                            embedder: Embedder) -> None:
    port = free_port()
    with chroma_run(tmp_path / "chroma", port) as server:
        engine = QAEngine(make_settings(tmp_path / "unused", chroma_host="127.0.0.1",
                                        chroma_port=port), embedder=embedder)
        engine.ingest([str(SEEDS)])
        with live(engine) as url:
            before = httpx.post(f"{url}/api/ask", json={"question": QUESTION}, timeout=30)
            assert before.status_code == 200 and not before.json()["refused"]
            server.kill()
            server.wait()
            article = {"title": "Harbour reopens", "text": "The harbour reopened on Monday."}
            down = [httpx.get(f"{url}/health", timeout=10),
                    httpx.post(f"{url}/api/ask", json={"question": QUESTION}, timeout=10),
                    httpx.post(f"{url}/api/chat", json=CHAT, timeout=10),
                    httpx.post(f"{url}/v1/chat/completions", json=V1, timeout=10),
                    httpx.get(f"{url}/api/articles", timeout=10),
                    httpx.post(f"{url}/api/articles", json=article, timeout=10)]
            for response in down:  # httpx's timeout: none of them hangs
                assert_error(response, 503, "store_unavailable", "the Chroma store is unavailable")
                assert "127.0.0.1" not in response.text
            with chroma_run(tmp_path / "chroma", port):  # the same data, the same port
                after = httpx.post(f"{url}/api/ask", json={"question": QUESTION}, timeout=30)
                assert after.status_code == 200, after.text
                assert after.json()["citations"] == before.json()["citations"]
                added = httpx.post(f"{url}/api/articles", json=article, timeout=60)
                assert added.status_code == 200 and added.json()["counts"]["new"] == 1
                assert httpx.get(f"{url}/health").json()["articles"] == 2


# -- an ingest killed again and again -----------------------------------------------------
@pytest.mark.slow
def test_an_ingest_killed_three_times_resumes_to_a_clean_result(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    crashes.synthetic_corpus(corpus, 60)
    clean = crashes.clean_run(tmp_path / "clean", corpus, batch=6)
    assert len(clean.batches) >= 8, "too few batches to aim kills inside the ingest"
    kills = crashes.killed_runs(tmp_path / "killed", corpus, 6, kills=3, clean=clean, seed=5)
    # each kill stopped a run partway: the store was left short of the whole corpus
    assert all(k.complete < 60 for k in kills), kills
    final = crashes.clean_run(tmp_path / "killed", corpus, batch=6)
    assert final.batches, "the last run found nothing left to do: the kills came too late"
    assert crashes.snapshot(tmp_path / "killed") == crashes.snapshot(tmp_path / "clean")
    assert crashes.store_counts(tmp_path / "killed") == crashes.store_counts(tmp_path / "clean")
