"""LLM mode over HTTP: streamed drafts, checked answers, and upstream failures (the scripted
OpenAI-compatible server of fake_llm.py, reached by the real ``openai`` client)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.conftest import free_port
from tests.fake_llm import ScriptedLLM, Step, reply_citing, source_number
from tests.sse import events
from tests.test_api import QUESTION, assert_error

SHOOTOUT = "death of four people"
CHAT = {"messages": [{"role": "user", "content": QUESTION}], "stream": True}


@pytest.fixture
def url(serve: Callable[..., str], llm: ScriptedLLM) -> str:
    return serve(llm_base_url=llm.url, llm_model="scripted", llm_timeout=2.0,
                 llm_max_retries=0)


def test_tokens_are_the_draft_and_done_is_the_checked_answer(url: str,
                                                            llm: ScriptedLLM) -> None:
    reply_citing(llm, "Four people died in the shootout last weekend [{s}].", s=SHOOTOUT)
    with httpx.stream("POST", f"{url}/api/chat", json=CHAT, timeout=30) as response:
        got = events(response)
    names = [name for name, _ in got]
    assert names[0] == "quote" and names[-1] == "done" and set(names[1:-1]) == {"token"}
    assert len(names) > 4
    quotes = got[0][1]  # the checked quotes, shown while the model writes
    assert not quotes["refused"] and "four people" in quotes["answer"]
    assert SHOOTOUT in quotes["citations"][0]["quote"] and quotes["note"] is None
    draft = "".join(data["text"] for _, data in got[1:-1])
    source = source_number(llm.requests[0], SHOOTOUT)
    assert draft == f"Four people died in the shootout last weekend [{source}]."
    answer = got[-1][1]
    assert answer["mode"] == "llm"
    assert answer["answer"] == "Four people died in the shootout last weekend [1]."
    assert SHOOTOUT in answer["citations"][0]["quote"]


@pytest.mark.parametrize("route", ["/api/ask", "/api/chat"])
def test_a_failing_llm_is_502_and_the_service_recovers(url: str, llm: ScriptedLLM,
                                                      route: str) -> None:
    body = {"question": QUESTION} if route == "/api/ask" else CHAT
    llm.script.append(Step(status=500, content="model crashed"))
    failed = httpx.post(f"{url}{route}", json=body, timeout=30)
    assert_error(failed, 502, "upstream_error", "500")
    assert "model crashed" in failed.json()["error"]["message"]
    assert httpx.get(f"{url}/health").status_code == 200
    reply_citing(llm, "Four people died in the shootout last weekend [{s}].", s=SHOOTOUT)
    assert httpx.post(f"{url}{route}", json=body, timeout=30).status_code == 200


def test_a_slow_llm_times_out_with_502(url: str, llm: ScriptedLLM) -> None:
    llm.script.append(Step(content="late", delay=3.0))
    failed = httpx.post(f"{url}/api/ask", json={"question": QUESTION}, timeout=30)
    assert_error(failed, 502, "upstream_error", "did not answer within 2.0 s")


def test_a_stream_cut_halfway_ends_with_an_error_event(url: str, llm: ScriptedLLM) -> None:
    llm.script.append(Step(content="Four people died in the shootout last weekend [1].",
                           cut_stream=True))
    with httpx.stream("POST", f"{url}/api/chat", json=CHAT, timeout=30) as response:
        assert response.status_code == 200
        got = events(response)
    names = [name for name, _ in got]
    assert names[-1] == "error" and "done" not in names and names[:2] == ["quote", "token"]
    assert got[-1][1]["error"]["type"] == "upstream_error"
    assert httpx.get(f"{url}/health").status_code == 200


def test_an_unreachable_llm_is_502(serve: Callable[..., str]) -> None:
    url = serve(llm_base_url=f"http://127.0.0.1:{free_port()}/v1", llm_model="gone",
                llm_timeout=2.0, llm_max_retries=0)
    failed = httpx.post(f"{url}/api/ask", json={"question": QUESTION}, timeout=30)
    assert_error(failed, 502, "upstream_error", "cannot reach the LLM")
    assert failed.json()["error"]["message"] == (  # the server's address stays in its log
        "cannot reach the LLM at the configured server: Connection error.")
    assert_error(httpx.post(f"{url}/api/chat", json=CHAT, timeout=30), 502, "upstream_error")
