"""The jobs, their progress and each article's outcome, in SQLite (``jobs.sqlite3``); the
files an upload job has still to read wait beside it (``jobs/<id>/``)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from qa.errors import NotFound
from qa.sqlite import SqliteFile

Status = Literal["queued", "running", "done", "failed"]
KEEP = 200
"""Finished jobs kept; older ones are forgotten."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, params TEXT NOT NULL,
    created_at REAL NOT NULL, started_at REAL, finished_at REAL,
    total INTEGER NOT NULL DEFAULT 0, done INTEGER NOT NULL DEFAULT 0,
    outcomes TEXT NOT NULL DEFAULT '[]', error TEXT, restarts INTEGER NOT NULL DEFAULT 0);
"""


class Progress(BaseModel):
    done: int = 0
    total: int = 0


class Job(BaseModel):
    id: str
    kind: Literal["upload", "poll"]
    status: Status
    params: dict[str, Any] = Field(description="upload: the file names; poll: the feed url.")
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    progress: Progress
    counts: dict[str, int] = Field(description="Outcomes so far: new, updated, unchanged, "
                                               "failed.")
    outcomes: list[dict[str, Any]] = Field(
        description="One an article (or input that failed): source, status, article_id, "
                    "title, reason.")
    error: str | None = None
    restarts: int = Field(0, description="Times the service restarted while it ran.")


class JobStore:
    def __init__(self, data_dir: Path) -> None:
        self.inputs = data_dir / "jobs"
        self._file = SqliteFile(data_dir / "jobs.sqlite3", _SCHEMA)
        self._db, self._lock = self._file.db, self._file.lock

    def close(self) -> None:
        self._file.close()

    def create(self, kind: str, params: dict[str, Any],
               files: list[tuple[str, bytes]] | None = None) -> Job:
        """A queued job; its ``files`` are on disk (synced) before it is."""
        job_id = uuid.uuid4().hex[:16]
        if files:
            folder = self.inputs / job_id
            folder.mkdir(parents=True)
            for number, (_, data) in enumerate(files):
                _write_synced(folder / f"{number:04d}", data)
        with self._lock:
            self._db.execute("INSERT INTO jobs (id, kind, status, params, created_at, total) "
                             "VALUES (?, ?, 'queued', ?, ?, ?)",
                             (job_id, kind, json.dumps(params), time.time(),
                              len(files) if files else 0))
        self._forget_old()
        return self.get(job_id)

    def input_file(self, job_id: str, number: int) -> Path:
        return self.inputs / job_id / f"{number:04d}"

    def get(self, job_id: str) -> Job:
        with self._lock:
            row = self._db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise NotFound(f"no job {job_id}")
        return _job(row)

    def recent(self, limit: int = 50) -> list[Job]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM jobs ORDER BY created_at DESC LIMIT ?",
                                    (limit,)).fetchall()
        return [_job(row) for row in rows]

    def unfinished(self) -> list[Job]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM jobs WHERE status IN ('queued', 'running') "
                                    "ORDER BY created_at").fetchall()
        return [_job(row) for row in rows]

    def start(self, job_id: str, total: int | None = None) -> None:
        self._set(job_id, "UPDATE jobs SET status = 'running', "
                  "started_at = COALESCE(started_at, ?), total = COALESCE(?, total) "
                  "WHERE id = ?", time.time(), total, job_id)

    def restarted(self, job_id: str) -> None:
        self._set(job_id, "UPDATE jobs SET status = 'queued', restarts = restarts + 1 "
                  "WHERE id = ? AND status = 'running'", job_id)

    def add_outcomes(self, job_id: str, outcomes: list[dict[str, Any]], done: int,
                     total: int | None = None) -> None:
        """Appends what one step ingested, and the step count reached, in one write."""
        with self._lock:
            row = self._db.execute("SELECT outcomes FROM jobs WHERE id = ?", (job_id,)).fetchone()
            known = json.loads(row[0]) if row else []
            self._db.execute("UPDATE jobs SET outcomes = ?, done = ?, total = COALESCE(?, total)"
                             " WHERE id = ?", (json.dumps(known + outcomes), done, total, job_id))

    def finish(self, job_id: str, error: str | None = None) -> None:
        self._set(job_id, "UPDATE jobs SET status = ?, error = ?, finished_at = ? WHERE id = ?",
                  "failed" if error else "done", error, time.time(), job_id)
        shutil.rmtree(self.inputs / job_id, ignore_errors=True)

    def _set(self, job_id: str, sql: str, *args: Any) -> None:
        with self._lock:
            self._db.execute(sql, args)

    def _forget_old(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM jobs WHERE status IN ('done', 'failed') AND id NOT IN "
                             "(SELECT id FROM jobs ORDER BY created_at DESC LIMIT ?)", (KEEP,))


def _write_synced(path: Path, data: bytes) -> None:
    """Written to a temporary name, synced, then renamed: a crash leaves all of it or none."""
    partial = path.with_suffix(".part")
    with partial.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(path)


def _job(row: sqlite3.Row) -> Job:
    data = dict(row)
    outcomes = json.loads(data.pop("outcomes"))
    counts = {"new": 0, "updated": 0, "unchanged": 0, "failed": 0}
    for outcome in outcomes:
        counts[outcome["status"]] = counts.get(outcome["status"], 0) + 1
    progress = Progress(done=data.pop("done"), total=data.pop("total"))
    return Job(**data | {"params": json.loads(data["params"])}, progress=progress,
               counts=counts, outcomes=outcomes)
