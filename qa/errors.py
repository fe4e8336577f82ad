"""Domain errors. Callers (CLI, API) map them to exit codes and HTTP statuses.

    QAError
    ├── InvalidInput          bad question, date, path or article (user's fault, 4xx)
    │   ├── ArticleParseError one article could not be parsed
    │   └── FetchError        a feed or page could not be fetched (unreachable, HTTP error,
    │       └── UnsafeURL     too large, too slow, robots.txt) / its address is not public
    ├── NotFound              no such article
    ├── ModelError            the local embedding model is missing or corrupt
    ├── StoreError            Chroma unreachable or inconsistent
    │   └── EmbedderMismatch  the store was built with another embedder
    └── UpstreamError         the LLM or remote embedder failed (timeout, 5xx, bad reply)
        ├── MalformedReply    it answered, but not with a chat reply's shape
        └── UpstreamBusy      it is rate limiting us (HTTP 429): try again after a while
"""

from __future__ import annotations


class QAError(Exception):
    """Base of every error articleqa raises on purpose."""


class InvalidInput(QAError):
    pass


class ArticleParseError(InvalidInput):
    pass


class FetchError(InvalidInput):
    pass


class UnsafeURL(FetchError):
    """The URL resolves to a private, loopback or otherwise non-public address."""


class NotFound(QAError):
    pass


class ModelError(QAError):
    pass


class StoreError(QAError):
    pass


class EmbedderMismatch(StoreError):
    pass


class UpstreamError(QAError):
    pass


class MalformedReply(UpstreamError):
    pass


class UpstreamBusy(UpstreamError):
    """The upstream refused for now (HTTP 429); ``retry_after`` is its wait in seconds, if said."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
