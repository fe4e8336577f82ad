"""Reports that differ: a death toll revised, a count given otherwise by another outlet.

When the question asks for a number ("how many", "what was the toll") and the answer gives
one, the other retrieved articles' sentences that answer the question as well (scored by
the extractive scorer at ``QA_ANSWER_THRESHOLD`` or above: answers in their own right) with
numbers the answer does not hold are added to it as quotes, so a reader is never given
one of several values silently: quotes only, newest first, each citing its article (whose
date and outlet the citation carries), and ``Answer.differs`` says which report is the
latest. At most ``MAX_OTHERS`` are added; a sentence of an article already cited adds no
other report, nor does an undated article or, when the question names a time ("this week"),
one published outside it.
"""

from __future__ import annotations

from datetime import date

from qa.answer.extractive import ExtractiveAnswerer, Scored, _attributed
from qa.answer.kinds import NUMERIC, answer_kind
from qa.text.numbers import figures, numbers
from qa.types import AnswerSentence, Citation, Draft, DraftSentence, Evidence

KINDS = NUMERIC
"""The kinds of question (``kinds.answer_kind``) whose reports are compared."""
MAX_OTHERS = 2


def values(text: str, asked: set[str]) -> set[str]:
    """The figures ``text`` gives that the question does not hold, years and vague plurals
    ("thousands of homes") left out."""
    return {n for n in figures(text) - asked if not (len(n) == 4 and n[:2] in {"19", "20"})}


class OtherReports:
    def __init__(self, scorer: ExtractiveAnswerer) -> None:
        self.scorer = scorer

    def extend(self, draft: Draft, evidence: Evidence) -> Draft:
        """``draft`` with the differing reports quoted after it (an extractive draft: all
        its quotes newest first); the same draft when no other report differs."""
        if not draft or answer_kind(evidence.search) not in KINDS:
            return draft
        asked = numbers(evidence.search)
        given = values(" ".join(s.text for s in draft), asked)
        if not given:
            return draft
        hits = evidence.hits
        cited = {hits[n - 1].article_id for s in draft for n in s.sources if 0 < n <= len(hits)}
        ranked = self.scorer.ranking(evidence)
        others: list[Scored] = []
        seen = set(given)
        for scored in ranked:
            if len(others) >= MAX_OTHERS:
                break
            if scored.score < self.scorer.threshold:  # ranked by order, not by score
                continue
            article = evidence.articles[hits[scored.number - 1].article_id]
            found = values(scored.text, asked)
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
    [1]." for the shown sentences' numbers by the date of the report they cite, when the
    question asks for a number and they differ."""
    if answer_kind(question) not in KINDS:
        return None
    asked = numbers(question)
    by_id = {c.id: c for c in citations}
    reports: dict[int, tuple[str, set[str]]] = {}
    for sentence in sentences:
        if not sentence.supported:
            continue
        for cid in sentence.citations:
            citation = by_id.get(cid)
            found = values(sentence.text, asked)
            if citation is not None and citation.published_at and found:
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


def _long(day: str) -> str:
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        return day
    return f"{parsed.day} {parsed:%B %Y}"
