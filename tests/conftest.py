"""Shared fixtures: the real local embedder (loaded once), real embedded Chroma in a
temporary folder, the seed article, and the scripted LLM server."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from api.app import create_app
from qa.config import Settings
from qa.engine import QAEngine
from qa.index.embedding import Embedder, build_embedder
from qa.intake import Intake
from tests.fake_llm import ScriptedLLM, start
from tests.feedserver import Site, serving

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
NO_MODELS = ROOT / ".no-models-in-tests"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("QA_") or key == "OPENAI_API_KEY":
            monkeypatch.delenv(key)
    # An installed local model must not turn every test's answerer (auto) into it: the
    # local-model tests name their model directory themselves.
    monkeypatch.setenv("QA_MODELS_DIR", str(NO_MODELS))


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return build_embedder(Settings(_env_file=None))  # type: ignore[call-arg]


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings over ``data_dir``. The per-client rate limit is off unless a test sets it:
    every test client is 127.0.0.1, and only tests/test_security.py is about the limit."""
    overrides.setdefault("rate_limit", 0)
    overrides.setdefault("models_dir", NO_MODELS)  # module fixtures start before _clean_env
    return Settings(_env_file=None, data_dir=data_dir, **overrides)  # type: ignore[call-arg]


@pytest.fixture
def engine(tmp_path: Path, embedder: Embedder) -> QAEngine:
    return QAEngine(make_settings(tmp_path / "store"), embedder=embedder)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> QAEngine:
    """One engine over the seed article, shared by the read-only tests of a module."""
    engine = QAEngine(make_settings(tmp_path_factory.mktemp("seeded")), embedder=embedder)
    report = engine.ingest([str(SEEDS)])
    assert report.counts()["new"] == 1
    return engine


@pytest.fixture
def llm() -> Iterator[ScriptedLLM]:
    scripted = ScriptedLLM()
    server = start(scripted)
    yield scripted
    server.shutdown()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A real ``chroma run`` server on loopback."""
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    assert chroma, "the chroma command (from the chromadb package) is not installed"
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen([chroma, "run", "--path", str(path), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("chroma run did not start listening within 60 s")
    yield "127.0.0.1", port
    proc.terminate()
    proc.wait(timeout=20)


@contextmanager
def live(engine: QAEngine) -> Iterator[str]:
    """The service over ``engine``, in real uvicorn on a free loopback port; yields its URL."""
    port = free_port()
    config = uvicorn.Config(create_app(engine.settings, engine), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        assert thread.is_alive() and time.time() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture(scope="module")
def seeded_url(seeded: QAEngine) -> Iterator[str]:
    """The service over the module's seed-article engine (read-only tests)."""
    with live(seeded) as url:
        yield url


@pytest.fixture
def serve(tmp_path: Path, embedder: Embedder) -> Iterator[Callable[..., str]]:
    """Starts a service over a fresh store with settings overrides; returns its URL."""
    with contextlib.ExitStack() as stack:
        started = iter(range(1000))

        def start(seed: bool = True, **overrides: Any) -> str:
            data_dir = tmp_path / f"store{next(started)}"
            engine = QAEngine(make_settings(data_dir, **overrides), embedder=embedder)
            if seed:
                engine.ingest([str(SEEDS)])
            return stack.enter_context(live(engine))
        yield start


@pytest.fixture
def site() -> Iterator[Site]:
    """A real HTTP server on loopback serving the feeds and pages a test puts on it."""
    with serving() as served:
        yield served


@pytest.fixture
def make_intake(tmp_path: Path, embedder: Embedder) -> Iterator[Callable[..., Intake]]:
    """``make(**overrides)``: a feed intake over a fresh store, with private URLs allowed
    (``site`` is on loopback), no pace per host and small fetch limits unless overridden."""
    made: list[Intake] = []

    def make(**overrides: Any) -> Intake:
        overrides = {"allow_private_urls": True, "fetch_host_interval": 0,
                     "fetch_timeout": 2, "fetch_max_bytes": 100_000} | overrides
        settings = make_settings(tmp_path / f"intake{len(made)}", **overrides)
        made.append(Intake(QAEngine(settings, embedder=embedder)))
        return made[-1]
    yield make
    for intake in made:
        intake.close()
