"""``articleqa serve``: run the HTTP service (registered with the CLI as an entry point, so
that ``qa`` does not import ``api``)."""

from __future__ import annotations

import argparse
import sys

from qa.config import Settings

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
    print(f"articleqa: serving on http://{host}:{port} ({engine.mode} mode; article writes "
          f"{writes})", file=sys.stderr)
    uvicorn.run(create_app(settings, engine), host=host, port=port, log_level="info")
    return 0
