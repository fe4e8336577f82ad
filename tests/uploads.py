"""Uploads as the API takes them: a 202 with a job, whose end is waited for here."""

from __future__ import annotations

import time
from typing import Any

import httpx


def wait_job(url: str, job_id: str, timeout: float = 120) -> dict[str, Any]:
    """The job once it is done or failed."""
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = httpx.get(f"{url}/api/jobs/{job_id}", timeout=30).json()
        if job["status"] in {"done", "failed"}:
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job['status']}"
        time.sleep(0.1)


def upload(url: str, files: list[Any], headers: dict[str, str] | None = None,
           **kwargs: Any) -> dict[str, Any]:
    """Uploads ``files`` and waits for their job: the job, with the report's ``failed``
    list (source, reason) beside its ``counts``."""
    response = httpx.post(f"{url}/api/articles", files=files, headers=headers, timeout=120,
                          **kwargs)
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/api/jobs/{response.json()['id']}"
    job = wait_job(url, response.json()["id"])
    job["failed"] = [{"source": o["source"], "reason": o["reason"]}
                     for o in job["outcomes"] if o["status"] == "failed"]
    return job
