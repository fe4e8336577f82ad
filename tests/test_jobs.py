"""Uploads run as background jobs: answered at once, asked about while they run, kept on
disk, and resumed by the next process when one is killed mid-job, with nothing lost and
nothing duplicated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from qa.engine import QAEngine
from qa.index.embedding import Embedder
from qa.intake import Intake
from tests.conftest import NO_MODELS, ROOT, SEEDS, free_port, make_settings
from tests.uploads import upload, wait_job

QUESTION = {"question": "How many people died in the shootout?"}


def story(number: int, sentences: int = 40) -> bytes:
    """A plain-text article of its own words, so that every file is a new article."""
    body = " ".join(f"Report {number}.{i}: the council of town {number} met on day {i} and "
                    f"approved {i + number} new ferry berths for the harbour." for i in
                    range(sentences))
    return f"Harbour council {number} approves berths\n{body}\n".encode()


def test_an_upload_answers_at_once_and_its_job_reports_each_article(
        serve: Callable[..., str]) -> None:
    url = serve(seed=False)
    files = [("file", ("one.md", b"# Bridge closed\nThe old bridge closed for repairs.")),
             ("file", ("scan.pdf", b"%PDF-1.4"))]
    job = upload(url, files)
    assert job["kind"] == "upload" and job["status"] == "done"
    assert job["params"] == {"files": ["one.md", "scan.pdf"]}
    assert job["progress"] == {"done": 2, "total": 2}
    new, failed = job["outcomes"]
    assert new["status"] == "new" and new["source"] == "one.md"
    assert new["title"] == "Bridge closed"
    article = httpx.get(f"{url}/api/articles/{new['article_id']}").json()
    assert article["title"] == "Bridge closed"
    assert failed == {"source": "scan.pdf", "status": "failed",
                      "reason": "unsupported file type .pdf"}
    assert job["started_at"] <= job["finished_at"]
    assert [j["id"] for j in httpx.get(f"{url}/api/jobs").json()["jobs"]] == [job["id"]]


def test_questions_are_answered_while_an_upload_runs(serve: Callable[..., str]) -> None:
    url = serve()
    files = [("file", (f"s{i}.txt", story(i, 120))) for i in range(12)]
    accepted = httpx.post(f"{url}/api/articles", files=files, timeout=60)
    assert accepted.status_code == 202
    job_id = accepted.json()["id"]
    during: list[float] = []
    statuses: list[str] = []
    while (status := httpx.get(f"{url}/api/jobs/{job_id}").json()["status"]) != "done":
        assert status in {"queued", "running"}
        started = time.perf_counter()
        answer = httpx.post(f"{url}/api/ask", json=QUESTION, timeout=60)
        during.append(time.perf_counter() - started)
        statuses.append(status)
        assert answer.status_code == 200 and not answer.json()["refused"]
    assert "running" in statuses, "the job ended before a question could be asked"
    assert max(during) < 10, during
    job = wait_job(url, job_id)
    assert job["counts"]["new"] == 12
    assert httpx.get(f"{url}/api/articles").json()["total"] == 13


def test_a_job_whose_files_are_gone_fails_with_the_reason(tmp_path: Path,
                                                          embedder: Embedder) -> None:
    settings = make_settings(tmp_path / "store")
    first = Intake(QAEngine(settings, embedder=embedder))
    job = first.jobs.create("upload", {"files": ["a.txt", "b.txt"]},
                            [("a.txt", story(1)), ("b.txt", story(2))])
    first.close()  # the process stopped before the worker took the job
    first.jobs.input_file(job.id, 1).unlink()
    second = Intake(QAEngine(settings, embedder=embedder))
    second.start()
    try:
        done = second.wait(job.id)
    finally:
        second.close()
    assert done.status == "done" and done.counts == {"new": 1, "updated": 0, "unchanged": 0,
                                                     "failed": 1}
    assert done.outcomes[1] == {"source": "b.txt", "status": "failed",
                                "reason": "the uploaded file is gone from the data folder"}
    assert not (settings.data_dir / "jobs" / job.id).exists()  # its inputs are cleared


def test_a_stop_between_files_leaves_the_job_for_the_next_start(tmp_path: Path,
                                                                embedder: Embedder) -> None:
    settings = make_settings(tmp_path / "store")
    first = Intake(QAEngine(settings, embedder=embedder))
    first.start()
    job = first.submit_upload([(f"s{i}.txt", story(i, 60)) for i in range(12)])
    deadline = time.monotonic() + 120
    while first.job(job.id).progress.done < 1:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    started = time.monotonic()
    first.close()
    assert time.monotonic() - started < 10  # the file being read, not the whole upload
    stopped = Intake(QAEngine(settings, embedder=embedder))
    try:
        left = stopped.job(job.id)
        assert left.status == "running" and 1 <= left.progress.done < 12
        stopped.start()
        done = stopped.wait(job.id, timeout=240)
    finally:
        stopped.close()
    assert done.status == "done" and done.restarts == 1 and done.progress.done == 12
    assert sorted(o["source"] for o in done.outcomes) == sorted(f"s{i}.txt" for i in range(12))
    assert {o["status"] for o in done.outcomes} == {"new"}
    assert stopped.engine.count_articles() == 12


def _serve(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env |= {"QA_DATA_DIR": str(data_dir), "QA_MODELS_DIR": str(NO_MODELS),
            "QA_SEEDS_DIR": str(SEEDS), "QA_RATE_LIMIT": "0", "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen([sys.executable, "-m", "qa.cli", "serve", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("articleqa serve did not start")


def test_a_killed_service_resumes_its_job_and_duplicates_nothing(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "store", free_port()
    url = f"http://127.0.0.1:{port}"
    files = [("file", (f"s{i}.txt", story(i, 150))) for i in range(16)]
    proc = _serve(data_dir, port)
    try:
        accepted = httpx.post(f"{url}/api/articles", files=files, timeout=60)
        assert accepted.status_code == 202
        job_id = accepted.json()["id"]
        deadline = time.monotonic() + 120
        while httpx.get(f"{url}/api/jobs/{job_id}").json()["progress"]["done"] < 3:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    proc = _serve(data_dir, port)
    try:
        job = wait_job(url, job_id, timeout=240)
        assert job["status"] == "done" and job["restarts"] == 1
        assert job["progress"] == {"done": 16, "total": 16}
        sources = [o["source"] for o in job["outcomes"]]
        assert sorted(sources) == sorted(f"s{i}.txt" for i in range(16))  # each file once
        assert {o["status"] for o in job["outcomes"]} <= {"new", "unchanged"}
        articles = httpx.get(f"{url}/api/articles", params={"limit": 100}).json()
        assert articles["total"] == 17  # the seed article and one a file, none twice
        passages = httpx.get(f"{url}/health").json()["passages"]
        assert passages == sum(a["passages"] for a in articles["articles"])
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_worker_runs_at_a_lower_priority(tmp_path: Path, embedder: Embedder) -> None:
    intake = Intake(QAEngine(make_settings(tmp_path / "store", job_nice=7), embedder=embedder))
    seen: list[int] = []
    intake.worker.handlers["upload"] = lambda job: seen.append(
        os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
    intake.start()
    try:
        intake.wait(intake.submit_upload([("a.txt", b"x")]).id)
    finally:
        intake.close()
    assert seen == [os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) + 7]
