"""The RealTimeQA development weeks (the third quiz week of each month, February to
September 2023, which no reported run uses) and an engine over them, for the tools that
replay parts of answering on them (``eval.ranking``, ``eval.retrieval_depth``)."""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from eval import realtimeqa
from eval.datasets import DataMissing, Dataset
from qa.config import Settings
from qa.engine import QAEngine

DEV_WEEKS = ["20230217", "20230317", "20230421", "20230519", "20230616", "20230721",
             "20230818", "20230915"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--weeks", default=",".join(DEV_WEEKS))
    parser.add_argument("--data-dir", type=Path, help="store to reuse between runs "
                        "(default: a temporary one)")


@contextmanager
def engine_over(args: argparse.Namespace) -> Iterator[tuple[Dataset, QAEngine] | None]:
    """The chosen weeks and an extractive engine holding their articles; ``None`` (after
    saying so) when the data is absent."""
    try:
        dataset = realtimeqa.dataset(chosen=args.weeks.split(","))
    except DataMissing as exc:
        print(f"skipped: {exc}")
        yield None
        return
    with tempfile.TemporaryDirectory() as tmp:
        engine = QAEngine(Settings(data_dir=args.data_dir or Path(tmp), answerer="extractive"))
        engine.ingest_articles(dataset.articles)
        yield dataset, engine
