"""``articleqa serve``: run the HTTP service (registered with the CLI as an entry point, so
that ``qa`` does not import ``api``)."""

from __future__ import annotations

import argparse
import contextlib
import sys
from types import FrameType
from typing import TYPE_CHECKING

from qa.config import Settings

if TYPE_CHECKING:
    import uvicorn

    from qa.engine import QAEngine

HELP = "serve the HTTP API and web UI (ingests seeds/ when the store is empty)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to bind (default QA_HOST, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default QA_PORT, 8000)")


def run(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app, tune_process
    from qa.engine import QAEngine

    tune_process()
    engine = QAEngine(settings)
    if engine.count_articles() == 0 and settings.seeds_dir.is_dir():
        report = engine.ingest([str(settings.seeds_dir)])
        counts = report.counts()
        print(f"articleqa: ingested {settings.seeds_dir}: {counts['new']} new, "
              f"{counts['failed']} failed", file=sys.stderr)
    host, port = args.host or settings.host, args.port or settings.port
    writes = "need QA_API_KEY" if settings.api_key else "are open (set QA_API_KEY to lock them)"
    model = engine.stats()["model"]
    print(f"articleqa: serving on http://{host}:{port} ({engine.mode} mode"
          f"{f', {model}' if model else ''}; article writes {writes})", file=sys.stderr)
    config = uvicorn.Config(create_app(settings, engine), host=host, port=port,
                            log_level="info", timeout_graceful_shutdown=5)
    _serve(config, engine)
    return 0


def _serve(config: uvicorn.Config, engine: QAEngine) -> None:
    """Runs uvicorn, stopping the engine's generations as soon as the signal to stop
    arrives: uvicorn would otherwise wait for the requests they hold to finish first."""
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            engine.close()
            super().handle_exit(sig, frame)

    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises Ctrl-C once it has stopped
        Server(config).run()
