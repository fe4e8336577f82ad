"""Schemathesis against the live OpenAPI schema of a real service: every route, over 1,000
generated requests (valid and invalid), no 5xx and no response that breaks the schema."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.engine import QAEngine
from qa.index.embedding import Embedder
from tests.conftest import SEEDS, live, make_settings

KEY = "fuzz-test-key-7f3a"
# Every check but "a schema-valid request is accepted": some rules are beyond JSON Schema
# (the conversation ends with the user's question; since <= until; an upload's file type),
# so a schema-valid request can rightly be a 422. Responses are all checked against the schema.
EXCLUDED = "positive_data_acceptance"
MIN_REQUESTS = 1000


@pytest.fixture(scope="module")
def fuzzed_url(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[str]:
    settings = make_settings(tmp_path_factory.mktemp("fuzz"), api_key=KEY)
    engine = QAEngine(settings, embedder=embedder)
    engine.ingest([str(SEEDS)])
    with live(engine) as url:
        yield url


@pytest.mark.slow
def test_generated_requests_never_break_the_service(fuzzed_url: str, tmp_path: Path) -> None:
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    assert st, "schemathesis is not installed (pip install -e '.[dev]')"
    har = tmp_path / "run.har"
    run = subprocess.run(
        [st, "run", f"{fuzzed_url}/openapi.json",
         "--max-examples", "100", "--seed", "20261128", "--checks", "all",
         "--exclude-checks", EXCLUDED,
         "--header", f"Authorization: Bearer {KEY}", "--generation-database", "none",
         "--report", "har", "--report-har-path", str(har), "--no-color",
         "--request-timeout", "60"],
        capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    entries = json.loads(har.read_text())["log"]["entries"]
    statuses = Counter(e["response"]["status"] for e in entries)
    routes = {(e["request"]["method"], e["request"]["url"].split("?")[0]) for e in entries}
    print(f"schemathesis: {len(entries)} requests ({len(routes)} distinct method+URL), "
          f"statuses {dict(sorted(statuses.items()))}")
    assert len(entries) >= MIN_REQUESTS, f"only {len(entries)} requests were sent"
    assert not [s for s in statuses if s >= 500], statuses
    bodies = [e["response"].get("content", {}).get("text") or "" for e in entries]
    assert not [b for b in bodies if "Traceback" in b or 'File "/' in b], "a stack trace leaked"
    for path in ("/api/ask", "/api/chat", "/v1/chat/completions", "/api/articles", "/health"):
        assert any(url.endswith(path) for _, url in routes), f"{path} was never requested"
    # both sides were exercised: accepted requests and refused ones
    assert statuses[200] > 100 and sum(n for s, n in statuses.items() if 400 <= s < 500) > 100
