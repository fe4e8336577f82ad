"""Yes-or-no questions about what reports say: a model's verdict over quotes from each.

"Does The Verge's article suggest …, while TechCrunch reports …?", "After Polygon reported
…, did Engadget's review …?": no one sentence answers them, so a judge asking which
sentence gives the answer finds none, and "Yes" has no span to quote. They are answered
instead with the best sentence of each article the question names by its outlet (else of
the best retrieved articles), quoted and checked like any quote, under the language
model's verdict: its P("yes") for the question over the shortlisted evidence (one token),
shown as "Yes." or "No." only when the model is sure either way (``QA_VERDICT_FROM``); when
it is not, the quotes stand alone for the reader to judge.

A compound question ("Does X's article suggest A, while Y's implies B?", ``claims``) is
asked claim by claim over the same evidence, and its P(yes) is the least of its claims':
the answer is yes only if every claim holds. Asked whole, the 1.5B model leans to "yes"
for a question one of whose claims is false (the MultiHop-RAG "no" questions change one
detail of one claim): over its 65 compound questions, the AUC of P(yes) was 0.675 asked
whole and 0.808 claim by claim (``python -m eval.verdicts``, README "Yes or no across
articles"). The least of two readings is lower than one reading of the whole,
so a compound question has its own bound (``CLAIMS_FROM``), for "Yes" only: a claim the
shortlist does not show reads low whether it is false or merely not shown, so a low P(yes)
is not a "No".

Only questions about what reports say take this path (``about_reports``: they name an
article, a report, coverage; or ``named_outlets``: an outlet of the retrieved articles):
asked of the world ("Is Russia helping Serbia destabilise Kosovo?"), a model's "yes" would
state as fact what the articles may only report someone claiming. A question offering its
own alternatives ("consistent or inconsistent?", "before or after?") is not a yes-or-no
question: it is answered the same way, its verdict the word the model prefers of the two
(asked of each apart, so its leaning to "yes" cancels out), under the same bounds.
"""

from __future__ import annotations

import re
from typing import Protocol

from qa.answer.extractive import Scored
from qa.answer.kinds import AUXILIARY, WH, YES_NO, asked_part
from qa.prompts import load_prompt
from qa.text.sentences import sentence_spans
from qa.text.terms import words
from qa.text.wordlists import pairs, word_set
from qa.types import Evidence

QUOTES = 3
"""At most this many articles quoted under a verdict."""
REPORT_WORDS = word_set("report_words")
_CLAUSE_ASKS = re.compile(rf",\s*({AUXILIARY})\b", re.I)
_OPPOSED = re.compile(r"\b(\w+)\s+or\s+((?:un|in|dis|non-?)\1)\b", re.I)
"""Alternatives a prefix makes: "consistent or inconsistent", "agree or disagree"."""
_OR_ASKS = re.compile(rf",\s*or\s+({AUXILIARY})\b", re.I)
"""A second question offered as the alternative: "…, or do they propose …?"."""
_PAIRS = [re.compile(rf"\b({a})\s+or\s+({b})\b", re.I) for a, b in pairs("alternative_pairs")]
_JOINED = re.compile(
    r",?\s+(?:" + "|".join(sorted(word_set("claim_joiners"))) + r")\s+|"
    rf",\s+and\s+(?=(?:{AUXILIARY})\b)", re.I)
"""Where a compound question joins its claims (``claim_joiners``; ", and" before a verb
that asks again)."""
ASK_CLAIM = "Is it true that {claim}?"
"""How a joined claim that is not itself a question is asked."""
CLAIMS_FROM = 0.42
"""A compound question's verdict is "Yes" when the least of its claims' P(yes) is at least
this (never "No"); chosen by ``python -m eval.verdicts`` on the calibration half."""


class YesModel(Protocol):
    def yes_probability(self, prompt: str) -> float: ...


def is_polar(question: str) -> bool:
    """A question answered yes or no: its asking sentence opens with a verb ("Did …?") or,
    after an opening clause, its main clause does ("After X reported …, did Y …?"); not one
    that offers its alternatives ("… consistent or inconsistent?")."""
    asked = asked_part(question)
    if offers_alternatives(asked):
        return False
    if YES_NO.match(asked):
        return True
    return not WH.search(asked) and bool(_CLAUSE_ASKS.search(asked))


def offers_alternatives(question: str) -> bool:
    """The question names what it asks between: "consistent or inconsistent", "before or
    after" (``alternative_pairs``), "…, or do they …?"."""
    return bool(_OPPOSED.search(question) or _OR_ASKS.search(question)
                or any(p.search(question) for p in _PAIRS))


def alternatives(question: str) -> tuple[str, str] | None:
    """The two words the question asks between, as it writes them ("consistent",
    "inconsistent"; "before", "after"), when it names them; ``None`` otherwise (a second
    question offered as the alternative, "…, or do they …?", names no word to answer)."""
    asked = asked_part(question)
    for pattern in (_OPPOSED, *_PAIRS):
        if found := pattern.search(asked):
            return found.group(1).lower(), found.group(2).lower()
    return None


