"""Reading articles from files, folders and URLs into ``Article`` objects.

Formats: ``.txt``/``.md`` (optional "Title:"/"Date:"/"By:" header lines, else first
line = headline; the rest = text), ``.html``/``.htm``
(readable text, title, date and authors from the page), ``.json`` (an object, a list, or
``{"articles": [...]}``) and ``.jsonl`` (one object a line), with the fields ``title``,
``text``, ``url``, ``source``, ``published_at`` and ``authors``.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from qa.errors import ArticleParseError, FetchError
from qa.sources.fields import article_id_for as article_id_for
from qa.sources.fields import canonical_url as canonical_url
from qa.sources.fields import clean_text as clean_text
from qa.sources.fields import make_article as make_article
from qa.sources.fields import normalise
from qa.sources.fields import parse_date as parse_date
from qa.text.wordlists import word_map
from qa.types import Article

if TYPE_CHECKING:
    from qa.sources.fetch import Fetcher

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES
MAX_FILE_BYTES = 20 * 1024 * 1024
TOO_LARGE = f"larger than the {MAX_FILE_BYTES // 2**20} MB limit"
TEXT_HEADERS = word_map("text_headers")
_HEADER = re.compile(r"^\s*([A-Za-z][A-Za-z ]{0,20}?)\s*:\s*(\S.*)$")


@dataclass(frozen=True)
class LoadFailure:
    """An input that could not be read, with the reason."""

    origin: str
    reason: str


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode_bytes(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 or UTF-32 with a BOM (what Windows editors save
    as "Unicode"), else the best guess; binary files are refused."""
    for bom, encoding in _BOMS:  # UTF-32 first: its little-endian BOM starts like UTF-16's
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                raise ArticleParseError(f"not valid {encoding.upper()} text") from None
    if b"\x00" in data[:8192]:
        raise ArticleParseError("looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is None:
            raise ArticleParseError("cannot tell the text encoding") from None
        return str(best)


def article_from_plain_text(content: str, origin: str | None = None) -> Article:
    """Header lines first ("Title: …", "Date: 6 October 2023", "By: …", "Source: …",
    "URL: …"; the names are ``text_headers`` in ``qa/text/wordlists.toml``) and a blank
    line, if any; then
    the headline, the first line left unless a header gave it (``#`` marks stripped); the
    rest is the text."""
    fields, rest = _headers(clean_text(content))
    if "title" not in fields:
        lines = rest.split("\n", 1)
        fields["title"] = lines[0].lstrip("#").strip()
        rest = lines[1] if len(lines) > 1 else ""
    published = fields.pop("published_at", None)
    return make_article(text=rest.strip(), origin=origin,
                        published_at=_header_date(published) if published else None, **fields)


def _headers(content: str) -> tuple[dict[str, str], str]:
    """The leading ``Name: value`` lines whose names are known, when a blank line ends them
    (as in an e-mail: so a headline such as "Source: officials say 19 dead" stays one), and
    the text after them. A ``URL:`` that is not an http(s) address is left out."""
    lines = content.split("\n")
    fields: dict[str, str] = {}
    for number, line in enumerate(lines):
        if not line.strip():
            if fields.get("url") and not re.match(r"^https?://\S+$", fields["url"], re.I):
                del fields["url"]
            return fields, "\n".join(lines[number + 1:])
        match = _HEADER.match(line)
        field = TEXT_HEADERS.get(" ".join(match[1].lower().split())) if match else None
        if match is None or field is None or field in fields:
            break
        fields[field] = match[2].strip()
    return {}, content


def _header_date(value: str) -> date:
    """An ISO date, or one written out ("6 October 2023", "Oct 6, 2023") read by dateparser."""
    try:
        parsed = parse_date(value)
    except ArticleParseError:
        parsed = None
    if parsed is None:
        import dateparser

        read: datetime | None = dateparser.parse(value, languages=["en"],
                                settings={"REQUIRE_PARTS": ["day", "month", "year"]})
        if read is None:
            raise ArticleParseError(f"unreadable date {value!r} in the Date header (use "
                                    "YYYY-MM-DD or a day, month and year)")
        parsed = read.date()
    return parsed


def article_from_html(content: str | bytes, url: str | None = None,
                      origin: str | None = None) -> Article:
    """Readable text, title, date and authors of a web page (trafilatura; given bytes, it
    finds their encoding from the page itself)."""
    try:
        import trafilatura

        doc = trafilatura.bare_extraction(
            content, url=url, with_metadata=True, include_comments=False, include_tables=False
        )
    except Exception as exc:  # a reader bug (or a broken install) fails this page, not the run
        raise ArticleParseError(f"the HTML reader failed: {type(exc).__name__}: {exc}") from exc
    if doc is None:
        raise ArticleParseError("no readable text found in the HTML")
    meta: dict[str, Any] = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    title, text = meta.get("title") or "", meta.get("text") or ""
    first, _, rest = text.partition("\n")
    if title and normalise(first) == normalise(title) and rest.strip():
        text = rest  # the page's own headline, repeated as the text's first line
    return make_article(
        title=title,
        text=text,
        url=url or meta.get("url"),
        source=meta.get("sitename") or meta.get("hostname"),
        published_at=meta.get("date"),
        authors=meta.get("author"),
        origin=origin,
    )


def article_from_record(record: Any, origin: str | None = None) -> Article:
    if not isinstance(record, dict):
        raise ArticleParseError("an article must be a JSON object")
    return make_article(
        title=record.get("title"), text=record.get("text"),
        url=record.get("url"), source=record.get("source"),
        published_at=record.get("published_at"), authors=record.get("authors"), origin=origin,
    )


def load_json(content: str | bytes) -> Any:
    """``json.loads`` whose every failure on hostile input is an ``ArticleParseError``: besides
    syntax errors, nesting too deep for the parser (``RecursionError``) and integers too long
    to convert (``ValueError``)."""
    try:
        return json.loads(content)
    except json.JSONDecodeError as exc:
        where = f" at line {exc.lineno}" if exc.doc.count("\n") else ""
        raise ArticleParseError(f"invalid JSON ({exc.msg}{where})") from None
    except RecursionError:
        raise ArticleParseError("invalid JSON (nested too deeply)") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise ArticleParseError(f"invalid JSON ({str(exc).split(':')[0]})") from None


def _json_records(content: str, name: str) -> list[Any]:
    data = load_json(content)
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        return list(data["articles"])
    return data if isinstance(data, list) else [data]


def parse_file_bytes(
    data: bytes, name: str, origin: str | None = None
) -> Iterator[Article | LoadFailure]:
    """Every article in one file's bytes; a bad record is a failure, not the whole file."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        yield LoadFailure(name, f"unsupported file type {suffix or '(none)'}")
        return
    if len(data) > MAX_FILE_BYTES:
        yield LoadFailure(name, TOO_LARGE)
        return
    try:
        content = decode_bytes(data, name)
        if suffix in TEXT_SUFFIXES:
            yield article_from_plain_text(content, origin=origin)
        elif suffix in HTML_SUFFIXES:
            yield article_from_html(content, origin=origin)
        elif suffix == ".json":
            for i, record in enumerate(_json_records(content, name)):
                try:
                    yield article_from_record(record)
                except ArticleParseError as exc:
                    yield LoadFailure(f"{name}[{i}]", str(exc))
        else:
            yield from _jsonl_articles(content, name)
    except ArticleParseError as exc:
        yield LoadFailure(name, str(exc))


def parse_upload(data: bytes, name: str) -> list[Article | LoadFailure]:
    """An uploaded file's articles. A text or HTML upload remembers its file name and
    headline, so uploading an edited version of the same file replaces the earlier one (as
    ingesting an edited file from disk does); different files that share a name do not
    collide unless their headlines match too."""
    items = list(parse_file_bytes(data, name, origin=f"upload:{name}"))
    return [item.model_copy(update={"origin": f"{item.origin}:{item.title}"})
            if isinstance(item, Article) and item.origin else item for item in items]


def _jsonl_articles(content: str, name: str) -> Iterator[Article | LoadFailure]:
    for lineno, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield article_from_record(load_json(line))
        except ArticleParseError as exc:
            yield LoadFailure(f"{name}:{lineno}", str(exc))


def fetch_url(url: str, fetcher: Fetcher) -> Iterator[Article | LoadFailure]:
    """The article(s) at ``url``, fetched as feeds are (``qa.sources.fetch``: public
    addresses only unless allowed, every redirect checked, robots.txt, a deadline and a size
    limit): a web page's article, or the articles of a JSON or JSON Lines document."""
    try:
        page = fetcher.get(url)
    except FetchError as exc:
        yield LoadFailure(url, str(exc))
        return
    kind = page.headers.get("content-type", "")
    suffix = Path(urlsplit(page.url).path).suffix.lower()
    if suffix in JSON_SUFFIXES or "json" in kind:
        lines = re.search(r"ndjson|jsonl|json-seq", kind)
        name = "page" + (suffix if suffix in JSON_SUFFIXES else ".jsonl" if lines else ".json")
        for item in parse_file_bytes(page.content, name):
            yield LoadFailure(url + item.origin[len(name):], item.reason) \
                if isinstance(item, LoadFailure) else item
        return
    try:
        yield article_from_html(page.markup, url=page.url)
    except ArticleParseError as exc:
        yield LoadFailure(url, str(exc))


def _files_under(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def read_sources(sources: Iterable[str],
                 fetcher: Fetcher | None = None) -> Iterator[Article | LoadFailure]:
    """Articles from every folder, file or URL given, in order; failures are yielded too.
    URLs are fetched by ``fetcher`` (without one, a URL is a failure)."""
    for source in sources:
        if re.match(r"^https?://", source, re.I):
            if fetcher is None:
                yield LoadFailure(source, "URLs are not read here")
            else:
                yield from fetch_url(source, fetcher)
            continue
        path = Path(source)
        if path.is_dir():
            files = _files_under(path)
            if not files:
                yield LoadFailure(source, "no .txt, .md, .html, .json or .jsonl files in folder")
            for file in files:
                yield from _read_file(file)
        elif path.is_file():
            yield from _read_file(path)
        else:
            yield LoadFailure(source, "no such file, folder or URL")


def _read_file(path: Path) -> Iterator[Article | LoadFailure]:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            yield LoadFailure(str(path), TOO_LARGE)
            return
        data = path.read_bytes()
    except OSError as exc:
        yield LoadFailure(str(path), f"cannot read: {exc.strerror}")
        return
    single = path.suffix.lower() in TEXT_SUFFIXES | HTML_SUFFIXES
    yield from parse_file_bytes(data, str(path), origin=str(path.resolve()) if single else None)
