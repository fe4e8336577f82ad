"""Security basics over real HTTP: the per-client rate limit (429 with Retry-After) and CORS,
closed by default and opened only to the configured origins."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from api.ratelimit import MAX_CLIENTS, TokenBuckets
from qa.config import Settings

QUESTION = {"question": "How many people died in the shootout?"}
CHAT = {"messages": [{"role": "user", "content": QUESTION["question"]}]}


def _defaults() -> dict[str, object]:
    fields = Settings.model_fields
    return {"rate_limit": fields["rate_limit"].default, "rate_burst": fields["rate_burst"].default}


def test_the_default_limit_refuses_a_flood_with_retry_after(serve: Callable[..., str]) -> None:
    url = serve(seed=False, **_defaults())
    burst = int(_defaults()["rate_burst"])  # type: ignore[call-overload]
    with httpx.Client(base_url=url, timeout=30) as client:
        # empty questions are cheap (422), so the flood outruns the refill
        statuses = [client.post("/api/ask", json={"question": ""}) for _ in range(burst + 20)]
        assert [r.status_code for r in statuses[:burst]] == [422] * burst
        limited = [r for r in statuses if r.status_code == 429]
        assert limited, "a client asking far above the rate was never refused"
        refused = limited[0]
        assert refused.headers["Retry-After"].isdigit()
        assert int(refused.headers["Retry-After"]) >= 1
        error = refused.json()["error"]
        assert error["type"] == "rate_limited"
        assert "QA_RATE_LIMIT" in error["message"]
        # reading is not limited
        assert client.get("/health").status_code == 200
        assert client.get("/api/articles").status_code == 200


def test_a_client_gets_in_again_after_retry_after(serve: Callable[..., str]) -> None:
    url = serve(rate_limit=60, rate_burst=1)
    with httpx.Client(base_url=url, timeout=60) as client:
        assert client.post("/api/ask", json=QUESTION).status_code == 200
        refused = client.post("/api/chat", json=CHAT | {"stream": True})
        assert refused.status_code == 429  # the answering routes share one bucket
        wait = int(refused.headers["Retry-After"])
        assert 1 <= wait <= 2
        time.sleep(wait)
        again = client.post("/api/chat", json=CHAT)
        assert again.status_code == 200, again.text
        assert not again.json()["refused"]
        completions = client.post("/v1/chat/completions", json={"model": "articleqa", **CHAT})
        assert completions.status_code == 429
        assert completions.json()["error"]["type"] == "rate_limited"


def test_no_limit_when_it_is_off(serve: Callable[..., str]) -> None:
    url = serve(seed=False, rate_limit=0)
    with httpx.Client(base_url=url, timeout=30) as client:
        statuses = {client.post("/api/ask", json={"question": ""}).status_code
                    for _ in range(60)}
    assert statuses == {422}


def test_buckets_stay_bounded_with_many_clients() -> None:
    buckets = TokenBuckets(per_minute=60, burst=2)
    for i in range(MAX_CLIENTS + 50):
        assert buckets.take(f"10.0.{i // 256}.{i % 256}") == 0.0
    assert len(buckets._buckets) <= MAX_CLIENTS
    # a client that spent its burst waits about a second per question at 60 a minute
    assert buckets.take("192.0.2.1") == 0.0
    assert buckets.take("192.0.2.1") == 0.0
    assert 0.9 < buckets.take("192.0.2.1") <= 1.0


def _preflight(client: httpx.Client, origin: str) -> httpx.Response:
    return client.options("/api/ask", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})


def test_cors_is_closed_by_default(serve: Callable[..., str]) -> None:
    url = serve(seed=False)
    with httpx.Client(base_url=url, timeout=30) as client:
        plain = client.get("/health", headers={"Origin": "https://elsewhere.example"})
        assert plain.status_code == 200
        assert "access-control-allow-origin" not in plain.headers
        preflight = _preflight(client, "https://elsewhere.example")
        assert "access-control-allow-origin" not in preflight.headers
        assert "access-control-allow-methods" not in preflight.headers


def test_cors_opens_only_to_the_configured_origins(serve: Callable[..., str]) -> None:
    url = serve(seed=False, cors_origins="https://app.example, https://news.example/")
    with httpx.Client(base_url=url, timeout=30) as client:
        for origin in ("https://app.example", "https://news.example"):
            got = client.get("/health", headers={"Origin": origin})
            assert got.headers["access-control-allow-origin"] == origin
            preflight = _preflight(client, origin)
            assert preflight.status_code == 200
            assert "POST" in preflight.headers["access-control-allow-methods"]
            assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
        other = client.get("/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        refused = _preflight(client, "https://evil.example")
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers
