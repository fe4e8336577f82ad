"""Metric functions: each takes plain values and returns a number (or None when the metric
does not apply to that question), so they can be tested alone and bootstrapped together."""

from __future__ import annotations

import math
import random
import re
import string
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation + "“”‘’–—")
_POSSESSIVE = re.compile(r"(?<=\w)['’]s\b")
_SCALE = re.compile(r"(?<=\d)(m|bn|tn)\b")
_SCALES = {"m": " million", "bn": " billion", "tn": " trillion"}


def normalise(text: str) -> str:
    """SQuAD-style: lower case, no punctuation, no articles, single spaces; and no
    possessive "'s" ("Nepal's national parks" names Nepal: SQuAD's rule, dropping the
    apostrophe only, reads "nepals"), and a number's scale written out ("$787.5m" as
    "$787.5 million", the way RealTimeQA's British quizzes write it and articles do not)."""
    text = re.sub(r"\[\d+\]", " ", text.lower())
    text = _SCALE.sub(lambda m: _SCALES[m.group(1)], text)
    text = _POSSESSIVE.sub("", text).translate(_PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(answer: str, reference: str) -> float:
    return float(normalise(answer) == normalise(reference))


def token_f1(answer: str, reference: str) -> float:
    got, want = normalise(answer).split(), normalise(reference).split()
    if not got or not want:
        return float(got == want)
    common = sum((Counter(got) & Counter(want)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(got), common / len(want)
    return 2 * precision * recall / (precision + recall)


VERDICTS = frozenset({"yes", "no"})


def contains_reference(answer: str, reference: str) -> float:
    """1 when the normalised reference appears, word-bounded, in the normalised answer; a
    yes-or-no reference is held by the answer's verdict, its first word only ("No. …" holds
    "no"; "Yes. … no longer …" does not, and neither does a quote that happens to say "no")."""
    want, got = normalise(reference), normalise(answer)
    if want in VERDICTS:
        return float(got.split()[:1] == [want])
    return float(bool(want) and f" {want} " in f" {got} ")


def first_hit_rank(retrieved: Sequence[tuple[str, int, int]],
                   gold: Sequence[tuple[str, int, int]]) -> int | None:
    """1-based rank of the first retrieved passage ``(article_id, start, end)`` that holds
    at least half of a gold span ``(article_id, start, end)``; None when none does."""
    for rank, (article, start, end) in enumerate(retrieved, start=1):
        for a, g_start, g_end in gold:
            overlap = min(end, g_end) - max(start, g_start)
            if a == article and overlap > 0 and 2 * overlap >= g_end - g_start:
                return rank
    return None


def hit_at(rank: int | None, k: int) -> float:
    return float(rank is not None and rank <= k)


def reciprocal_rank(rank: int | None) -> float:
    return 1.0 / rank if rank else 0.0


Entails = Callable[[str, str], bool]
"""The judge: does ``evidence`` (second) support ``claim`` (first)?"""


def citation_scores(sentences: Sequence[tuple[str, Sequence[str]]],
                    entails: Entails) -> tuple[float | None, float | None]:
    """ALCE citation recall and precision of one answer. ``sentences`` holds each sentence
    with the quotes it cites. Recall: share of sentences whose cited quotes together entail
    them. Precision (as ALCE's code computes it): a citation counts when its sentence is
    supported and it is not irrelevant, irrelevant meaning it alone does not entail the
    sentence while the other citations still do without it."""
    if not sentences:
        return None, None
    supported = 0
    relevant = cited = 0
    for claim, quotes in sentences:
        whole = bool(quotes) and entails(claim, " ".join(quotes))
        supported += whole
        cited += len(quotes)
        if not whole:
            continue
        for i, quote in enumerate(quotes):
            rest = [q for j, q in enumerate(quotes) if j != i]
            relevant += entails(claim, quote) or not (rest and entails(claim, " ".join(rest)))
    recall = supported / len(sentences)
    precision = relevant / cited if cited else 0.0  # ALCE: an answer citing nothing scores 0
    return recall, precision


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100), linear between closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def bootstrap(items: Sequence[T], statistic: Callable[[Sequence[T]], float | None],
              rounds: int = 1000, seed: int = 0) -> tuple[float, float] | None:
    """95% confidence interval of ``statistic`` over ``items`` by the percentile bootstrap
    (fixed seed, so a report is reproducible)."""
    if len(items) < 2:
        return None
    rng = random.Random(seed)
    values = sorted(v for v in (statistic(rng.choices(items, k=len(items)))
                                for _ in range(rounds)) if v is not None)
    if not values:
        return None
    return values[int(0.025 * len(values))], values[min(len(values) - 1,
                                                        int(0.975 * len(values)))]


def bootstrap_ci(values: Sequence[float | None], rounds: int = 1000,
                 seed: int = 0) -> tuple[float, float] | None:
    """95% confidence interval of the mean of the values present."""
    present = [v for v in values if v is not None]
    return bootstrap(present, lambda sample: sum(sample) / len(sample), rounds, seed)


def refusal_scores(refused: Sequence[bool], answerable: Sequence[bool]
                   ) -> tuple[float | None, float | None]:
    """Precision (refusals that were right to refuse) and recall (unanswerable questions
    refused)."""
    right = sum(r and not a for r, a in zip(refused, answerable, strict=True))
    made, needed = sum(refused), sum(not a for a in answerable)
    return (right / made if made else None), (right / needed if needed else None)
