"""Evidence sized for a CPU model: the sentences most likely to answer, with their neighbours.

A small model on two cores reads about 60 prompt tokens a second, so every sentence of
evidence costs time: instead of whole passages it is given the best-scored sentences of the
retrieved passages (the extractive scorer's ranking), each with the sentence before it (for
"he", "the attack"), up to a budget of characters, grouped by passage in article order.
The excerpts of one article form one source (its title is read once); sources are
numbered 1, 2, … as shown, and ``Excerpts.sources_of`` maps a number the model cites back
to the retrieved passages it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qa.answer.extractive import ExtractiveAnswerer, Scored, best_score
from qa.text.sentences import sentence_spans
from qa.types import Draft, Evidence, Hit, Span

GAP = " … "
CONSIDERED = 12
"""Sentences of the ranking tried for the budget."""


@dataclass
class Excerpts:
    hits: list[Hit] = field(default_factory=list)
    """The passages shown, in the order they are numbered."""
    texts: list[str] = field(default_factory=list)
    """What of each is shown."""
    numbers: list[list[int]] = field(default_factory=list)
    """The source numbers (in ``Evidence.hits``) each excerpt is drawn from."""
    best: float = 0.0
    """The extractive scorer's best sentence score (0 when it refuses outright)."""
    refusal: Draft = field(default_factory=Draft)
    """What to answer if the question is refused: the nearest sentence, if any is near."""

    def sources_of(self, shown: int) -> list[int]:
        """The ``Evidence`` source numbers of excerpt ``shown`` (none: it is no excerpt)."""
        return self.numbers[shown - 1] if 1 <= shown <= len(self.numbers) else []


class Shortlister:
    def __init__(self, scorer: ExtractiveAnswerer, budget_chars: int) -> None:
        self.scorer = scorer
        self.budget = budget_chars

    def excerpts(self, evidence: Evidence) -> Excerpts:
        ranked = list(self.scorer.ranking(evidence))
        best = best_score(ranked)
        refusal = self.scorer.refusal(ranked)
        if not ranked:  # the scorer refuses outright: the model sees the leading passages
            ranked = _in_order(evidence)
        chosen: dict[int, set[Span]] = {}
        used = 0
        # the best-scored sentence first (it decided to answer), then the rest by order
        first = [max(ranked, key=lambda s: s.score)] if ranked else []
        for scored in [*first, *(s for s in ranked if s not in first)][:CONSIDERED]:
            have = chosen.get(scored.number, set())
            fresh = [s for s in _with_previous(evidence, scored) if s not in have]
            cost = sum(e - s + 1 for s, e in fresh)
            if not fresh or (used and used + cost > self.budget):
                continue  # a shorter sentence further down may still fit
            chosen[scored.number] = have | set(fresh)
            used += cost
        out = Excerpts(best=best, refusal=refusal)
        by_article: dict[str, list[int]] = {}
        for number in sorted(chosen):
            by_article.setdefault(evidence.hits[number - 1].article_id, []).append(number)
        for numbers in sorted(by_article.values(), key=lambda ns: min(chosen[ns[0]])):
            hit = evidence.hits[numbers[0] - 1]
            text = evidence.articles[hit.article_id].text
            spans = sorted(set().union(*(chosen[n] for n in numbers)))
            whole = sorted({s for n in numbers for s in sentence_spans(
                text, evidence.hits[n - 1].start, evidence.hits[n - 1].end)})
            out.hits.append(hit)
            out.numbers.append(numbers)
            out.texts.append(_join(text, spans, whole))
        return out


def _with_previous(evidence: Evidence, scored: Scored) -> list[Span]:
    hit = evidence.hits[scored.number - 1]
    spans = sentence_spans(evidence.articles[hit.article_id].text, hit.start, hit.end)
    at = next((i for i, s in enumerate(spans) if s[0] <= scored.start < s[1]), None)
    if at is None:
        return [(scored.start, scored.end)]
    return spans[max(0, at - 1):at + 1]


def _in_order(evidence: Evidence) -> list[Scored]:
    out = []
    for number, hit in enumerate(evidence.hits, start=1):
        text = evidence.articles[hit.article_id].text
        out += [Scored(number, s, e, text[s:e], 0.0)
                for s, e in sentence_spans(text, hit.start, hit.end)]
    return out


def _join(text: str, spans: list[Span], passage: list[Span]) -> str:
    """The chosen sentences in order: adjacent ones joined by a space, gaps marked."""
    position = {s: i for i, s in enumerate(passage)}
    parts: list[str] = []
    last = None
    for span in spans:
        at = position.get(span)
        if parts:
            parts.append(" " if at is not None and last is not None and at == last + 1 else GAP)
        elif at:
            parts.append(GAP.lstrip())
        parts.append(text[span[0]:span[1]])
        last = at
    if last is not None and last < len(passage) - 1:
        parts.append(GAP.rstrip())
    return "".join(parts)
