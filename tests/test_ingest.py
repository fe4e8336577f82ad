import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.engine import QAEngine
from qa.errors import EmbedderMismatch, NotFound
from qa.index.embedding import Embedder
from qa.integrations.llama_index import as_llama_embedding
from qa.sources.articles import make_article
from tests.conftest import SEEDS, make_settings


def _passage_ids(engine: QAEngine) -> dict[str, str]:
    return {pid: text for pid, text, _ in engine.store.iter_passages()}


def test_ingesting_twice_changes_nothing(engine: QAEngine) -> None:
    first = engine.ingest([str(SEEDS)])
    before = _passage_ids(engine)
    second = engine.ingest([str(SEEDS), str(SEEDS)])
    assert first.counts() == {"new": 1, "updated": 0, "unchanged": 0, "failed": 0}
    assert second.counts() == {"new": 0, "updated": 0, "unchanged": 2, "failed": 0}
    assert second.passages == 0
    assert _passage_ids(engine) == before
    assert engine.stats()["articles"] == 1


def test_an_edited_article_replaces_its_passages(engine: QAEngine) -> None:
    long_text = " ".join(f"Paragraph {i} tells of the harbour and its boats." for i in range(60))
    original = make_article(title="Harbour", text=long_text, url="https://news.example/h")
    engine.ingest_articles([original])
    old = _passage_ids(engine)
    assert len(old) >= 3
    edited = make_article(title="Harbour", text="A short correction: the harbour closed.",
                          url="https://news.example/h")
    report = engine.ingest_articles([edited])
    assert report.counts()["updated"] == 1
    now = _passage_ids(engine)
    assert list(now.values()) == ["A short correction: the harbour closed."]
    assert engine.get_article(original.id).text == edited.text


def test_an_edited_file_replaces_the_article_it_was(engine: QAEngine, tmp_path: Path) -> None:
    path = tmp_path / "story.txt"
    path.write_text("Storm warning\nA storm is coming to the coast on Monday.")
    engine.ingest([str(path)])
    path.write_text("Storm warning\nThe storm reached the coast on Tuesday, a day late.")
    report = engine.ingest([str(path)])
    assert report.counts() == {"new": 0, "updated": 1, "unchanged": 0, "failed": 0}
    [row] = engine.list_articles()
    assert "Tuesday" in engine.get_article(row["id"]).text
    assert all("Monday" not in t for t in _passage_ids(engine).values())


def test_delete_removes_the_article_and_its_passages(engine: QAEngine) -> None:
    engine.ingest([str(SEEDS)])
    [row] = engine.list_articles()
    engine.delete_article(row["id"])
    assert engine.stats()["articles"] == 0 and engine.stats()["passages"] == 0
    with pytest.raises(NotFound):
        engine.get_article(row["id"])
    with pytest.raises(NotFound):
        engine.delete_article(row["id"])


