"""Reading articles from files, folders and URLs into ``Article`` objects.

Formats: ``.txt``/``.md`` (first line = headline, the rest = text), ``.html``/``.htm``
(readable text, title, date and authors from the page), ``.json`` (an object, a list, or
``{"articles": [...]}``) and ``.jsonl`` (one object a line), with the fields ``title``,
``text``, ``url``, ``source``, ``published_at`` and ``authors``.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from qa.errors import ArticleParseError
from qa.types import Article

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES
MAX_FILE_BYTES = 20 * 1024 * 1024
TOO_LARGE = f"larger than the {MAX_FILE_BYTES // 2**20} MB limit"
_TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ocid|cmpid)$", re.I)


@dataclass(frozen=True)
class LoadFailure:
    """An input that could not be read, with the reason."""

    origin: str
    reason: str


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no default port, no fragment, no tracking parameters,
    the rest of the query kept (sorted, bare values like ``?1001`` included), no trailing
    slash."""
    parts = urlsplit(url.strip())
    scheme, host = parts.scheme.lower(), parts.netloc.lower()
    if (scheme, host.rsplit(":", 1)[-1]) in {("http", "80"), ("https", "443")}:
        host = host.rsplit(":", 1)[0]
    fields = [f for f in parts.query.split("&")
              if f and not _TRACKING_PARAMS.match(f.split("=", 1)[0])]
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((scheme, host, path, "&".join(sorted(fields)), ""))


def _normalise(text: str) -> str:
    return " ".join(text.casefold().split())


def article_id_for(title: str, text: str, url: str | None) -> str:
    """A stable id: from the canonical URL when there is one, else from title and text."""
    if url:
        key = "url:" + canonical_url(url)
    else:
        key = "text:" + _normalise(title) + "\n" + _normalise(text)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def clean_text(text: str) -> str:
    """NFC, Unix newlines, no trailing spaces on lines, no blank runs, trimmed."""
    text = re.sub(r"[\ud800-\udfff]", "\ufffd", text)  # lone surrogates cannot be stored
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\x00", "")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def parse_date(value: Any) -> date | None:
    """Dates as ISO strings, ``YYYY/MM/DD``, datetimes or epoch seconds; None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, tz=UTC).date()
        except (OverflowError, OSError, ValueError):
            raise ArticleParseError(f"unreadable date {value!r}") from None
    text = str(value).strip().replace("/", "-")
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    match = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    raise ArticleParseError(f"unreadable date {value!r} (use YYYY-MM-DD)")


def make_article(
    *,
    title: object,
    text: object,
    url: object = None,
    source: object = None,
    published_at: Any = None,
    authors: Any = None,
    origin: str | None = None,
) -> Article:
    """Validate and normalise one article's fields and give it its id."""
    if not isinstance(title, str | None) or not isinstance(text, str | None):
        raise ArticleParseError("title and text must be strings")
    if authors is not None and not isinstance(authors, str | list):
        raise ArticleParseError("authors must be a list of names or a string")
    for name, value in (("url", url), ("source", source)):
        if value is not None and not isinstance(value, str):
            raise ArticleParseError(f"{name} must be a string")
    title = clean_text(str(title or "")).replace("\n", " ")
    text = clean_text(str(text or ""))
    if not re.search(r"\w", text):
        raise ArticleParseError("the article has no text")
    if not title:
        title = text.split("\n", 1)[0][:120]
    if isinstance(authors, str):
        authors = [a.strip() for a in re.split(r",| and ", authors) if a.strip()]
    if any(not isinstance(a, str) for a in authors or []):
        raise ArticleParseError("authors must be a list of names (strings)")
    author_list = [clean_text(a) for a in (authors or []) if isinstance(a, str) and a.strip()]
    link = clean_text(str(url)) if url else None
    if link and not re.match(r"^https?://\S+$", link, re.I):
        raise ArticleParseError(f"url must be http:// or https:// with no spaces: {link[:80]!r}")
    try:
        link = canonical_url(link) if link else None  # stored without tracking parameters
        article_id = article_id_for(title, text, link)
    except ValueError as exc:  # urlsplit rejects some malformed URLs
        raise ArticleParseError(f"invalid url {link!r}: {exc}") from None
    return Article(
        id=article_id,
        title=title,
        text=text,
        url=link,
        source=clean_text(str(source)) if source else _outlet(link),
        published_at=parse_date(published_at),
        authors=author_list,
        origin=origin,
    )


def _outlet(url: str | None) -> str | None:
    """The site's host name ("apnews.com") as the outlet when the article names none."""
    host = urlsplit(url).hostname if url else None
    return host.removeprefix("www.") if host else None


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
    """First non-empty line is the headline (``#`` marks stripped); the rest is the text."""
    lines = clean_text(content).split("\n", 1)
    title = lines[0].lstrip("#").strip()
    body = lines[1] if len(lines) > 1 else ""
    return make_article(title=title, text=body, origin=origin)


def article_from_html(content: str, url: str | None = None, origin: str | None = None) -> Article:
    """Readable text, title, date and authors of a web page (trafilatura)."""
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
    if title and _normalise(first) == _normalise(title) and rest.strip():
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


def _jsonl_articles(content: str, name: str) -> Iterator[Article | LoadFailure]:
    for lineno, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield article_from_record(load_json(line))
        except ArticleParseError as exc:
            yield LoadFailure(f"{name}:{lineno}", str(exc))


def fetch_url(url: str, timeout: float = 20.0) -> Iterator[Article | LoadFailure]:
    import httpx

    try:
        response = httpx.get(url, timeout=timeout, follow_redirects=True,
                             headers={"User-Agent": "articleqa/0.1"})
        response.raise_for_status()
    except httpx.HTTPStatusError as exc:
        yield LoadFailure(url, f"could not fetch: HTTP {exc.response.status_code}")
        return
    except httpx.HTTPError as exc:
        yield LoadFailure(url, f"could not fetch: {type(exc).__name__} {exc}".strip())
        return
    if len(response.content) > MAX_FILE_BYTES:
        yield LoadFailure(url, TOO_LARGE)
        return
    kind = response.headers.get("content-type", "")
    suffix = Path(urlsplit(str(response.url)).path).suffix.lower()
    if suffix in JSON_SUFFIXES or "json" in kind:
        lines = re.search(r"ndjson|jsonl|json-seq", kind)
        name = "page" + (suffix if suffix in JSON_SUFFIXES else ".jsonl" if lines else ".json")
        for item in parse_file_bytes(response.content, name):
            yield LoadFailure(url + item.origin[len(name):], item.reason) \
                if isinstance(item, LoadFailure) else item
        return
    try:
        yield article_from_html(response.text, url=str(response.url))
    except ArticleParseError as exc:
        yield LoadFailure(url, str(exc))


def _files_under(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def read_sources(sources: Iterable[str]) -> Iterator[Article | LoadFailure]:
    """Articles from every folder, file or URL given, in order; failures are yielded too."""
    for source in sources:
        if re.match(r"^https?://", source, re.I):
            yield from fetch_url(source)
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
