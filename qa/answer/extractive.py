"""The zero-config answerer: quotes the retrieved sentences that answer the question.

Each candidate sentence of the retrieved passages is scored by its embedding similarity to
the question, the share of the question's content words it holds (weighted by their idf in
the corpus, names and numbers counting double) and how well it fits the kind of answer
asked for (a number for "how many", a date for "when"). The best one is quoted, with up to
two more that score nearly as well; when the best is below ``ANSWER_THRESHOLD``, or most
names the question asks about are in none of the retrieved articles, the answerer refuses.
The threshold is calibrated by ``python -m eval.calibrate`` (seed and RealTimeQA sets).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from qa.answer.answerability import AnswerabilityJudge
from qa.answer.kinds import (
    ASKS,
    ENTITY_QUESTION,
    NAMED,
    NO_ANSWER,
    NUMERIC,
    answer_kind,
    asked_part,
    counts,
    fit,
    novel_name,
    novel_names,
)
from qa.index.embedding import Embedder
from qa.text.cues import ABOUT_POST, CAPITALISED, PRONOUN_START
from qa.text.names import alias_stems, capitalised_names, full_form, missing_from, name_runs
from qa.text.numbers import numbers
from qa.text.posts import BYLINE, POST_LINK, post_author
from qa.text.sentences import sentence_spans
from qa.text.terms import present_terms, terms, words
from qa.text.wordlists import phrases, word_set
from qa.types import (
    NO_LEXICON,
    Article,
    Draft,
    DraftSentence,
    Evidence,
    Hit,
    Lexicon,
    SentenceVectors,
)

ANSWER_THRESHOLD = 0.42
EXTRA_MARGIN = 0.04
MAX_SENTENCES = 3
SHORTLIST = 16
QUESTION_WORDS = frozenset(terms(" ".join(word_set("question_words"))))
_FOLLOW_UP = re.compile(r"\b(" + "|".join(sorted(word_set("follow_up")) + phrases(
    "follow_up_phrases")) + r")\b", re.I)
MISSING_NAMES_REFUSE = 0.5
CLOSEST_FLOOR = 0.3
"""A refusal offers the nearest sentence when it is at least this near the question."""
RETRIEVAL_PRIOR = 0.2
"""The default of ``QA_RETRIEVAL_PRIOR``: quotes are ranked by their score plus this over
their passage's retrieval rank (1 for the best passage, 1/2 for the second, ...), so the
hybrid retrieval, which reads whole passages, breaks near-ties between sentences. Whether
to answer still rests on the best score alone. Chosen with ``AGREEMENT`` on eight
RealTimeQA weeks that no reported run uses (``python -m eval.ranking``, its output in
``eval/reports/dev-weeks/ranking.txt``)."""
AGREEMENT = 0.2
AGREEMENT_POOL = 40
AGREEING = 4
"""A quote's ``order`` gains up to ``AGREEMENT`` when what it names beyond the question is
named by other retrieved articles among the ``AGREEMENT_POOL`` best sentences (in full from
``AGREEING`` others). ``python -m eval.ranking`` on the eight development weeks (104
answerable questions), with the code that chose them (``f5b814a``): quotes holding the
reference 0.375 with neither weight, 0.413 with the retrieval prior alone, 0.462 with both
at 0.2 (both halves of the questions better; 0.3 no better); with the code of 6 December,
0.413, 0.442 and 0.500, still the best pair; the seed sets, one article, unchanged."""


@dataclass
class Scored:
    number: int
    start: int
    end: int
    text: str
    score: float
    author: str | None = None
    """"Name (@handle)" when the sentence is part of a quoted post with a byline."""
    in_post: bool = False
    related: float = 0.0
    """The score without the fit to the kind of answer asked for: how near the question."""
    order: float = 0.0
    """The score with the retrieval prior and the agreement bonus: what ranks the quotes."""


def _coverage(question_terms: list[str], weights: dict[str, float], present: set[str]) -> float:
    """The idf-weighted share of the question's terms that are ``present``."""
    if not question_terms:
        return 0.0
    total = found = 0.0
    for term in question_terms:
        weight = weights[term]
        total += weight
        found += weight if term in present else 0.0
    return found / total