def test_failures_are_reported_and_the_rest_ingested(engine: QAEngine, tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_text("Fine headline\nThe council met on Monday.")
    (tmp_path / "bad.json").write_text("[{\"title\": \"x\"")
    report = engine.ingest([str(tmp_path)])
    assert report.counts() == {"new": 1, "updated": 0, "unchanged": 0, "failed": 1}
    assert "bad.json" in report.failed[0]["source"]


def test_a_store_refuses_another_embedder(tmp_path: Path, embedder: Embedder) -> None:
    QAEngine(make_settings(tmp_path), embedder=embedder).ingest([str(SEEDS)])
    other = Embedder(as_llama_embedding(embedder), "openai:text-embedding-3-small", None)
    with pytest.raises(EmbedderMismatch, match="built with the embedder"):
        QAEngine(make_settings(tmp_path), embedder=other)


def test_urls_are_fetched_and_failures_reported(tmp_path: Path, embedder: Embedder) -> None:
    """Over loopback, so private URLs are allowed here (tests/test_fetch_safety.py: refused)."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    engine = QAEngine(make_settings(tmp_path / "store", allow_private_urls=True,
                                    fetch_host_interval=0), embedder=embedder)

    (tmp_path / "feed.jsonl").write_text(
        json.dumps({"title": "Ferry strike", "text": "Ferry crews walked out on Friday.",
                    "url": "https://news.example/strike?utm_source=feed"}) + "\n{broken\n")
    (tmp_path / "story.html").write_text(
        "<html><head><title>Bridge reopens</title></head><body><article><p>The old bridge "
        "reopened to traffic on Monday after two years of repairs, the city said.</p><p>Cyclists "
        "will get a separate lane from next spring, officials added.</p></article></body></html>")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a: None  # type: ignore[assignment,method-assign]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        report = engine.ingest([f"{base}/story.html", f"{base}/missing.html",
                                f"{base}/feed.jsonl"])
    finally:
        server.shutdown()
    assert report.counts() == {"new": 2, "updated": 0, "unchanged": 0, "failed": 2}
    assert report.failed[0] == {"source": f"{base}/missing.html",
                                "reason": f"could not fetch {base}/missing.html: HTTP 404"}
    assert report.failed[1]["source"] == f"{base}/feed.jsonl:2"
    strike = engine.get_article(report.new[1])
    assert strike.url == "https://news.example/strike"  # stored without tracking parameters
    same = make_article(title="Ferry strike", text="Ferry crews walked out on Friday.",
                        url="https://news.example/strike?utm_medium=rss")
    assert engine.ingest_articles([same]).counts()["unchanged"] == 1
    article = engine.get_article(report.new[0])
    assert article.title == "Bridge reopens" and article.url == f"{base}/story.html"
    assert "two years of repairs" in article.text


def _interrupted(articles: list, after: int) -> Iterator:  # type: ignore[type-arg]
    """The articles, then a failure mid-stream: an ingest that dies before its batch is written."""
    yield from articles[:after]
    raise KeyboardInterrupt


def test_an_update_that_dies_before_writing_keeps_the_old_passages(engine: QAEngine) -> None:
    v1 = make_article(title="Ferry", text="The ferry runs hourly.", url="https://news.example/f")
    v2 = make_article(title="Ferry", text="The ferry now runs every two hours.",
                      url="https://news.example/f")
    engine.ingest_articles([v1])
    with pytest.raises(KeyboardInterrupt):
        engine.ingest_items(_interrupted([v2], 1))
    assert list(_passage_ids(engine).values()) == ["The ferry runs hourly."]
    assert engine.ingest_articles([v1]).counts()["unchanged"] == 1
    assert list(_passage_ids(engine).values()) == ["The ferry runs hourly."]


def test_a_moved_then_edited_file_is_still_one_article(engine: QAEngine, tmp_path: Path) -> None:
    first = tmp_path / "a.txt"
    first.write_text("Ferry news\nThe ferry runs hourly.")
    engine.ingest([str(first)])
    moved = tmp_path / "ferry.txt"
    first.rename(moved)
    assert engine.ingest([str(moved)]).counts()["unchanged"] == 1
    moved.write_text("Ferry news\nThe ferry now runs every two hours.")
    assert engine.ingest([str(moved)]).counts()["updated"] == 1
    assert engine.stats()["articles"] == 1
    assert list(_passage_ids(engine).values()) == ["The ferry now runs every two hours."]


def test_a_field_the_new_version_lacks_is_cleared(engine: QAEngine) -> None:
    engine.ingest_articles([make_article(title="Ferry", text="The ferry runs hourly.",
                                         source="Wire", published_at="2023-09-30")])
    engine.ingest_articles([make_article(title="Ferry", text="The ferry runs hourly.")])
    [row] = engine.list_articles()
    assert row["source"] is None and row["published_at"] is None


def test_an_article_also_in_a_feed_survives_its_file_being_edited(engine: QAEngine,
                                                                  tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Ferry news\nThe ferry runs hourly.")
    (tmp_path / "feed.json").write_text(json.dumps([{"title": "Ferry news",
                                                     "text": "The ferry runs hourly."}]))
    engine.ingest([str(tmp_path)])
    assert engine.stats()["articles"] == 1
    (tmp_path / "a.txt").write_text("Ferry news\nThe ferry now runs every two hours.")
    engine.ingest([str(tmp_path / "feed.json"), str(tmp_path / "a.txt")])
    texts = sorted(engine.get_article(r["id"]).text for r in engine.list_articles())
    assert texts == ["The ferry now runs every two hours.", "The ferry runs hourly."]


def test_a_file_copied_over_another_replaces_it(engine: QAEngine, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Ferry news\nThe ferry runs hourly.")
    (tmp_path / "b.txt").write_text("Bus news\nThe bus runs daily.")
    engine.ingest([str(tmp_path)])
    (tmp_path / "a.txt").write_text((tmp_path / "b.txt").read_text())
    engine.ingest([str(tmp_path)])
    assert [r["title"] for r in engine.list_articles()] == ["Bus news"]
    assert list(_passage_ids(engine).values()) == ["The bus runs daily."]


def test_an_article_left_incomplete_is_hidden_until_ingested_again(engine: QAEngine) -> None:
    engine.ingest([str(SEEDS)])
    [row] = engine.list_articles()
    engine.store.mark_complete([row["id"]], complete=False)  # the state a crash mid-write leaves
    assert engine.list_articles() == [] and engine.stats()["articles"] == 0
    assert engine.ask("How many people died in the shootout?").refused
    with pytest.raises(NotFound):
        engine.get_article(row["id"])
    assert engine.ingest([str(SEEDS)]).counts()["new"] == 1
    assert not engine.ask("How many people died in the shootout?").refused


def test_a_word_longer_than_a_passage_is_cut_and_cited_exactly(engine: QAEngine) -> None:
    numbers = ",".join(str(i) for i in range(400))  # no white space to cut at
    text = f"Results were published on Monday. {numbers} were the scores. The end."
    report = engine.ingest_articles([make_article(title="Scores", text=text)])
    assert report.counts()["new"] == 1
    got = engine.store.passages.get(include=["documents", "metadatas"])
    spans = sorted((m["start"], m["end"]) for m in got["metadatas"])
    assert len(spans) >= 3
    for doc, meta in zip(got["documents"], got["metadatas"], strict=True):
        assert text[meta["start"]:meta["end"]] == doc
        assert engine.embedder.count_tokens(doc) <= 254
    covered = {i for s, e in spans for i in range(s, e)}
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())
