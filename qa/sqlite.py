"""One SQLite file shared by the threads of a process: the connection, its lock, and
transactions (the feed registry and the job store keep their state this way)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class SqliteFile:
    def __init__(self, path: Path, schema: str) -> None:
        """Open (creating its folder) and apply ``schema`` (``CREATE … IF NOT EXISTS``)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.lock = threading.Lock()
        """Held around every use of ``db`` (one connection, many threads)."""
        with self.lock:
            self.db.executescript(schema)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``db`` under the lock, in one immediate transaction: committed, or rolled back
        when the block raises."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()
