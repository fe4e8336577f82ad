"""A per-client rate limit on the routes that answer questions: a token bucket per client
address, ``QA_RATE_LIMIT`` questions a minute after a burst of ``QA_RATE_BURST``; above it,
HTTP 429 with ``Retry-After`` (whole seconds until the next question is allowed)."""

from __future__ import annotations

import math
import threading
import time
from typing import Annotated

from fastapi import Depends, Request

from api.deps import get_settings
from api.errors import APIError
from qa.config import Settings

MAX_CLIENTS = 10_000
"""Buckets kept at most; full (idle) ones are dropped first, so memory stays bounded."""


class TokenBuckets:
    """Thread-safe buckets keyed by client; ``take`` is 0 when allowed, else seconds to wait."""

    def __init__(self, per_minute: int, burst: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        now = time.monotonic()
        with self._lock:
            tokens, at = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._store(client, tokens - 1.0, now)
                return 0.0
            self._store(client, tokens, now)
            return (1.0 - tokens) / self.rate

    def _store(self, client: str, tokens: float, now: float) -> None:
        self._buckets[client] = (tokens, now)
        if len(self._buckets) > MAX_CLIENTS:
            # a bucket that has refilled is the same as no bucket: forget those
            full = [c for c, (t, at) in self._buckets.items()
                    if min(self.burst, t + (now - at) * self.rate) >= self.burst]
            for key in full or list(self._buckets)[: len(self._buckets) - MAX_CLIENTS]:
                del self._buckets[key]


def _buckets(request: Request, settings: Settings) -> TokenBuckets | None:
    if settings.rate_limit == 0:
        return None
    state = request.app.state
    if getattr(state, "rate_buckets", None) is None:
        state.rate_buckets = TokenBuckets(settings.rate_limit, settings.rate_burst)
    buckets: TokenBuckets = state.rate_buckets
    return buckets


async def rate_limited(request: Request,
                       settings: Annotated[Settings, Depends(get_settings)]) -> None:
    """Routes that answer: refuse a client that asks faster than the configured rate."""
    buckets = _buckets(request, settings)
    if buckets is None:
        return
    client = request.client.host if request.client else "unknown"
    wait = buckets.take(client)
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise APIError(429, "rate_limited",
                       f"too many questions from this client: at most {settings.rate_limit} a "
                       f"minute (QA_RATE_LIMIT); try again in {seconds} s",
                       headers={"Retry-After": str(seconds)})


RateLimit = Depends(rate_limited)
