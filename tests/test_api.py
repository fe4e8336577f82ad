"""The HTTP API over real uvicorn on loopback: read routes, answers, errors and the schema."""

from __future__ import annotations

import json

import httpx
import pytest

from qa.engine import QAEngine
from qa.types import Answer
from tests.invariants import check_invariants
from tests.sse import events

QUESTION = "How many people died in the shootout?"


def post_json(url: str, body: object) -> httpx.Response:
    """POST ``body`` as ASCII JSON, so lone surrogates travel escaped as a client may send them."""
    return httpx.post(url, content=json.dumps(body), timeout=30,
                      headers={"content-type": "application/json"})


def ask(url: str, **body: object) -> httpx.Response:
    return post_json(f"{url}/api/ask", body)


def assert_error(response: httpx.Response, status: int, kind: str, says: str = "") -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["type"] == kind and says in error["message"]
    assert "Traceback" not in response.text


def test_health_counts_the_store(seeded_url: str, seeded: QAEngine) -> None:
    health = httpx.get(f"{seeded_url}/health").json()
    assert health["status"] == "ok" and health["mode"] == "extractive"
    assert health["articles"] == 1 and health["passages"] == seeded.stats()["passages"] > 0


def test_ask_cites_the_exact_span_the_article_route_returns(seeded_url: str,
                                                            seeded: QAEngine) -> None:
    response = ask(seeded_url, question=QUESTION)
    assert response.status_code == 200
    answer = Answer.model_validate(response.json())
    assert not answer.refused and "four people" in answer.answer
    check_invariants(answer, seeded)
    for citation in answer.citations:
        article = httpx.get(f"{seeded_url}/api/articles/{citation.article_id}").json()
        assert article["text"][citation.start:citation.end] == citation.quote
        assert "origin" not in article  # a server path is not the client's business


def test_ask_refuses_what_the_articles_do_not_hold(seeded_url: str) -> None:
    answer = ask(seeded_url, question="Who won the 1998 football World Cup?").json()
    assert answer["refused"] is True and answer["citations"] == []
    assert "do not answer" in answer["answer"]


def test_ask_date_filter_excludes_articles_without_a_matching_date(seeded_url: str) -> None:
    answer = ask(seeded_url, question=QUESTION, since="2030-01-01").json()
    assert answer["refused"] and answer["retrieved"] == []


@pytest.mark.parametrize(("body", "status", "kind", "says"), [
    ({"question": ""}, 422, "invalid_request", "question"),
    ({"question": " \n "}, 422, "invalid_request", "question"),
    ({"question": "x" * 2001}, 422, "invalid_input", "2000 characters"),
    ({"question": "Who died? \ud800"}, 422, "invalid_request", "unicode string"),
    ({"question": QUESTION, "top_k": 0}, 422, "invalid_request", "top_k"),
    ({"question": QUESTION, "top_k": True}, 422, "invalid_request", "top_k"),  # not read as 1
    ({"question": QUESTION, "as_of": "next week"}, 422, "invalid_request", "as_of"),
    ({"question": QUESTION, "since": "2023-10-01", "until": "2023-09-01"}, 422,
     "invalid_input", "since is after until"),
    ({"question": QUESTION, "since": "yesterday"}, 422, "invalid_request", "since"),
    ({"question": QUESTION, "colour": "red"}, 422, "invalid_request", "colour"),
    ({"question": 42}, 422, "invalid_request", "question"),
    ({}, 422, "invalid_request", "question: Field required"),
])
def test_bad_questions_are_4xx_with_a_message(seeded_url: str, body: dict[str, object],
                                              status: int, kind: str, says: str) -> None:
    assert_error(ask(seeded_url, **body), status, kind, says)


def test_malformed_and_mistyped_bodies(seeded_url: str) -> None:
    broken = httpx.post(f"{seeded_url}/api/ask", content=b'{"question": ',
                        headers={"content-type": "application/json"})
    assert_error(broken, 400, "invalid_json", "not valid JSON")
    listed = httpx.post(f"{seeded_url}/api/ask", json=[QUESTION])
    assert_error(listed, 422, "invalid_request")
    binary = httpx.post(f"{seeded_url}/api/ask", content=b"\xff\xfe\x00garbage",
                        headers={"content-type": "application/json"})
    assert_error(binary, 400, "invalid_json")
    for body in (b"null", b"[]", b'"text"'):
        not_object = httpx.post(f"{seeded_url}/api/ask", content=body,
                                headers={"content-type": "application/json"})
        assert_error(not_object, 422, "invalid_request", "must be a JSON object")
    for route in ("/api/ask", "/api/chat", "/v1/chat/completions"):
        form = httpx.post(f"{seeded_url}{route}", data={"question": QUESTION})
        assert_error(form, 415, "unsupported_media_type", "application/json")