class ExtractiveAnswerer:
    """Writes drafts that quote article sentences verbatim, each with its ``[n]`` marker."""

    mode = "extractive"
    model_name: str | None = None

    def __init__(self, embedder: Embedder, threshold: float = ANSWER_THRESHOLD,
                 judge: AnswerabilityJudge | None = None,
                 prior: float = RETRIEVAL_PRIOR, agreement: float = AGREEMENT) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self.prior = prior
        self.agreement = agreement
        self.judge = judge
        """Given, a language model decides whether the best sentences answer (``answers``)."""

    def score(self, question: str, hits: list[Hit], articles: dict[str, Article],
              query_vec: np.ndarray, lexicon: Lexicon = NO_LEXICON,
              units: dict[str, SentenceVectors] | None = None) -> list[Scored]:
        """Every sentence of the retrieved passages, scored against the question, best first.
        ``lexicon`` weighs the question's words by their rarity in the corpus and tells which
        retrieved articles hold the question's names; ``units`` are the sentence vectors
        stored at ingest (a sentence without one is embedded here)."""
        question_terms = [t for t in dict.fromkeys(terms(question)) if t not in QUESTION_WORDS]
        heavy = capitalised_names(question) | numbers(question)
        weights = {t: (2.0 if t in heavy else 1.0) * lexicon.idf(t) for t in question_terms}
        missing = self._missing_names(question, hits, articles, lexicon)
        if missing > MISSING_NAMES_REFUSE:
            return []
        kind = answer_kind(question)
        named = kind == "other" and bool(ENTITY_QUESTION.search(asked_part(question)))
        asked_numbers = numbers(question)
        seen: set[tuple[str, int]] = set()
        found: list[Scored] = []
        units = units or {}
        context: list[str] = []
        about_post = bool(ABOUT_POST.search(question))
        for number, hit in enumerate(hits, start=1):
            text = articles[hit.article_id].text
            previous = ""
            for start, end in sentence_spans(text, hit.start, hit.end):
                sentence = text[start:end]
                fresh = (hit.article_id, start) not in seen
                seen.add((hit.article_id, start))
                if fresh and len(words(sentence)) >= 4 and not BYLINE.match(sentence):
                    author = post_author(text, end, start)
                    in_post = bool(author or POST_LINK.search(sentence))
                    found.append(Scored(number, start, end, sentence, 0.0, author, in_post))
                    # "He …" is read with the names before it; a post with its byline.
                    names = CAPITALISED.findall(previous) if PRONOUN_START.match(sentence) else []
                    extra = " tweet post twitter " + (author or "") if in_post else ""
                    context.append(" ".join(names) + extra)
                previous = sentence
        if not found:
            return []
        lexical = []
        asked = set(question_terms)
        for scored, before in zip(found, context, strict=True):
            held = present_terms(scored.text, asked)
            value = _coverage(question_terms, weights, held)
            if before.strip():
                held |= present_terms(before, asked)
                value = max(value, _coverage(question_terms, weights, held))
            lexical.append(value)
        # Only the sentences of the best passages or with the most question words get a
        # cosine (stored at ingest, or embedded here); the rest keep a lexical-only score.
        order = sorted(range(len(found)), key=lambda i: (found[i].number > 2, -lexical[i]))
        shortlist = order[:SHORTLIST]
        stored: dict[int, np.ndarray | None] = {}
        for i in shortlist:
            own = units.get(hits[found[i].number - 1].article_id)
            stored[i] = own.vector((found[i].start, found[i].end)) if own else None
        unstored = [i for i in shortlist if stored[i] is None]
        if unstored:
            for i, vector in zip(unstored, self.embedder.embed([found[i].text for i in unstored]),
                                 strict=True):
                stored[i] = vector
        cosine = dict.fromkeys(range(len(found)), 0.0)
        cosine.update({i: float(np.dot(query_vec, v)) for i in shortlist
                       if (v := stored[i]) is not None})
        for i, scored in enumerate(found):
            scored.related = (0.5 * cosine[i] + 0.5 * lexical[i] - 0.2 * missing
                              + (0.1 if about_post and scored.in_post else 0.0))
            scored.score = scored.related + fit(kind, scored.text, asked_numbers)
            if named:
                scored.score += NAMED[0] if novel_name(scored.text, question) else NAMED[1]
            if ASKS.search(scored.text):  # a question the article asks answers nothing
                scored.score += NO_ANSWER
            scored.order = scored.score + self.prior / scored.number
        found.sort(key=lambda s: s.order, reverse=True)
        _agreement(found, [h.article_id for h in hits], question, kind, asked_numbers,
                   self.agreement)
        return sorted(found, key=lambda s: s.order, reverse=True)

    def ranking(self, evidence: Evidence) -> list[Scored]:
        """``score`` of the evidence's question and passages, kept on the evidence."""
        if evidence.ranked is None:
            evidence.ranked = self.score(evidence.search, evidence.hits, evidence.articles,
                                         evidence.vector, evidence.lexicon, evidence.units)
        return evidence.ranked

    def answers(self, evidence: Evidence) -> bool:
        """Whether the evidence answers its question: the judge's reading of the best
        sentences when there is a judge (decided once per evidence; it asks its model only
        where the score is unsure), else the best score against the threshold. Nothing to
        quote (no sentence, or the question's names in none of the retrieved articles)
        never answers."""
        ranked = self.ranking(evidence)
        if not ranked:
            return False
        if self.judge is None:
            return best_score(ranked) >= self.threshold
        if evidence.answerable is None:
            evidence.answerable = self.judge.answers(evidence.asked, by_score(ranked),
                                                     best_score(ranked))
        return evidence.answerable

    @staticmethod
    def _missing_names(question: str, hits: list[Hit], articles: dict[str, Article],
                       lexicon: Lexicon) -> float:
        """The share of the names in the question that no retrieved article mentions (in its
        title or its outlet's name, "What did The Verge report …?"; or in its passages as the
        keyword index has them, or read here when the index does not know the article)."""
        names = capitalised_names(question)
        if not names:
            return 0.0
        wanted = names.union(*(alias_stems(n) for n in names))  # what missing_from reads
        retrieved = {h.article_id for h in hits}
        present, unknown = lexicon.held_by(retrieved, wanted)
        for article_id in retrieved:
            article = articles[article_id]
            text = f"{article.title}\n{article.source or ''}" + (
                "\n" + article.text if article_id in unknown else "")
            present |= present_terms(text, wanted)
        missing = missing_from(names, present)
        return len(missing) / len(names)

    def draft(self, evidence: Evidence) -> Draft:
        """Quoted sentences, each with the number of its source; empty when it must refuse.
        Structured, not text with markers, so a "[2]" inside a quote is never read as one."""
        ranked = self.ranking(evidence)
        if not self.answers(evidence):
            return self.refusal(ranked)
        # the first quote scores at least the threshold (or the best score, when a judge
        # answered below it): the order only picks among the sentences that may answer
        floor = min(self.threshold, best_score(ranked))
        eligible = [s for s in ranked if s.score >= floor]
        chosen = [eligible[0]]
        for other in eligible[1:]:
            if len(chosen) >= MAX_SENTENCES or other.order < chosen[0].order - EXTRA_MARGIN:
                break
            if other.score < self.threshold:
                continue
            # an extra sentence adds a fact; a post's claim only when the question is about it
            if (other.in_post and not chosen[0].in_post) or any(
                    _near_duplicate(other.text, c.text) for c in chosen):
                continue
            chosen.append(other)
        return Draft(_with_full_name(introduced(chosen, evidence), chosen[0], ranked, evidence))

    @staticmethod
    def refusal(ranked: list[Scored]) -> Draft:
        """A refusal offering the sentence nearest the question, when one is near enough."""
        near = max((s for s in ranked if not ASKS.search(s.text)), key=lambda s: s.related,
                   default=None)
        if near is None or near.related < CLOSEST_FLOOR:
            return Draft()
        return Draft(closest=(near.number, (near.start, near.end)))

    def stream(self, evidence: Evidence) -> Iterator[str | Draft]:
        """No text before the draft: the quotes are shown once checked."""
        yield self.draft(evidence)

    def warm(self) -> None:
        """Nothing to load beyond the embedder."""

    def close(self) -> None:
        """Nothing runs in the background."""

    def condense(self, question: str, history: list[dict[str, str]]) -> str:
        """A follow-up ("what did he say?") joined with the previous question."""
        previous = next((t["content"] for t in reversed(history) if t["role"] == "user"), "")
        return f"{previous} {question}" if previous and _FOLLOW_UP.search(question) else question


