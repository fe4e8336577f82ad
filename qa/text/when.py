"""The time a question asks about, as a window of publication dates.

"this week", "last month", "on Tuesday", "in October", "yesterday", "so far this year"
are found and read by ``dateparser`` (``search_dates``, then the expression's period: a
day, a week, a month or a year) against the day the question is asked ``as of``. The
window never ends after ``as_of``: articles published later are not used.

A week said as "this week" is the seven days up to ``as_of`` (news of "this week" on a
Friday includes the weekend before); another week is its Monday to Sunday.

``search_dates`` also reads numbers as dates ("a 5,000-mile mass" as 5 January, "his 23rd
title" as the 23rd, "the 2022-23 season" as 23 March 2022, "in nearly 100 years" as 1923).
A span is a time only when it says one (``_says_a_time``) in dateparser's own English
vocabulary: a month or weekday name, a relative phrase ("this week", "yesterday"), a
count of periods ago ("two weeks ago"), a year alone, or a whole numeric date. And a date
before last year is when something happened ("introduced in 2000", "June 19, 1865"), not
when the news about it is published: no window. On eight RealTimeQA development weeks, 13
of 104 answerable questions had such a window (the gold passages outside it).

``search_dates`` also misses time words: at the start of a question ("This week, …"), before
"’s" ("Sunday’s Oscars"), or in a span it reads as something else ("this week after three
years of"), and it knows no "this past week" or "last weekend". A relative phrase inside a
span is read alone, and when no span says a time the question's own relative phrase, week
phrase (``this_week_phrases``) or weekday is read (``_missed``). On the same weeks (all 182
questions) 11 said such a time and had no window, and 7 had their window's words run on
("80 this week", "this week in an"); each now has the window its words say.
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
from qa.text.wordlists import phrases, word_set

NOT_TIME = re.compile(r"\bof$|^(?:may|march|june|august)$|\bnow$", re.I)
"""Spans ``dateparser`` reads as dates that a question means otherwise: "the March of
Dimes", "May I ask", a bare "March" or "June" (a name, a verb), "(as of) now" (the latest
news, not what was published today: ``asks_latest``); tested in test_when.py."""
RELATIVE_WEEK = re.compile(r"\b(?:this|past|current)\s+week\b", re.I)
TRAILING = re.compile(r"\s+(?:in|on|at|of|for|by)$", re.I)
"""A preposition ``dateparser`` keeps at the end of a span ("last week in Kosovo")."""
_YEAR = r"(1[5-9]\d\d|20\d\d)"
YEAR = re.compile(rf"\b{_YEAR}\b")
"""A year written out; one just after a span belongs to its date ("June 19, 1865")."""
AFTER_SPAN = re.compile(rf"^[.,]?\s*{_YEAR}\b")
NUMBER = re.compile(r"\d+")
WEEK_PHRASES = re.compile(rf"\b(?:{one_of(phrases('this_week_phrases'))})\b", re.I)
"""Phrases for the days just past that dateparser does not know ("this past week", "last
weekend"): read as "this week", the seven days up to ``as_of``."""
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
    relative = bool(RELATIVE_WEEK.search(text) or WEEK_PHRASES.fullmatch(text))
    since, until = _span(day, period, relative=relative, as_of=as_of)
    if since > as_of:  # "in December" asked in October: last year's
        since, until = _span(day.replace(year=day.year - 1), period, False, as_of)
    return Window(since, min(until + SLACK, as_of), _as_written(TRAILING.sub("", text), question))


def _as_written(text: str, question: str) -> str:
    """The question's own words for ``text`` read without abbreviation dots ("Aug. 14" for
    "Aug 14")."""
    pattern = r"\.?\s+".join(re.escape(word) for word in text.split())
    found = re.search(pattern, question)
    return found.group() if found else text


def asks_latest(question: str) -> bool:
    """The question asks for the newest news: "What is the latest …", "the new …"."""
    return bool(LATEST.search(question))


def _expression(question: str, as_of: date) -> tuple[str, date, str] | None:
    base = datetime(as_of.year, as_of.month, as_of.day, 12)
    settings = {"RELATIVE_BASE": base,
                "PREFER_DATES_FROM": "past", "REQUIRE_PARTS": []}
    question = _without_abbreviation_dots(question)
    with warnings.catch_warnings():  # dateparser warns about pytz/regex internals
        warnings.simplefilter("ignore")
        found = _search(question, settings) or []
        at = 0
        for text, _ in found:
            at = question.find(text, at) + len(text) if text in question[at:] else at
            text = text.strip(" ,.?!")
            if NOT_TIME.search(text):
                continue
            # "this week" alone, not "this week after three years of" or "80 this week"
            if relative := _vocabulary().relative.search(text):
                text = relative.group()
            data = _parser(base).get_date_data(text)
            if data.date_obj is None:
                continue
            period = data.period or "day"
            if not _says_a_time(text, period):
                continue
            years = YEAR.findall(text) + AFTER_SPAN.findall(question[at:])
            if _before_last_year(years, as_of.year):
                continue  # the time of an event of the past, not of its news
            return text, data.date_obj.date(), period
        return _missed(question, base)


def _missed(question: str, base: datetime) -> tuple[str, date, str] | None:
    """Time words ``search_dates`` did not find as a span: it misses a relative phrase or
    a weekday at some places in a sentence ("This week, former …", "at Sunday's Oscars")
    and knows no "this past week" or "last weekend". A relative phrase of dateparser's,
    then one of ``this_week_phrases`` (read as "this week"), then a weekday's name; none in
    a question about a year before last ("Bloody Sunday in 1972")."""
    if _before_last_year(YEAR.findall(question), base.year):
        return None
    if found := _vocabulary().relative.search(question):
        data = _parser(base).get_date_data(found.group())
        if data.date_obj is not None:
            return found.group(), data.date_obj.date(), data.period or "day"
    if found := WEEK_PHRASES.search(question):
        return found.group(), base.date(), "week"
    if found := _vocabulary().weekday.search(question):
        data = _parser(base).get_date_data(found.group())
        if data.date_obj is not None:
            return found.group(), data.date_obj.date(), "day"
    return None


def named_dates(text: str, published: date | None = None) -> set[str]:
    """The calendar dates ``text`` names with a month ("October 12", "26 Oct. 2023",
    "November 2024", "in November"), as "12 October 2023" or "November 2024": a date without
    its year is read in the year of ``published`` (the report's date; without one the year is
    left out: "12 October"). Weekdays and relative words ("on Tuesday", "yesterday") are
    left out: in a report they mostly say when it was said, not what it is about."""
    if not _vocabulary().month.search(text):
        return set()
    day = published or date.today()
    settings = {"RELATIVE_BASE": datetime(day.year, day.month, day.day, 12),
                "PREFER_DATES_FROM": "current_period", "REQUIRE_PARTS": ["month"]}
    with warnings.catch_warnings():  # dateparser warns about pytz/regex internals
        warnings.simplefilter("ignore")
        found = _search(_without_abbreviation_dots(text), settings) or []
    known = _vocabulary()
    out = set()
    for span, when in found:
        span = span.strip(" ,.?!")
        words = set(re.findall(r"[a-z]+", span.lower()))
        numbers = NUMBER.findall(span)
        if NOT_TIME.search(span) or not words & known.months:
            continue  # "may", "the March of Dimes"; "yesterday", "9-10"
        if not words & known.names and not numbers:
            continue  # an abbreviation alone is a time only beside a number: "Jan said"
        days = [n for n in numbers if len(n) <= 2 and 1 <= int(n) <= 31]
        written = YEAR.search(span)  # "Sept. 9-10" is no year 2010
        year = f" {when.year}" if written else f" {published.year}" if published else ""
        out.add(f"{when.day} {when:%B}{year}" if days else f"{when:%B}{year}")
    return out


def _before_last_year(years: list[str], this_year: int) -> bool:
    """Some year written is before last year: when something happened, not its news."""
    return any(int(year) < this_year - 1 for year in years)


def _without_abbreviation_dots(question: str) -> str:
    """"Aug. 14" as "Aug 14": ``search_dates`` ends a span at the dot of an abbreviated
    month (news style writes them so), reading "Aug" alone."""
    return _vocabulary().abbreviation_dot.sub(r"\1", question)


def _says_a_time(text: str, period: str) -> bool:
    """Whether a span ``search_dates`` found says a time (a name, a relative phrase, a
    count of periods ago, a year alone, a whole numeric date) rather than only numbers."""
    words = set(re.findall(r"[a-z]+", text.lower()))
    known = _vocabulary()
    if words & known.names or known.relative.search(text):
        return True
    if words & known.abbreviations and NUMBER.search(text):
        return True
    if "ago" in words and words & known.periods:
        return True
    if period == "year" and YEAR.fullmatch(text.split()[-1]):
        return True
    return len(NUMBER.findall(text)) >= 3 and bool(YEAR.search(text))


@dataclass(frozen=True)
class _Vocabulary:
    """Time words from dateparser's English locale data."""

    names: frozenset[str]
    """Month and weekday names, written out."""
    abbreviations: frozenset[str]
    """Their abbreviations of three letters or more: a time only beside a number ("Aug.
    14", not "The Sun")."""
    relative: re.Pattern[str]
    """Relative phrases: "this week", "yesterday", "last month" ("now" is not a window)."""
    periods: frozenset[str]
    """Period names counted "ago": "two weeks ago"."""
    weekday: re.Pattern[str]
    """A weekday's name, written out."""
    abbreviation_dot: re.Pattern[str]
    months: frozenset[str]
    """Month names, written out or abbreviated ("oct", "sept")."""
    month: re.Pattern[str]
    """One of ``months``, as a word."""


@lru_cache(maxsize=1)
def _vocabulary() -> _Vocabulary:
    from dateparser.languages.loader import default_loader

    info = default_loader.get_locale("en").info
    weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    keys = ["january", "february", "march", "april", "may", "june", "july", "august",
            "september", "october", "november", "december", *weekdays]
    short = {form for key in keys for form in info[key] if len(form) >= 3} - set(keys)
    relative = {p for forms in info["relative-type"].values() for p in forms} - {"now"}
    periods = {form for key in ("year", "month", "week", "day", "fortnight", "decade")
               for form in info[key] if len(form) >= 3}
    months = {form for key in keys[:12] for form in info[key] if len(form) >= 3}
    return _Vocabulary(
        frozenset(keys), frozenset(short),
        re.compile(rf"\b(?:{one_of(relative)})\b", re.I), frozenset(periods),
        re.compile(rf"\b(?:{one_of(weekdays)})\b", re.I),
        re.compile(rf"\b({one_of(short)})\.(?=\s*\d)", re.I),
        frozenset(months), re.compile(rf"\b(?:{one_of(months)})\b", re.I))


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
