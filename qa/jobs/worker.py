"""The one thread that runs jobs, in the order they came, at a lower CPU priority than the
threads answering questions (Linux gives each thread its own nice value; threads it starts,
such as the ingest writer, inherit it)."""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
from collections.abc import Callable

from qa.errors import QAError
from qa.jobs.store import Job, JobStore

log = logging.getLogger("articleqa.jobs")
Handler = Callable[[Job], None]
"""Runs one job to its end, recording progress in the store; raising fails the job."""


class Interrupted(Exception):
    """Raised by a handler between two steps when the worker is stopping: the job stays
    running in the store, and the next start resumes it."""


class JobWorker:
    def __init__(self, store: JobStore, handlers: dict[str, Handler], nice: int = 10) -> None:
        self.store = store
        self.handlers = handlers
        self.nice = nice
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        """Queues the jobs a previous process left unfinished, then starts the thread."""
        for job in self.store.unfinished():
            self.store.restarted(job.id)
            self._queue.put(job.id)
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="ingest-jobs", daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> Job:
        self._queue.put(job.id)
        return job

    def stop(self, timeout: float = 30.0) -> None:
        """Lets the running job end, then stops; queued jobs stay queued for the next start."""
        if self._thread is not None:
            self._stopping.set()
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    @property
    def stopping(self) -> bool:
        """Handlers look between steps, and raise ``Interrupted`` when it is true."""
        return self._stopping.is_set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        with contextlib.suppress(OSError, AttributeError):  # not Linux: same priority
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self.nice)
        while (job_id := self._queue.get()) is not None and not self._stopping.is_set():
            self._one(job_id)

    def _one(self, job_id: str) -> None:
        job = self.store.get(job_id)
        if job.status not in {"queued", "running"}:
            return
        self.store.start(job.id)
        try:
            self.handlers[job.kind](self.store.get(job.id))
        except Interrupted:
            log.info("job %s stopped between two steps; the next start resumes it", job.id)
        except QAError as exc:
            self.store.finish(job.id, str(exc))
        except Exception as exc:  # a bug fails this job, never the worker
            log.exception("job %s failed", job.id)
            self.store.finish(job.id, f"internal error: {type(exc).__name__}")
        else:
            self.store.finish(job.id)
