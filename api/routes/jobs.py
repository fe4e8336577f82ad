"""Background ingest jobs (uploads and feed polls): their progress and outcomes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import Intakes
from qa.jobs.store import Job

router = APIRouter(prefix="/api/jobs", tags=["jobs"])


class JobList(BaseModel):
    jobs: list[Job]


@router.get("")
def list_jobs(intake: Intakes, limit: Annotated[int, Query(ge=1, le=200)] = 50) -> JobList:
    """The most recent jobs, newest first."""
    return JobList(jobs=intake.recent_jobs(limit))


@router.get("/{job_id}")
def get_job(job_id: str, intake: Intakes) -> Job:
    """One job: queued, running, done or failed; its progress and each article's outcome."""
    return intake.job(job_id)