def introduced(chosen: list[Scored], evidence: Evidence) -> list[DraftSentence]:
    """The chosen sentences, each that opens with a pronoun or a bare role ("He said …",
    "It holds 40,000 books.", "The minister …") after the sentence before it in its passage,
    which names whom or what it is about (quoted too, once)."""
    out: list[DraftSentence] = []
    shown = {(s.number, s.start) for s in chosen}
    for scored in chosen:
        if PRONOUN_START.match(scored.text) and not scored.in_post:
            hit = evidence.hits[scored.number - 1]
            text = evidence.articles[hit.article_id].text
            spans = sentence_spans(text, hit.start, hit.end)
            before = [span for span in spans if span[1] <= scored.start][-1:]
            if before and (scored.number, before[0][0]) not in shown:
                sentence = text[before[0][0]:before[0][1]]
                if len(words(sentence)) >= 4 and not BYLINE.match(sentence):
                    shown.add((scored.number, before[0][0]))
                    out.append(DraftSentence(sentence, [scored.number]))
        out.append(DraftSentence(_attributed(scored), [scored.number]))
    return out


def _with_full_name(out: list[DraftSentence], first: Scored, ranked: list[Scored],
                    evidence: Evidence) -> list[DraftSentence]:
    """``out`` with, after the first quote, a retrieved sentence that gives in full a name
    the quote shortens and the question does not hold ("Haley is the only …" and "Nikki
    Haley announced …"; "The Bucks are …" and "The Milwaukee Bucks …"): the answer a reader
    wants is the full name. The first such sentence of the quote's own article, else the
    best-ranked one; nothing when the retrieved longer forms differ ("Joe Biden", "Hunter
    Biden")."""
    shown = " ".join(s.text for s in out)
    runs = name_runs(" ".join(h.text for h in evidence.hits))
    fulls = [full for short in name_runs(first.text) if novel_name(short, evidence.asked)
             and (full := full_form(short, runs)) is not None and full not in shown]
    if not fulls:
        return out
    article_id = evidence.hits[first.number - 1].article_id
    text = evidence.articles[article_id].text
    own = sorted({(span, n) for n, h in enumerate(evidence.hits, start=1)
                  if h.article_id == article_id for span in sentence_spans(text, h.start, h.end)})
    candidates = [(text[a:b], n) for (a, b), n in own] + [
        (s.text, s.number) for s in ranked if not s.in_post]
    after = next((i + 1 for i, s in enumerate(out) if first.text in s.text), 1)
    for full in fulls:
        for sentence, number in candidates:
            if (full in sentence and "?" not in sentence and len(words(sentence)) >= 4
                    and not BYLINE.match(sentence)):
                return [*out[:after], DraftSentence(sentence, [number]), *out[after:]]
    return out


