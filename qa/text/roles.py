"""Swapped roles: a claim that puts two names of its evidence in each other's places.

"Serbia accuses Kosovo of …" over "Kosovo accuses Serbia of …" shares every word with its
evidence, so coverage and the embedding call it supported. What tells them apart is order:
the claim has a name, then a word, then another name ("Serbia … accuses … Kosovo"), and a
sentence of the evidence has the same word between the same two names the other way round,
and nowhere in the right order. The word between is a content word that is no name, number
or date, so two names listed side by side ("Fox News and Tucker Carlson") or an apposition's
names ("GPT-3.5, the predecessor of GPT-4") are never compared through one another. A word
followed closely by a passive's agent ("was defeated by Arsenal") reverses who does what, so
that word is not compared. The names are those of ``names_in``, days and months aside."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from qa.text.cues import DATE_NAMES
from qa.text.names import names_in
from qa.text.sentences import sentence_spans
from qa.text.terms import STOPWORDS, stem, words
from qa.text.wordlists import word_set

ROLE_WINDOW = 16
"""The most words (stopwords counted) from the first name to the second, in the claim and in
the evidence's sentence: the two names belong to one clause."""
PASSIVE_REACH = 3
AGENT_MARKERS = word_set("passive_agent")
"""A word with one of these within ``PASSIVE_REACH`` words after it reads the other way
round ("is considered good news by all parties")."""


def _tokens(text: str) -> tuple[list[str | None], list[str]]:
    """Each word's stem (``None`` for a stopword) and the words themselves."""
    plain = words(text)
    return [None if w in STOPWORDS or (len(w) == 1 and not w.isdigit()) else stem(w)
            for w in plain], plain


def _passive(plain: Sequence[str], at: int) -> bool:
    return any(w in AGENT_MARKERS for w in plain[at + 1:at + 1 + PASSIVE_REACH])


def _ordered(stems: Sequence[str | None], plain: Sequence[str], first: str, word: str,
             second: str) -> bool:
    """``first``, then ``word`` (not passive), then ``second``, within ``ROLE_WINDOW``."""
    for i, s in enumerate(stems):
        if s != first:
            continue
        for j in range(i + 1, min(len(stems), i + ROLE_WINDOW + 1)):
            if stems[j] != word or _passive(plain, j):
                continue
            if second in stems[j + 1:i + ROLE_WINDOW + 1]:
                return True
    return False


def swapped_roles(claim: str, evidence: str) -> tuple[str, str, str] | None:
    """``(first name, word, second name)`` (stems) of the claim that a sentence of the
    evidence has as second name, word, first name, and none in the claim's order; ``None``
    when there is no such triple."""
    if claim.strip() in evidence:  # a quote keeps its own order (and costs nothing more)
        return None
    claim_stems, claim_words = _tokens(claim)
    claim_names = names_in(claim)
    sentences = []
    for start, end in sentence_spans(evidence):
        stems, plain = _tokens(evidence[start:end])
        sentences.append((stems, plain, names_in(evidence[start:end])))
    for stems, _, names in sentences:
        shared = {n for n in claim_names & names
                  if n.isalpha() and n not in DATE_NAMES and n in claim_stems and n in stems}
        for first, word, second in _triples(claim_stems, claim_words, shared,
                                            claim_names | names):
            if any(_ordered(s, p, second, word, first) for s, p, _ in sentences) and not any(
                    _ordered(s, p, first, word, second) for s, p, _ in sentences):
                return first, word, second
    return None


def _triples(stems: Sequence[str | None], plain: Sequence[str], shared: set[str],
             names: set[str]) -> Iterator[tuple[str, str, str]]:
    """Each (name, word, name) of the claim: two of the ``shared`` names within
    ``ROLE_WINDOW`` and a content word between them that is no name, number or passive."""
    for i, first in enumerate(stems):
        if first not in shared:
            continue
        for j in range(i + 1, min(len(stems), i + ROLE_WINDOW + 1)):
            second = stems[j]
            if second is None or second not in shared or second == first:
                continue
            for k in range(i + 1, j):
                word = stems[k]
                if not (word is None or word in names or word.isdigit()
                        or _passive(plain, k)):
                    yield first, word, second
