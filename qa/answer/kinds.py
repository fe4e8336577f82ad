"""What kind of answer a question asks for, and whether a sentence can give it: the asking
word (``asked_part``), the answer's kind (``answer_kind``), and a sentence's fit to it."""

from __future__ import annotations

import re

from qa.text.cues import DATE, DATE_NAMES, FULL_NAME, LASTS_UNTIL, PLACE, says_unknown
from qa.text.names import names_in
from qa.text.numbers import measures, numbers
from qa.text.sentences import sentence_spans
from qa.text.terms import terms

NUMERIC = frozenset({"number", "measure", "duration"})
"""The kinds whose answer is a number: a count ("how many"), a measure with its unit ("how
much"), or a duration ("how long": a measure, or the date it lasts until)."""
NO_ANSWER = -1.0
"""The fit of a sentence that cannot answer the kind of question asked."""
_YEAR = re.compile(r"^(19|20)\d\d$")
AUXILIARY = (r"is|are|was|were|do|does|did|has|have|had|will|would|can|could|should|may|"
              r"might|must")
WH = re.compile(r"\b(who|whom|whose|what|which|when|where|why|how)\b", re.I)
YES_NO = re.compile(rf"^\W*({AUXILIARY})\b", re.I)


PREPOSITION = re.compile(r"^\W*(in|on|at|by|for|from|to|of|with|until|since|after|before|"
                         r"during|about|into|under|over)\W*$", re.I)
CLAUSE = re.compile(rf"^\w+\s+({AUXILIARY}|is|be)\b", re.I)
"""A preposition alone before the question word opens the asking ("In what year …?"),
unless a verb follows the word: "In what may be the largest …, how many …?" asks later."""


def asked_part(question: str) -> str:
    """The part of a question that asks: from its question word, in its last sentence
    ("… this week. Who was named MVP?"). A question word that opens the sentence (after a
    preposition at most: "In what year did Burns, whose …") asks; a
    sentence opening with a verb ("Did NATO …?") asks yes or no; otherwise the last question
    word asks, as in a quiz's "… infringed a copyright when he recreated prints of which
    celebrity?" (that "when" only joins a clause)."""
    spans = sentence_spans(question.strip())
    last = question.strip()[spans[-1][0]:] if spans else question
    found = list(WH.finditer(last))
    if not found or YES_NO.match(last):
        return last
    before, first = last[:found[0].start()], last[found[0].start():]
    if not re.search(r"\w", before) or (PREPOSITION.match(before) and not CLAUSE.match(first)):
        return first
    return last[found[-1].start():]


def answer_kind(question: str) -> str:
    """What kind of answer the question's asking word wants (``asked_part``); a number
    also when the asking holds "how many/big/large", a toll or "the number of" anywhere
    ("Has NATO announced how big the reinforcement will be?")."""
    q = asked_part(question).lower()
    if re.match(r"\W*how long\b", q):
        return "duration"
    if re.match(r"\W*(how (much|far)|what (percentage|amount))\b", q):
        return "measure"
    if re.match(r"\W*(how old|what number)\b", q) or re.search(
            r"\bhow (many|big|large)\b|\b(death|casualty) toll\b|\bthe number of\b", q):
        return "number"
    if re.match(r"\W*(when|what (year|date|day|month|time)|which (year|month|date))\b", q):
        return "date"
    if re.match(r"\W*who(m|se)?\b", q):
        return "person"
    if re.match(r"\W*where\b", q) or re.search(
            r"\bin (which|what) ([\w-]+ ){0,2}(country|nation|city|town|county|province|"
            r"region|state|place|island)\b", question, re.I):
        return "place"
    return "other"


ENTITY_QUESTION = re.compile(
    rf"^\W*(which|what)\b(?!\s+({AUXILIARY}|happened|happens)\b)|"
    r"\bwhat (is|was|are|were) the names?\b", re.I)
"""A question asking for a thing by its name: "Which country …?", "What vegetable …?"."""
NAMED = (0.0, -0.05)
"""The fit of a sentence to a question asking for a thing by its name (``ENTITY_QUESTION``):
holding a name the question does not (days and months aside), or none (it only restates the
question: "Which comedian will host the Oscars?" met by "The Oscars take place on Sunday.").
Measured on nine consecutive RealTimeQA weeks (112 answerable): the reference in the answer
44 -> 46; on the default subset (100 answerable, 88 not) reference and refusals unchanged,
where a bonus for a novel name too (0.05) answered 6 more unanswerable questions for no
reference gained; seed gold set unchanged."""


ASKS = re.compile(r"\?[\s\"'”’)]*$")
"""A sentence that ends asking a question."""


def novel_names(sentence: str, question: str) -> set[str]:
    """The capitalised names of the sentence that are not the question's words (days and
    months aside)."""
    return names_in(sentence) - set(terms(question)) - DATE_NAMES


def novel_name(sentence: str, question: str) -> bool:
    """The sentence holds a capitalised name that is not one of the question's words."""
    return bool(novel_names(sentence, question))


def fit(kind: str, sentence: str, asked: set[str]) -> float:
    """A small bonus when the sentence holds the kind of answer asked for. A "how many",
    "how much", "how long" or "when" question meets no answer at all in a sentence without
    a value of that kind of its own (``asked`` are the question's numbers): a count, a
    number with its unit ("how much", "what percentage"), one of time or the date a thing
    lasts until ("how long"), a date; unless the sentence says such a value is not known
    ("the exact number … has not been specified" answers "how many", not "when")."""
    if kind == "duration" and LASTS_UNTIL.search(sentence):  # "… until the end of March"
        return 0.05
    if kind in NUMERIC:
        held = (counts(sentence) if kind == "number" else measures(sentence)) - asked
        return 0.05 if held or says_unknown(sentence, "number") else NO_ANSWER
    if kind == "date":
        return 0.05 if DATE.search(sentence) or says_unknown(sentence, "date") else NO_ANSWER
    if kind == "person":
        return 0.05 if FULL_NAME.search(sentence) else -0.03
    if kind == "place":
        return 0.05 if PLACE.search(sentence) else -0.1
    return 0.0


def counts(sentence: str) -> set[str]:
    """The numbers of a sentence that can be counts: not years."""
    return {n for n in numbers(sentence) if not _YEAR.match(n)}