def _agreement(ranked: list[Scored], sources: list[str], question: str, kind: str,
               asked_numbers: set[str], weight: float = AGREEMENT) -> None:
    """Raise the ``order`` of a sentence holding what other retrieved articles say too: a
    name the question does not hold (a number, for "how many") found in the best
    ``AGREEMENT_POOL`` sentences of other articles. News repeats its answer: "Microsoft
    announced 10,000 job cuts" is told by several reports, a related sentence by one."""
    items = [counts(s.text) - asked_numbers if kind in NUMERIC else
             novel_names(s.text, question) for s in ranked]
    held: dict[str, set[str]] = {}
    for scored, found in zip(ranked[:AGREEMENT_POOL], items, strict=False):
        for item in found:
            held.setdefault(item, set()).add(sources[scored.number - 1])
    for scored, found in zip(ranked, items, strict=True):
        others = max((len(held.get(item, ())) - 1 for item in found), default=0)
        scored.order += weight * min(others, AGREEING) / AGREEING


def by_score(ranked: list[Scored]) -> list[str]:
    """The sentences by score alone, best first: what the answerability judge reads (its
    threshold was calibrated on that order)."""
    return [s.text for s in sorted(ranked, key=lambda s: s.score, reverse=True)]


def best_score(ranked: list[Scored]) -> float:
    """The best score among the ranked sentences (the first is the best by ``order``)."""
    return max((s.score for s in ranked), default=0.0)


def _near_duplicate(a: str, b: str) -> bool:
    """Sentences that say mostly the same (a standfirst and the lede, say): most words
    shared and the same numbers."""
    ta, tb = set(terms(a)), set(terms(b))
    return bool(ta and tb) and len(ta & tb) / len(ta | tb) >= 0.6 and numbers(a) == numbers(b)


def _attributed(scored: Scored) -> str:
    """The sentence, introduced as a post's claim when it sits in a quoted social post."""
    if scored.author:
        return f"According to a post by {scored.author}, “{scored.text}”"
    if scored.in_post:
        return f"According to a social media post quoted in the article, “{scored.text}”"
    return scored.text
