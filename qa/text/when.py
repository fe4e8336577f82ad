"""The time a question asks about, as a window of publication dates.

"this week", "last month", "on Tuesday", "in October", "yesterday", "so far this year"
are found and read by ``dateparser`` (``search_dates``, then the expression's period: a
day, a week, a month or a year) against the day the question is asked ``as of``. The
window never ends after ``as_of``: articles published later are not used.

A week said as "this week" is the seven days up to ``as_of`` (news of "this week" on a
Friday includes the weekend before); another week is its Monday to Sunday.
"""

from __future__ import annotations

import calendar
import re
import warnings
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from qa.text.cues import one_of
from qa.text.wordlists import word_set

NOT_TIME = re.compile(r"\bof$|^(?:may|march|june|august)$|\bnow$", re.I)
"""Spans ``dateparser`` reads as dates that a question means otherwise: "the March of
Dimes", "May I ask", a bare "March" or "June" (a name, a verb), "(as of) now" (the latest
news, not what was published today: ``asks_latest``); tested in test_when.py."""
RELATIVE_WEEK = re.compile(r"\b(?:this|past|current)\s+week\b", re.I)
TRAILING = re.compile(r"\s+(?:in|on|at|of|for|by)$", re.I)
"""A preposition ``dateparser`` keeps at the end of a span ("last week in Kosovo")."""
LATEST = re.compile(rf"\b({one_of(word_set('recency_words'))})\b", re.I)
"""Words asking for the newest news ("the latest", "the new", "currently")."""
SLACK = timedelta(days=2)
"""Reports of a day's events come out over the next days: a window of a past day, week,
month or year runs this much longer (never past ``as_of``)."""


@dataclass(frozen=True)
class Window:
    since: date | None
    until: date
    expression: str | None
    """The words of the question the window was read from (``None``: only ``as_of``)."""


def window(question: str, as_of: date) -> Window:
    """The publication dates ``question`` asks about, asked on ``as_of``."""
    found = _expression(question, as_of)
    if found is None:
        return Window(None, as_of, None)
    text, day, period = found
    since, until = _span(day, period, relative=bool(RELATIVE_WEEK.search(text)), as_of=as_of)
    if since > as_of:  # "in December" asked in October: last year's
        since, until = _span(day.replace(year=day.year - 1), period, False, as_of)
    return Window(since, min(until + SLACK, as_of), TRAILING.sub("", text))


def asks_latest(question: str) -> bool:
    """The question asks for the newest news: "What is the latest …", "the new …"."""
    return bool(LATEST.search(question))


def _expression(question: str, as_of: date) -> tuple[str, date, str] | None:
    settings = {"RELATIVE_BASE": datetime(as_of.year, as_of.month, as_of.day, 12),
                "PREFER_DATES_FROM": "past", "REQUIRE_PARTS": []}
    with warnings.catch_warnings():  # dateparser warns about pytz/regex internals
        warnings.simplefilter("ignore")
        found = _search(question, settings) or []
        for text, _ in found:
            text = text.strip(" ,.?!")
            if NOT_TIME.search(text):
                continue
            data = _parser(settings["RELATIVE_BASE"]).get_date_data(text)
            if data.date_obj is not None:
                return text, data.date_obj.date(), data.period or "day"
    return None


def _search(question: str, settings: dict[str, Any]) -> list[tuple[str, datetime]] | None:
    from dateparser.search import search_dates

    found: list[tuple[str, datetime]] | None = search_dates(
        question, languages=["en"], settings=settings)
    return found


@lru_cache(maxsize=64)
def _parser(base: datetime) -> Any:
    from dateparser.date import DateDataParser

    return DateDataParser(languages=["en"], settings={
        "RELATIVE_BASE": base, "PREFER_DATES_FROM": "past"})


def _span(day: date, period: str, relative: bool, as_of: date) -> tuple[date, date]:
    if period == "week":
        if relative:
            return as_of - timedelta(days=6), as_of
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6)
    if period == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last)
    if period == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    return day, day
