"""``articleqa feeds add|list|remove|poll``: follow feeds from a terminal. ``poll`` reads
every feed once, now, in this process; ``articleqa serve`` polls them on their intervals."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from qa.config import Settings
from qa.feeds.registry import Feed

if TYPE_CHECKING:
    from qa.intake import Intake

HELP = "follow RSS and Atom feeds: add, list, remove, poll"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    verbs = parser.add_subparsers(dest="verb", required=True)
    add = verbs.add_parser("add", help="follow a feed")
    add.add_argument("url")
    add.add_argument("--interval", type=int, metavar="MINUTES",
                     help="minutes between polls (default QA_FEED_INTERVAL, 15)")
    listing = verbs.add_parser("list", help="the feeds followed, with their last poll")
    listing.add_argument("--json", action="store_true")
    remove = verbs.add_parser("remove", help="stop following a feed (its articles stay)")
    remove.add_argument("url")
    poll = verbs.add_parser("poll", help="poll every feed (or one) once, now")
    poll.add_argument("url", nargs="?")
    poll.add_argument("--json", action="store_true")


def run(settings: Settings, args: argparse.Namespace) -> int:
    from qa.engine import QAEngine
    from qa.intake import Intake

    intake = Intake(QAEngine(settings))
    try:
        if args.verb == "add":
            feed = intake.add_feed(args.url, args.interval)
            print(f"following {feed.url} (every {feed.interval_minutes} min; "
                  "`articleqa feeds poll` reads it now)")
        elif args.verb == "remove":
            intake.remove_feed(args.url)
            print(f"stopped following {args.url}")
        elif args.verb == "list":
            feeds = intake.list_feeds()
            if args.json:
                print(json.dumps([f.model_dump() for f in feeds], indent=2))
            for feed in [] if args.json else feeds:
                print(describe(feed))
            if not feeds and not args.json:
                print("no feeds; `articleqa feeds add URL` follows one")
        else:
            return _poll(intake, args)
        return 0
    finally:
        intake.close()


def _poll(intake: Intake, args: argparse.Namespace) -> int:
    reports = intake.poll_now(args.url)
    if args.json:
        print(json.dumps([{"url": r.url, "status": r.status, "error": r.error,
                           "counts": r.counts.model_dump(), "deferred": r.counts.deferred,
                           "rechecked": r.rechecked, "items": r.outcomes} for r in reports],
                         indent=2))
    for report in [] if args.json else reports:
        if report.status == "error":
            print(f"failed: {report.url}: {report.error}", file=sys.stderr)
            continue
        c = report.counts
        more = f", {c.deferred} left for the next poll" if c.deferred else ""
        pages = (f"; {report.rechecked} page{'s' if report.rechecked != 1 else ''} re-checked"
                 if report.rechecked else "")
        if report.status == "not_modified":
            found = "not modified" + (f", {c.updated} updated" if c.updated else "")
        else:
            found = (f"{c.new} new, {c.updated} updated, {c.unchanged} unchanged, {c.failed} "
                     f"failed ({c.summaries} from the feed's summary){more}")
        print(f"{report.url}: {found}{pages}")
    if not reports and not args.json:
        print("no feeds; `articleqa feeds add URL` follows one")
    return 1 if any(r.status == "error" for r in reports) else 0


def describe(feed: Feed) -> str:
    """One line: the feed, when it was last polled, and what that poll found."""
    if feed.last_poll is None:
        return f"{feed.url}  every {feed.interval_minutes} min  not polled yet"
    when = datetime.fromtimestamp(feed.last_poll, UTC).strftime("%Y-%m-%d %H:%M UTC")
    c = feed.last_counts
    found = f"{c.new} new, {c.updated} updated, {c.failed} failed" + (
        f", {c.deferred} waiting" if c.deferred else "")
    status = f"error: {feed.last_error}" if feed.last_status == "error" else feed.last_status
    return (f"{feed.url}  {feed.title or ''}  every {feed.interval_minutes} min  last poll "
            f"{when}: {status}; {found}; {feed.articles} articles")
