"""Feeds followed: list them with their status, follow one, stop following one, poll now."""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.deps import Intakes, JSONBody, WriteKey
from qa.feeds.registry import Feed
from qa.jobs.store import Job

router = APIRouter(prefix="/api/feeds", tags=["feeds"])


class FeedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=1, max_length=2000, pattern=r"^\s*https?://",
                     description="An RSS or Atom feed's http:// or https:// URL.")
    interval_minutes: int | None = Field(
        None, ge=1, le=7 * 24 * 60, description="Minutes between polls (QA_FEED_INTERVAL).")


class FeedList(BaseModel):
    feeds: list[Feed]


class FeedAdded(BaseModel):
    feed: Feed
    job: Job = Field(description="Its first poll, queued (GET /api/jobs/{id}).")


class PollJobs(BaseModel):
    jobs: list[Job]


class Removed(BaseModel):
    removed: str


@router.get("")
def list_feeds(intake: Intakes) -> FeedList:
    """The feeds followed, each with its last poll's time, status, counts and error."""
    return FeedList(feeds=intake.list_feeds())


@router.post("", status_code=201, dependencies=[WriteKey, JSONBody])
async def add_feed(body: FeedIn, intake: Intakes) -> FeedAdded:
    """Follow a feed (its address must be public unless QA_ALLOW_PRIVATE_URLS is set) and
    queue its first poll. Adding a feed already followed sets its interval."""
    feed = await run_in_threadpool(intake.add_feed, body.url, body.interval_minutes)
    jobs = await run_in_threadpool(intake.poll_jobs, feed.url)
    return FeedAdded(feed=feed, job=jobs[0])


@router.delete("", dependencies=[WriteKey])
def remove_feed(intake: Intakes, url: str = Query(min_length=1)) -> Removed:
    """Stop following the feed at `?url=`; the articles read from it stay."""
    intake.remove_feed(url)
    return Removed(removed=url)


@router.post("/poll", status_code=202, dependencies=[WriteKey])
def poll_feeds(intake: Intakes, url: str | None = None) -> PollJobs:
    """Queue a poll of the feed at `?url=` (or of every feed) now."""
    return PollJobs(jobs=intake.poll_jobs(url))
