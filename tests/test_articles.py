import json
from datetime import date
from pathlib import Path

import pytest

from qa.errors import ArticleParseError
from qa.sources.articles import (
    LoadFailure,
    article_from_html,
    article_id_for,
    canonical_url,
    make_article,
    read_sources,
)
from qa.types import Article
from tests.conftest import SEEDS


def _read(*sources: str | Path) -> tuple[list[Article], list[LoadFailure]]:
    items = list(read_sources([str(s) for s in sources]))
    return ([i for i in items if isinstance(i, Article)],
            [i for i in items if isinstance(i, LoadFailure)])


def test_seed_txt_has_headline_as_title_and_standfirst_first() -> None:
    articles, failures = _read(SEEDS)
    assert not failures
    [article] = articles
    assert article.title.startswith("NATO Approves Deployment of Additional Forces to Kosovo")
    assert article.text.startswith("NATO approves deployment of additional forces to Kosovo")
    assert "four people" in article.text and article.origin


def test_markdown_headline_drops_hashes(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# Big news\n\nSomething happened today.\n")
    [article], _ = _read(tmp_path / "a.md")
    assert article.title == "Big news" and article.text == "Something happened today."


def test_text_header_lines_give_title_date_authors_source_and_url(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(
        "Title: Floods hit Riverton\nDate: 6 October 2023\nBy: Jane Doe and John Roe\n"
        "Source: Riverton Gazette\nURL: https://example.org/floods\n\n"
        "The floods killed 19 people, according to the final count.\n")
    [article], failures = _read(tmp_path / "a.txt")
    assert not failures
    assert article.title == "Floods hit Riverton"
    assert article.published_at == date(2023, 10, 6)
    assert article.authors == ["Jane Doe", "John Roe"]
    assert article.source == "Riverton Gazette" and article.url == "https://example.org/floods"
    assert article.text == "The floods killed 19 people, according to the final count."


@pytest.mark.parametrize(("header", "field", "value"), [
    ("Headline: Big news", "title", "Big news"),
    ("Date: 2023-10-06", "published_at", date(2023, 10, 6)),
    ("Published: Oct 6, 2023", "published_at", date(2023, 10, 6)),
    ("Published at: 6 October 2023", "published_at", date(2023, 10, 6)),
    ("Author: Jane Doe", "authors", ["Jane Doe"]),
    ("Authors: Jane Doe, John Roe", "authors", ["Jane Doe", "John Roe"]),
    ("Byline: Jane Doe", "authors", ["Jane Doe"]),
    ("Publisher: AP", "source", "AP"),
    ("Link: https://example.org/a", "url", "https://example.org/a"),
])
def test_each_text_header_gives_its_field(tmp_path: Path, header: str, field: str,
                                          value: object) -> None:
    headline = "" if field == "title" else "Big news\n"  # else the first line after it
    (tmp_path / "a.txt").write_text(f"{header}\n\n{headline}Something happened today.\n")
    [article], _ = _read(tmp_path / "a.txt")
    assert getattr(article, field) == value
    assert article.title == "Big news" and article.text == "Something happened today."


@pytest.mark.parametrize("headline", ["Update: Serbia prepares",  # no header name
                                      "Source: officials say 19 dead"])  # no blank line
def test_a_first_line_with_a_colon_that_is_no_header_stays_the_headline(
        tmp_path: Path, headline: str) -> None:
    (tmp_path / "a.txt").write_text(f"{headline}\nSomething happened today.\n")
    [article], _ = _read(tmp_path / "a.txt")
    assert article.title == headline
    assert article.text == "Something happened today."


def test_a_url_header_that_is_no_web_address_is_left_out(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Title: X\nURL: example.org/x\n\nSomething happened.\n")
    [article], failures = _read(tmp_path / "a.txt")
    assert not failures and article.title == "X" and article.url is None


def test_an_unreadable_header_date_fails_that_article_clearly(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Title: X\nDate: someday\n\nBody text here.\n")
    (tmp_path / "b.txt").write_text("Fine\nBody text here.\n")
    articles, [failure] = _read(tmp_path)
    assert [a.title for a in articles] == ["Fine"]
    assert "Date header" in failure.reason


def test_html_reads_title_date_and_text(tmp_path: Path) -> None:
    page = """<html><head><title>Floods hit the valley</title>
    <meta property="article:published_time" content="2023-03-04T10:00:00Z">
    <meta name="author" content="Ana Diaz"></head><body><nav>Home | World</nav>
    <article><h1>Floods hit the valley</h1><p>Heavy rain flooded the valley on Friday,
    forcing 300 families from their homes.</p><p>Rescue teams worked through the night to
    reach villages cut off by the water, officials said.</p></article></body></html>"""
    (tmp_path / "flood.html").write_text(page)
    [article], failures = _read(tmp_path / "flood.html")
    assert not failures
    assert article.title == "Floods hit the valley"
    assert article.published_at == date(2023, 3, 4)
    assert "300 families" in article.text and "Home | World" not in article.text
    assert article.text.startswith("Heavy rain"), "the headline is not repeated in the text"


def test_json_list_and_jsonl_with_a_bad_record(tmp_path: Path) -> None:
    records = [{"title": "One", "text": "First text.", "url": "https://ex.com/1",
                "published_at": "2023/09/30", "authors": ["A B"]},
               {"title": "Two", "text": "", "url": "https://ex.com/2"}]
    (tmp_path / "a.json").write_text(json.dumps({"articles": records}))
    (tmp_path / "b.jsonl").write_text(json.dumps(records[0] | {"url": "https://ex.com/3"})
                                      + "\n{not json\n")
    articles, failures = _read(tmp_path)
    assert sorted(a.url or "" for a in articles) == ["https://ex.com/1", "https://ex.com/3"]
    assert articles[0].published_at == date(2023, 9, 30) and articles[0].authors == ["A B"]
    reasons = {f.origin.rsplit("/", 1)[-1]: f.reason for f in failures}
    assert reasons == {"a.json[1]": "the article has no text", "b.jsonl:2": reasons["b.jsonl:2"]}
    assert "invalid JSON" in reasons["b.jsonl:2"]


def test_bad_files_are_reported_and_the_rest_read(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("Headline\nBody text here.")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02garbage")
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "broken.json").write_text("{\"title\": ")
    (tmp_path / "latin1.txt").write_bytes("Café news\nLe café est très bon.".encode("latin-1"))
    articles, failures = _read(tmp_path, tmp_path / "missing.txt")
    assert sorted(a.title for a in articles) == ["Café news", "Headline"]
    reasons = {Path(f.origin).name: f.reason for f in failures}
    assert "binary" in reasons["binary.txt"]
    assert reasons["empty.txt"] == "the article has no text"
    assert "invalid JSON" in reasons["broken.json"]
    assert reasons["missing.txt"] == "no such file, folder or URL"


def test_ids_are_stable_and_follow_the_canonical_url() -> None:
    assert canonical_url("HTTPS://Ex.com/a/?utm_source=x&id=3#top") == "https://ex.com/a?id=3"
    one = make_article(title="T", text="Body.", url="https://ex.com/a?utm_medium=rss")
    two = make_article(title="T2", text="Other body.", url="https://EX.com/a/")
    assert one.id == two.id and one.source == "ex.com"  # the outlet, when none is named
    assert article_id_for("T", "Some  text", None) == article_id_for("t", "some text", None)
    assert article_id_for("T", "Some text", None) != article_id_for("T", "Other text", None)


def test_invalid_fields_are_clear_errors() -> None:
    with pytest.raises(ArticleParseError, match="date"):
        make_article(title="T", text="x", published_at="last tuesday")
    with pytest.raises(ArticleParseError, match="url"):
        make_article(title="T", text="x", url="javascript:alert(1)")
    with pytest.raises(ArticleParseError, match="no readable text"):
        article_from_html("<html><body></body></html>")


def test_records_with_bad_fields_fail_alone(tmp_path: Path) -> None:
    good = {"title": "Good", "text": "Fine text.", "url": "https://ex.com/good"}
    bad = [
        {"title": "A", "text": "t", "authors": 5},
        {"title": "B", "text": "t", "published_at": 1e20},
        {"title": "C", "text": "t", "url": "http://[::1/x"},
        {"title": 7, "text": "t"},
        {"title": "D", "text": "t", "url": "https://ex.com/a b"},
    ]
    lines = [json.dumps(r) for r in bad] + [json.dumps(good)]
    lines.insert(2, '{"title": "E", "text": "lone \\ud800 surrogate", "url": "https://ex.com/e"}')
    (tmp_path / "mixed.jsonl").write_text("\n".join(lines))
    articles, failures = _read(tmp_path / "mixed.jsonl")
    assert sorted(a.title for a in articles) == ["E", "Good"]
    assert "\ufffd" in next(a.text for a in articles if a.title == "E")
    assert len(failures) == 5
    assert all(f.reason for f in failures)


def test_query_only_urls_stay_distinct() -> None:
    one = make_article(title="A", text="a.", url="https://news.example/story.php?1001")
    two = make_article(title="B", text="b.", url="https://news.example:443/story.php?1002")
    assert one.id != two.id and two.url == "https://news.example/story.php?1002"
    assert canonical_url("http://x.example:80/a/?b=2&utm_source=z&a=1") == "http://x.example/a?a=1&b=2"


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    from qa.sources.articles import MAX_FILE_BYTES, TOO_LARGE

    (tmp_path / "huge.txt").write_bytes(b"Headline\n" + b"x" * MAX_FILE_BYTES)
    (tmp_path / "ok.txt").write_text("Headline\nFine text.")
    articles, failures = _read(tmp_path)
    assert [a.text for a in articles] == ["Fine text."]
    assert [(Path(f.origin).name, f.reason) for f in failures] == [("huge.txt", TOO_LARGE)]
