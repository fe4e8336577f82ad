"""Article management over HTTP: JSON and multipart ingest, listing, reading, deleting,
the API key on write routes, and the size limits."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.test_api import assert_error
from tests.uploads import upload

KEY = "s3cret-test-key-41"
APPLES = {"title": "Orchard report <b>2023</b>",
          "text": "Norway's apple harvest grew by 5 percent in 2023. Farmers credit a warm "
                  "August for the larger crop.",
          "url": "https://example.org/news/apples?utm_source=feed", "source": "Example News",
          "published_at": "2023-09-12", "authors": ["Kari Nordmann"]}


def post(url: str, headers: dict[str, str] | None = None, **kwargs: object) -> httpx.Response:
    return httpx.post(f"{url}/api/articles", headers=headers, timeout=60, **kwargs)  # type: ignore[arg-type]


def total(url: str) -> int:
    return int(httpx.get(f"{url}/api/articles").json()["total"])


def test_ingest_read_ask_and_delete_one_article(serve: Callable[..., str]) -> None:
    url = serve()
    added = post(url, json=APPLES)
    assert added.status_code == 200, added.text
    report = added.json()
    assert report["counts"] == {"new": 1, "updated": 0, "unchanged": 0, "failed": 0}
    article_id = report["new"][0]
    again = post(url, json=APPLES).json()
    assert again["counts"]["unchanged"] == 1 and total(url) == 2  # re-sending adds nothing
    article = httpx.get(f"{url}/api/articles/{article_id}").json()
    assert article["title"] == APPLES["title"]  # markup stays plain text, as sent
    assert article["url"] == "https://example.org/news/apples"
    assert article["published_at"] == "2023-09-12" and article["authors"] == ["Kari Nordmann"]
    answer = httpx.post(f"{url}/api/ask", json={"question": "How much did Norway's apple "
                                                "harvest grow in 2023?"}, timeout=30).json()
    assert [c["article_id"] for c in answer["citations"]] == [article_id]
    cited = answer["citations"][0]
    assert article["text"][cited["start"]:cited["end"]] == cited["quote"]
    deleted = httpx.delete(f"{url}/api/articles/{article_id}")
    assert deleted.status_code == 200 and deleted.json() == {"deleted": article_id}
    assert_error(httpx.get(f"{url}/api/articles/{article_id}"), 404, "not_found")
    assert_error(httpx.delete(f"{url}/api/articles/{article_id}"), 404, "not_found")
    assert total(url) == 1


def test_a_batch_ingests_what_parses_and_reports_the_rest(serve: Callable[..., str]) -> None:
    url = serve(seed=False)
    batch = {"articles": [APPLES, {"title": "No text"}, {"title": "Blank", "text": "   "}]}
    report = post(url, json=batch).json()
    assert report["counts"]["new"] == 1 and report["counts"]["failed"] == 2
    assert [f["source"] for f in report["failed"]] == ["articles[1]", "articles[2]"]
    assert all(f["reason"] for f in report["failed"])
    assert total(url) == 1
    nothing = post(url, json={"articles": [{"title": "only a title"}]})
    assert_error(nothing, 422, "invalid_input", "nothing was ingested")
    assert_error(post(url, json={"articles": []}), 422, "invalid_input", "non-empty list")
    assert_error(post(url, json=["not", "an", "object"]), 422, "invalid_input")
    assert_error(post(url, content=b"{oops", headers={"content-type": "application/json"}),
                 400, "invalid_json")
    assert_error(post(url, content=b"title", headers={"content-type": "text/plain"}), 415,
                 "unsupported_media_type")
    assert total(url) == 1


def test_multipart_upload_reads_every_format(serve: Callable[..., str]) -> None:
    url = serve(seed=False)
    html = ("<html><head><title>Harbour reopens</title></head><body><article><h1>Harbour "
            "reopens</h1><p>The harbour of Bergen reopened on Monday after a storm closed it "
            "for three days, the port authority said.</p></article></body></html>")
    jsonl = "\n".join(json.dumps({"title": f"Wire story {i}", "text": f"Story {i} reports "
                                  f"that {i} ferries were delayed on Tuesday."})
                      for i in range(3))
    files = [("file", ("note.md", b"# Bridge closed\nThe old bridge closed for repairs.")),
             ("file", ("page.html", html.encode())),
             ("file", ("wire.jsonl", jsonl.encode())),
             ("file", ("scan.pdf", b"%PDF-1.4 binary")),
             ("file", ("blob.txt", b"\x00\x01\x02binary"))]
    report = upload(url, files)
    assert report["counts"] == {"new": 5, "updated": 0, "unchanged": 0, "failed": 2}
    assert report["status"] == "done" and report["progress"] == {"done": 5, "total": 5}
    reasons = {f["source"]: f["reason"] for f in report["failed"]}
    assert "unsupported file type .pdf" in reasons["scan.pdf"]
    assert "binary" in reasons["blob.txt"]
    titles = {a["title"] for a in httpx.get(f"{url}/api/articles").json()["articles"]}
    assert {"Bridge closed", "Harbour reopens", "Wire story 0", "Wire story 2"} <= titles
    empty = upload(url, [("other", ("x.txt", b""))], data={"field": "v"})
    assert empty["status"] == "failed" and "nothing was ingested: x.txt" in empty["error"]
    no_file = (b'--b\r\nContent-Disposition: form-data; name="field"\r\n\r\nv\r\n'
               b"--b--\r\n")
    assert_error(post(url, content=no_file,
                      headers={"content-type": "multipart/form-data; boundary=b"}),
                 422, "invalid_input", "no file")
    assert_error(post(url, data={"field": "form"}), 415, "unsupported_media_type")


def test_uploading_an_edited_file_replaces_it(serve: Callable[..., str]) -> None:
    url = serve(seed=False)
    first = upload(url, [("file", ("zoo.md", b"# Pandas born\nThe cubs weigh 150 grams."))])
    assert first["counts"]["new"] == 1
    edited = upload(url, [("file", ("zoo.md", b"# Pandas born\nThe cubs weigh 160 grams."))])
    assert edited["counts"] == {"new": 0, "updated": 1, "unchanged": 0, "failed": 0}
    [article] = httpx.get(f"{url}/api/articles").json()["articles"]
    assert "160 grams" in httpx.get(f"{url}/api/articles/{article['id']}").json()["text"]
    other = upload(url, [("file", ("zoo.md", b"# Zoo opens late\nThe zoo opens at ten."))])
    assert other["counts"]["new"] == 1 and total(url) == 2  # another story, same name


def test_listing_is_paginated(serve: Callable[..., str]) -> None:
    url = serve(seed=False)
    post(url, json={"articles": [{"title": f"Story {i}", "text": f"Body of story {i}."}
                                 for i in range(5)]})
    pages = [httpx.get(f"{url}/api/articles", params={"limit": 2, "offset": o}).json()
             for o in (0, 2, 4)]
    assert [len(p["articles"]) for p in pages] == [2, 2, 1]
    assert all(p["total"] == 5 for p in pages)
    ids = [a["id"] for p in pages for a in p["articles"]]
    assert len(set(ids)) == 5
    assert_error(httpx.get(f"{url}/api/articles", params={"limit": 0}), 422, "invalid_request",
                 "limit")
    assert_error(httpx.get(f"{url}/api/articles", params={"offset": -1}), 422,
                 "invalid_request", "offset")
    assert_error(httpx.get(f"{url}/api/articles", params={"offset": 2**40}), 422,
                 "invalid_request", "offset")
    beyond = httpx.get(f"{url}/api/articles", params={"offset": 10**9}).json()
    assert beyond["articles"] == [] and beyond["total"] == 5


@pytest.fixture
def keyed(serve: Callable[..., str]) -> Iterator[str]:
    yield serve(api_key=KEY)


@pytest.mark.parametrize("header", [None, "Bearer wrong-key", f"Basic {KEY}", "Bearer",
                                    f"Bearer {KEY}x"])
def test_write_routes_need_the_key(keyed: str, header: str | None) -> None:
    headers = {"Authorization": header} if header else None
    refused = post(keyed, json=APPLES, headers=headers)
    assert_error(refused, 401, "unauthorized")
    assert refused.headers["www-authenticate"] == "Bearer"
    article_id = httpx.get(f"{keyed}/api/articles").json()["articles"][0]["id"]
    assert_error(httpx.delete(f"{keyed}/api/articles/{article_id}", headers=headers), 401,
                 "unauthorized")
    assert total(keyed) == 1


def test_the_right_key_writes_and_reads_stay_open(keyed: str) -> None:
    auth = {"Authorization": f"Bearer {KEY}"}
    assert post(keyed, json=APPLES, headers=auth).status_code == 200
    assert total(keyed) == 2  # the listing itself needs no key
    assert httpx.post(f"{keyed}/api/ask", json={"question": "apple harvest?"},
                      timeout=30).status_code == 200
    article_id = httpx.get(f"{keyed}/api/articles").json()["articles"][0]["id"]
    assert httpx.delete(f"{keyed}/api/articles/{article_id}", headers=auth).status_code == 200


def test_uploads_over_the_limit_are_413_and_change_nothing(serve: Callable[..., str]) -> None:
    url = serve(max_upload_bytes=4096)
    big = b"Headline\n" + b"word " * 2000
    small = b"Small headline\nA small article about the tide in the fjord."
    refused = post(url, files=[("file", ("small.txt", small)), ("file", ("big.txt", big))])
    assert_error(refused, 413, "too_large", "4096 bytes")
    assert total(url) == 1  # the small file in the same request was not ingested either

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit counts streamed bytes
        yield json.dumps({"title": "t", "text": "x" * 100_000}).encode()

    streamed = post(url, content=chunks(), headers={"content-type": "application/json"})
    assert_error(streamed, 413, "too_large")
    assert upload(url, [("file", ("small.txt", small))])["counts"]["new"] == 1


def test_question_limit_is_configurable(serve: Callable[..., str]) -> None:
    url = serve(max_question_chars=40)
    long = httpx.post(f"{url}/api/ask", json={"question": "Who " + "x" * 40 + "?"})
    assert_error(long, 422, "invalid_input", "40 characters")
    assert httpx.post(f"{url}/api/ask", json={"question": "Who was killed?"},
                      timeout=30).status_code == 200
