"""``Intake``: what comes into the store in the background, beside ``QAEngine``: the feeds
followed (polled on their intervals) and uploads, both run as durable jobs by one worker
thread of low priority, so that a question never waits for them."""

from __future__ import annotations

import threading
import time
from typing import Any

from qa.engine import QAEngine
from qa.errors import FetchError, InvalidInput
from qa.feeds.poller import FeedPoller, PollReport
from qa.feeds.registry import Feed, FeedRegistry
from qa.jobs.store import Job, JobStore
from qa.jobs.worker import Interrupted, JobWorker
from qa.sources.articles import LoadFailure, parse_upload
from qa.sources.fetch import Fetcher
from qa.sources.safety import check_url
from qa.types import Article, IngestReport

TICK_S = 5.0
"""How often the scheduler looks for feeds due a poll."""


class Intake:
    def __init__(self, engine: QAEngine, tick: float = TICK_S) -> None:
        self.engine = engine
        settings = engine.settings
        self.settings = settings
        self.fetcher = Fetcher(settings)
        self.feeds = FeedRegistry(settings.data_dir / "feeds.sqlite3")
        self.jobs = JobStore(settings.data_dir)
        self.poller = FeedPoller(engine, self.feeds, self.fetcher)
        self.worker = JobWorker(self.jobs, {"upload": self._run_upload, "poll": self._run_poll},
                                nice=settings.job_nice)
        self.tick = tick
        self._stop = threading.Event()
        self._queueing = threading.Lock()
        self._scheduler: threading.Thread | None = None

    # -- life ----------------------------------------------------------------------------
    def start(self) -> None:
        """Resumes unfinished jobs and starts polling the feeds as they fall due."""
        self.worker.start()
        self._stop.clear()
        self._scheduler = threading.Thread(target=self._schedule, name="feed-scheduler",
                                           daemon=True)
        self._scheduler.start()

    def stop(self) -> None:
        self._stop.set()
        if self._scheduler is not None:
            self._scheduler.join(timeout=10)
            self._scheduler = None
        self.worker.stop()

    @property
    def running(self) -> bool:
        """Whether the scheduler or the worker thread is still alive."""
        scheduler = self._scheduler is not None and self._scheduler.is_alive()
        return scheduler or self.worker.running

    def close(self) -> None:
        self.stop()
        self.fetcher.close()
        self.feeds.close()
        self.jobs.close()

    def _schedule(self) -> None:
        while not self._stop.is_set():
            self.enqueue_due()
            self._stop.wait(self.tick)

    def enqueue_due(self) -> list[Job]:
        """A poll job for every feed due one that has none queued or running."""
        return self._queue_polls([feed.url for feed in self.feeds.due(time.time())],
                                 fresh_only=True)

    def _queue_polls(self, urls: list[str], fresh_only: bool = False) -> list[Job]:
        """A poll job for each feed: the one queued or running already, if there is one
        (left out when ``fresh_only``), else a new one."""
        with self._queueing:  # the scheduler and the API must not queue one feed twice
            waiting = {str(j.params.get("url")): j for j in self.jobs.unfinished()
                       if j.kind == "poll"}
            jobs = []
            for url in urls:
                if url in waiting:
                    if not fresh_only:
                        jobs.append(waiting[url])
                    continue
                jobs.append(self.worker.submit(self.jobs.create("poll", {"url": url})))
            return jobs

    # -- feeds ---------------------------------------------------------------------------
    def add_feed(self, url: str, interval_minutes: int | None = None) -> Feed:
        """Follows the feed at ``url`` (again: sets its interval). Its address must be
        public unless private URLs are allowed; it is first polled soon after."""
        if not isinstance(url, str) or not url.strip():
            raise InvalidInput("give the feed's URL")
        url = url.strip()
        check_url(url, self.settings.allow_private_urls, self.settings.private_host_list())
        return self.feeds.add(url, interval_minutes or self.settings.feed_interval)

    def remove_feed(self, url: str) -> None:
        """Stops following the feed; the articles read from it stay."""
        self.feeds.remove(url)

    def list_feeds(self) -> list[Feed]:
        return self.feeds.all()

    def poll_jobs(self, url: str | None = None) -> list[Job]:
        """Queues a poll of one feed (or of every feed) now, unless one is waiting already."""
        feeds = [self.feeds.get(url)] if url else self.feeds.all()
        return self._queue_polls([feed.url for feed in feeds])

    def poll_now(self, url: str | None = None) -> list[PollReport]:
        """Polls one feed (or every feed) in this thread, now (the CLI)."""
        feeds = [self.feeds.get(url)] if url else self.feeds.all()
        return [self.poller.poll(feed.url) for feed in feeds]

    def _run_poll(self, job: Job) -> None:
        done = 0

        def step(outcome: dict[str, Any], total: int) -> None:
            nonlocal done
            done += 1
            self.jobs.add_outcomes(job.id, [outcome], done, total)
            if self.worker.stopping:  # what is read stays read; the validators are not kept
                raise Interrupted

        report = self.poller.poll(str(job.params["url"]), on_item=step)
        if report.status == "error":
            raise FetchError(report.error or "the poll failed")
        if report.outcomes and report.counts.failed == len(report.outcomes):
            raise InvalidInput("no item could be read: " + "; ".join(
                f"{o['source']}: {o['reason']}" for o in report.outcomes[:5]))

    # -- uploads -------------------------------------------------------------------------
    def submit_upload(self, files: list[tuple[str, bytes]]) -> Job:
        """A job ingesting the uploaded ``(name, bytes)`` files, saved to disk first."""
        if not files:
            raise InvalidInput("the upload holds no file")
        job = self.jobs.create("upload", {"files": [name for name, _ in files]}, files)
        return self.worker.submit(job)

    def job(self, job_id: str) -> Job:
        return self.jobs.get(job_id)

    def recent_jobs(self, limit: int = 50) -> list[Job]:
        if not 1 <= limit <= 200:
            raise InvalidInput("limit must be between 1 and 200")
        return self.jobs.recent(limit)

    def _run_upload(self, job: Job) -> None:
        names = [str(n) for n in job.params["files"]]
        for number in range(job.progress.done, len(names)):  # resumed: from where it was
            if self.worker.stopping:
                raise Interrupted
            try:
                data = self.jobs.input_file(job.id, number).read_bytes()
            except FileNotFoundError:
                items: list[Article | LoadFailure] = [
                    LoadFailure(names[number], "the uploaded file is gone from the data folder")]
            else:
                items = parse_upload(data, names[number])
            report = self.engine.ingest_items(items)
            self.jobs.add_outcomes(job.id, _outcomes(report, items, names[number]), number + 1)
        final = self.jobs.get(job.id)
        if final.outcomes and final.counts["failed"] == len(final.outcomes):
            reasons = "; ".join(f"{o['source']}: {o['reason']}" for o in final.outcomes[:5])
            raise InvalidInput(f"nothing was ingested: {reasons}")

    def wait(self, job_id: str, timeout: float = 60.0) -> Job:
        """The job once it has finished (tests, the CLI)."""
        deadline = time.monotonic() + timeout
        while (job := self.jobs.get(job_id)).status in {"queued", "running"}:
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} did not finish within {timeout:g} s")
            time.sleep(0.05)
        return job


def _outcomes(report: IngestReport, items: list[Article | LoadFailure],
              name: str) -> list[dict[str, Any]]:
    titles = {item.id: item.title for item in items if isinstance(item, Article)}
    found: list[dict[str, Any]] = []
    for status in ("new", "updated", "unchanged"):
        found += [{"source": name, "status": status, "article_id": i,
                   "title": titles.get(i)} for i in getattr(report, status)]
    found += [{"source": f["source"], "status": "failed", "reason": f["reason"]}
              for f in report.failed]
    return found