def yes_only(bound: float) -> tuple[float, float]:
    """Bounds for ``verdict`` that give "Yes" at ``bound`` and never "No" (a compound
    question's, ``CLAIMS_FROM``)."""
    return (-1.0, bound)


def claims(question: str) -> list[str]:
    """The questions a compound yes-or-no question joins, each to be asked on its own: "Does
    X suggest A, while Y implies B?" gives "Does X suggest A?" and "Is it true that Y
    implies B?"; "…, and does Y say B?" gives "Does Y say B?". A question that joins
    nothing (or parts of fewer than three words) is its one claim."""
    text = _last(question).strip().rstrip("?").strip()
    parts = [p.strip(" ,") for p in _JOINED.split(text)]
    if len(parts) < 2 or any(len(words(p)) < 3 for p in parts):
        return [question]
    out = [parts[0] + "?"]
    for part in parts[1:]:
        out.append(part[:1].upper() + part[1:] + "?" if YES_NO.match(part)
                   else ASK_CLAIM.format(claim=part))
    return out


def compound(question: str) -> bool:
    """A yes-or-no question joining several claims (``claims``), not one naming its two
    alternatives: asked claim by claim, under ``CLAIMS_FROM``."""
    return alternatives(question) is None and len(claims(question)) > 1


def about_reports(question: str) -> bool:
    """The question asks what an article, report or coverage says (``report_words``)."""
    return any(w.lower() in REPORT_WORDS for w in words(question))


def verdict(p_yes: float, bounds: tuple[float, float]) -> str | None:
    """"Yes" at or above the upper bound, "No" at or below the lower, else ``None``."""
    if p_yes >= bounds[1]:
        return "Yes"
    if p_yes <= bounds[0]:
        return "No"
    return None


def named_outlets(evidence: Evidence) -> set[str]:
    """The outlets of the retrieved articles that the question names."""
    question = evidence.asked.lower()
    outlets = {(a.source or "").strip().lower() for a in evidence.articles.values()}
    return {o for o in outlets if len(o) >= 3 and re.search(rf"\b{re.escape(o)}\b", question)}


def quotes(ranked: list[Scored], evidence: Evidence, floor: float) -> list[Scored]:
    """The best-ordered sentence (scoring at least ``floor``) of each article whose outlet
    the question names, then of the best other articles, up to ``QUOTES``, in rank order."""
    outlets = named_outlets(evidence)
    best: dict[str, Scored] = {}
    for scored in (s for s in ranked if s.score >= floor):
        best.setdefault(evidence.hits[scored.number - 1].article_id, scored)

    def named(article_id: str) -> bool:
        return (evidence.articles[article_id].source or "").strip().lower() in outlets

    chosen = [s for a, s in best.items() if named(a)][:QUOTES]
    chosen += [s for a, s in best.items() if not named(a)][:max(0, QUOTES - len(chosen))]
    return sorted(chosen, key=lambda s: s.order, reverse=True)


class PolarJudge:
    """The model's verdict on a yes-or-no question over the evidence it is shown."""

    def __init__(self, model: YesModel, bounds: tuple[float, float] | None) -> None:
        self.model = model
        self.bounds = bounds
        """``None``: the model gives no verdict (a model that does not judge); the quotes
        stand alone."""

    @staticmethod
    def applies(evidence: Evidence) -> bool:
        """A yes-or-no question, or one naming the two words it asks between, about what
        reports say: it names a report or an outlet of the retrieved articles."""
        question = evidence.asked
        return (is_polar(question) or alternatives(question) is not None) and (
            about_reports(question) or bool(named_outlets(evidence)))

    def probability(self, question: str, sources: str) -> float:
        """The model's P(yes) for ``question`` over ``sources`` (numbered, as drafted from):
        for a compound question the least of its claims' (``claims``); for a question
        between two words, its preference for the first: P(yes) that the
        answer is the first over the sum of that and P(yes) that it is the second, each
        asked apart (``prompts/choice.txt``), so a model's leaning to "yes" cancels out."""
        options = alternatives(question)
        if options is None:  # its one claim, or a compound one's least: yes only if all are
            return min(self.model.yes_probability(load_prompt("polar").format(
                sources=sources, question=_last(claim))) for claim in claims(question))
        first, second = (self.model.yes_probability(load_prompt("choice").format(
            sources=sources, question=_last(question), option=option)) for option in options)
        return first / (first + second) if first + second > 0 else 0.5

    def verdict(self, question: str, sources: str) -> str | None:
        """"Yes" or "No" (a yes-or-no question), or the word chosen of the two the question
        names, when the model is sure (``verdict``; a compound question only "Yes", at
        ``CLAIMS_FROM``); ``None`` when it is not, or judges not."""
        if self.bounds is None:
            return None
        bounds = yes_only(CLAIMS_FROM) if compound(question) else self.bounds
        said = verdict(self.probability(question, sources), bounds)
        options = alternatives(question)
        if said is None or options is None:
            return said
        return (options[0] if said == "Yes" else options[1]).capitalize()


def _last(question: str) -> str:
    """The question as one line (its sentences kept)."""
    spans = sentence_spans(question.strip())
    return " ".join(question.strip()[s:e] for s, e in spans) or question
