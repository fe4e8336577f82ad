"""When an answer's reports were published, said in words beside the answer.

"Reported 6 October 2023." or "Reported 2–5 October 2023." from the cited articles' dates;
asked ``as_of`` a day, "As of 6 October 2023." first, and a warning when the newest cited
report is more than ``STALE_DAYS`` older than that day.
"""

from __future__ import annotations

from datetime import date

from qa.types import Citation, TimeWindow

STALE_DAYS = 30
"""A report this many days older than the day asked about may be out of date: news is
revised within weeks (a death toll, a vote postponed)."""


def when(citations: list[Citation], window: TimeWindow | None) -> str | None:
    days = sorted({d for d in (_day(c.published_at) for c in citations) if d})
    parts = []
    if window is not None and citations:
        parts.append(f"As of {_long(window.as_of)}.")
        if window.widened:
            parts.append(f"No article was published {window.expression}; these reports "
                         "are earlier.")
    if days:
        span = _long(days[0]) if len(days) == 1 else _range(days[0], days[-1])
        parts.append(f"Reported {span}.")
        if window is not None and (window.as_of - days[-1]).days > STALE_DAYS:
            parts.append(f"The newest report is {(window.as_of - days[-1]).days} days older "
                         "than that: this may be out of date.")
    return " ".join(parts) or None


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _range(first: date, last: date) -> str:
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last:%B %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%B} – {last.day} {last:%B %Y}"
    return f"{_long(first)} – {_long(last)}"
