"""Reports that differ: a death toll revised, a count given otherwise by another outlet, a
vote moved to another day.

When the question asks for a number ("how many", "what was the toll") or a date ("when")
and the answer gives one, the other retrieved articles' sentences that answer the question
as well (scored by the extractive scorer at ``QA_ANSWER_THRESHOLD`` or above: answers in
their own right) with values the answer does not hold are added to it as quotes, so a
reader is never given one of several values silently: quotes only, newest first, each
citing its article (whose date and outlet the citation carries), and ``Answer.differs``
says which report is the latest. At most ``MAX_OTHERS`` are added; a sentence of an article
already cited adds no other report, nor does an undated article or, when the question names
a time ("this week"), one published outside it.

A date is one named with its month ("October 26", "26 Oct. 2023"; ``when.named_dates``), a
year left out read in the year of the report; weekdays and "yesterday" are not compared (in
news they mostly say when a thing was said). Names are not compared: a sentence names
several people and places, and which of them answers "who" is not read here.
"""

from __future__ import annotations

from datetime import date

from qa.answer.extractive import ExtractiveAnswerer, Scored, _attributed
from qa.answer.kinds import NUMERIC, answer_kind
from qa.text.numbers import figures, numbers
from qa.text.when import YEAR, named_dates
from qa.types import AnswerSentence, Citation, Draft, DraftSentence, Evidence

KINDS = NUMERIC | {"date"}
"""The kinds of question (``kinds.answer_kind``) whose reports are compared."""
MAX_OTHERS = 2


def asked_values(question: str, kind: str) -> set[str]:
    """The values ``question`` itself holds (never a report's answer): its numbers, or for
    a date question its dates, without their year."""
    return {_yearless(d) for d in named_dates(question)} if kind == "date" else numbers(question)


def values(text: str, asked: set[str], kind: str = "number",
           published: date | None = None) -> set[str]:
    """The values ``text`` (of a report published on ``published``) gives that the
    question does not hold: for a date question the dates it names ("26 October 2023"),
    else its figures, years and vague plurals ("thousands of homes") left out."""
    if kind == "date":
        return {d for d in named_dates(text, published) if _yearless(d) not in asked}
    return {n for n in figures(text) - asked if not (len(n) == 4 and n[:2] in {"19", "20"})}


def _yearless(day: str) -> str:
    return " ".join(w for w in day.split() if not YEAR.fullmatch(w))


class OtherReports:
    def __init__(self, scorer: ExtractiveAnswerer) -> None:
        self.scorer = scorer

    def extend(self, draft: Draft, evidence: Evidence) -> Draft:
        """``draft`` with the differing reports quoted after it (an extractive draft: all
        its quotes newest first); the same draft when no other report differs."""
        kind = answer_kind(evidence.search)
        if not draft or kind not in KINDS:
            return draft
        asked = asked_values(evidence.search, kind)
        shown = set().union(*(values(s.text, asked, kind, self._day(evidence, s))
                              for s in draft))
        if not shown:
            return draft
        hits = evidence.hits
        cited = {hits[n - 1].article_id for s in draft for n in s.sources if 0 < n <= len(hits)}
        ranked = self.scorer.ranking(evidence)
        others: list[Scored] = []
        seen = set(shown)
        for scored in ranked:
            if len(others) >= MAX_OTHERS:
                break
            if scored.score < self.scorer.threshold:  # ranked by order, not by score
                continue
            article = evidence.articles[hits[scored.number - 1].article_id]
            found = values(scored.text, asked, kind, article.published_at)
            if (article.id in cited or not found or found & seen
                    or not _in_window(article.published_at, evidence)):
                continue
            others.append(scored)
            seen |= found
            cited.add(article.id)
        if not others:
            return draft
        extra = [DraftSentence(_attributed(s), [s.number]) for s in others]
        sentences = [*draft, *extra]
        if draft.usage is None:  # quotes only: the newest report first
            sentences.sort(key=lambda s: self._day(evidence, s) or date.min, reverse=True)
        else:  # the model's answer, then the other reports, newest first
            sentences = [*draft, *sorted(extra, key=lambda s: self._day(evidence, s) or date.min,
                                         reverse=True)]
        return Draft(sentences, usage=draft.usage, closest=draft.closest, verdict=draft.verdict)

    @staticmethod
    def _day(evidence: Evidence, sentence: DraftSentence) -> date | None:
        days = [evidence.articles[evidence.hits[n - 1].article_id].published_at
                for n in sentence.sources if 0 < n <= len(evidence.hits)]
        known = [d for d in days if d is not None]
        return max(known) if known else None


def _in_window(day: date | None, evidence: Evidence) -> bool:
    """A dated report, within the window the question names (if it names one)."""
    window = evidence.window
    if day is None:
        return False
    if window is None or not window.expression or window.widened:
        return True
    return (window.since is None or day >= window.since) and day <= window.until


def differs(question: str, sentences: list[AnswerSentence],
            citations: list[Citation]) -> str | None:
    """"Reports differ: 31 (Outlet, 12 October 2023) [2], the latest; 12 (2 October 2023)
    [1]." for the shown sentences' numbers (or dates) by the date of the report they cite,
    when the question asks for a number (or a date) and they differ."""
    kind = answer_kind(question)
    if kind not in KINDS:
        return None
    asked = asked_values(question, kind)
    by_id = {c.id: c for c in citations}
    reports: dict[int, tuple[str, set[str]]] = {}
    for sentence in sentences:
        if not sentence.supported:
            continue
        for cid in sentence.citations:
            citation = by_id.get(cid)
            if citation is None or not citation.published_at:
                continue
            found = values(sentence.text, asked, kind, _date(citation.published_at))
            if found:
                day, had = reports.get(cid, (citation.published_at[:10], set()))
                reports[cid] = (day, had | found)
    if len({frozenset(v) for _, v in reports.values()}) < 2:
        return None
    order = sorted(reports, key=lambda cid: reports[cid][0], reverse=True)
    parts = []
    for i, cid in enumerate(order):
        citation, (day, found) = by_id[cid], reports[cid]
        where = ", ".join(x for x in (citation.source, _long(day)) if x)
        parts.append(f"{' / '.join(sorted(found))} ({where}) [{cid}]"
                     + (", the latest" if i == 0 else ""))
    return "Reports differ: " + "; ".join(parts) + "."


def given(question: str, text: str, published_at: str | None) -> set[str]:
    """The values a sentence of a report (published on ``published_at``, ISO) gives for
    ``question`` (``values``; empty for a question that asks for neither a number nor a
    date)."""
    kind = answer_kind(question)
    if kind not in KINDS:
        return set()
    day = _date(published_at) if published_at else None
    return values(text, asked_values(question, kind), kind, day)


def _date(day: str) -> date | None:
    try:
        return date.fromisoformat(day[:10])
    except ValueError:
        return None


def _long(day: str) -> str:
    parsed = _date(day)
    return f"{parsed.day} {parsed:%B %Y}" if parsed else day