def test_unknown_routes_and_methods_are_json_errors(seeded_url: str) -> None:
    assert_error(httpx.get(f"{seeded_url}/api/nothing"), 404, "not_found")
    assert_error(httpx.put(f"{seeded_url}/health"), 405, "method_not_allowed")
    put = httpx.put(f"{seeded_url}/api/articles/some-id")
    assert_error(put, 405, "method_not_allowed")
    assert put.headers["allow"] == "DELETE, GET"  # every route on the path, not the first
    assert httpx.put(f"{seeded_url}/api/articles").headers["allow"] == "GET, POST"
    assert_error(httpx.get(f"{seeded_url}/api/articles/no-such-id"), 404, "not_found",
                 "no-such-id")


def test_chat_reads_the_conversation(seeded_url: str) -> None:
    messages = [{"role": "user", "content": "Where were the NATO forces deployed?"},
                {"role": "assistant", "content": "To Kosovo."},
                {"role": "user", "content": QUESTION}]
    response = httpx.post(f"{seeded_url}/api/chat", json={"messages": messages}, timeout=30)
    assert response.status_code == 200
    answer = response.json()
    assert answer["question"] == QUESTION and "four people" in answer["answer"]
    last_is_assistant = httpx.post(f"{seeded_url}/api/chat",
                                   json={"messages": messages[:2]})
    assert_error(last_is_assistant, 422, "invalid_input", "last message")
    assert_error(httpx.post(f"{seeded_url}/api/chat", json={"messages": []}), 422,
                 "invalid_request", "messages")


def test_chat_stream_sends_tokens_then_one_done_with_the_answer(seeded_url: str) -> None:
    body = {"messages": [{"role": "user", "content": QUESTION}], "stream": True}
    with httpx.stream("POST", f"{seeded_url}/api/chat", json=body, timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        got = events(response)
    names = [name for name, _ in got]
    assert names[-1] == "done" and names.count("done") == 1
    assert set(names[:-1]) == {"token"} and len(names) >= 2
    answer = got[-1][1]
    assert answer == ask(seeded_url, question=QUESTION).json() | {"timings_ms":
                                                                  answer["timings_ms"]}
    # extractive tokens are the checked answer itself, sentence by sentence
    assert "".join(data["text"] for name, data in got[:-1]) == answer["answer"]


def test_chat_stream_rejects_bad_input_before_streaming(seeded_url: str) -> None:
    body = {"messages": [{"role": "user", "content": " "}], "stream": True}
    response = httpx.post(f"{seeded_url}/api/chat", json=body)
    assert_error(response, 422, "invalid_request", "messages.0.content: must not be empty")


@pytest.mark.parametrize("route", ["/api/chat", "/v1/chat/completions"])
def test_earlier_turns_are_held_to_the_same_rules(seeded_url: str, route: str) -> None:
    follow_up = {"role": "user", "content": "What about it?"}
    for first, says in (("\ud800 shootout", "nicode"),  # by the schema or by the engine
                        ("x" * 2001, "message 1 is longer than 2000 characters")):
        for stream in (False, True):
            body = {"messages": [{"role": "user", "content": first}, follow_up],
                    "stream": stream}
            response = post_json(f"{seeded_url}{route}", body)
            assert response.status_code == 422 and says in response.json()["error"]["message"]


def test_openapi_documents_every_route_and_the_error_body(seeded_url: str) -> None:
    schema = httpx.get(f"{seeded_url}/openapi.json").json()
    assert {"/health", "/api/ask", "/api/chat", "/v1/chat/completions", "/v1/models",
            "/api/articles", "/api/articles/{article_id}"} <= set(schema["paths"])
    for operations in schema["paths"].values():
        for operation in operations.values():
            default = operation["responses"]["default"]
            assert default["content"]["application/json"]["schema"]["$ref"].endswith(
                "/ErrorBody")
    question = schema["components"]["schemas"]["AskRequest"]["properties"]["question"]
    assert question["maxLength"] == 2000 and question["minLength"] == 1
    upload = schema["paths"]["/api/articles"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(upload)
    assert "ArticleIn" in schema["components"]["schemas"]


def test_docs_page_works_offline(seeded_url: str) -> None:
    page = httpx.get(f"{seeded_url}/docs").text
    assert "/docs-static/swagger-ui-bundle.js" in page and "cdn" not in page.lower()
    bundle = httpx.get(f"{seeded_url}/docs-static/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 100_000
    assert httpx.get(f"{seeded_url}/redoc").status_code == 404  # ReDoc fetches from a CDN


def test_ui_is_served_with_a_strict_content_policy(seeded_url: str) -> None:
    page = httpx.get(f"{seeded_url}/")
    assert page.status_code == 200 and '<script src="/static/app.js"' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    for asset in ("app.js", "style.css"):
        assert httpx.get(f"{seeded_url}/static/{asset}").status_code == 200
    assert "http" not in page.text.replace("http-equiv", "")  # nothing from the network
