"""Word-level analysis shared by BM25, the extractive answerer and the support check."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

STOPWORDS = frozenset(
    """
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had
has have having he her here hers herself him himself his how i if in into is it its itself just
me more most my myself nor of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will
with would you your yours yourself yourselves said says say according yet still however
""".split()  # noqa: SIM905
)
NEGATIONS = frozenset({"not", "no", "never", "none", "nobody", "nothing", "neither", "nor",
                       "refuse", "refused", "refusing", "deny", "denied", "denies"})
NUMBER_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
    "thirteen": "13", "fourteen": "14", "fifteen": "15", "twenty": "20", "thirty": "30",
    "forty": "40", "fifty": "50", "hundred": "100", "dozen": "12", "single": "1", "once": "1",
    "twice": "2",
}
_WORD = re.compile(r"\w+")
_POSSESSIVE = re.compile(r"[’']s(?![\w’'])")  # "'s" ending a run of word characters
_stemmer = Stemmer.Stemmer("english")


def fold(text: str) -> str:
    """Lower case without accents, so "Vučić" matches "Vucic"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    if decomposed.isascii():
        return decomposed
    # whole-text operations in C: the marks this text holds, deleted in one pass
    marks = {ord(ch): None for ch in set(decomposed) if unicodedata.combining(ch)}
    return decomposed.translate(marks) if marks else decomposed


def words(text: str) -> list[str]:
    """Lower-case, accent-free words, possessives and apostrophes removed ("Kosovo's" is
    "kosovo", "don't" is "dont")."""
    return _WORD.findall(_plain(text))


def _plain(text: str) -> str:
    return _POSSESSIVE.sub("", fold(text)).replace("’", "").replace("'", "")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return str(_stemmer.stemWord(word))


def _is_content(word: str) -> bool:
    return word not in STOPWORDS and (len(word) > 1 or word.isdigit())


def _content(text: str) -> list[str]:
    return [w for w in words(text) if _is_content(w)]


def terms(text: str) -> list[str]:
    """Stemmed content words: the unit of BM25 and of lexical support."""
    stems: list[str] = _stemmer.stemWords(_content(text))  # one call into C, cached there
    return stems


def present_terms(text: str, wanted: set[str]) -> set[str]:
    """``wanted & set(terms(text))``, stemming only the words that can give one of
    ``wanted``: a word's stem keeps its first letter (true of all 77k distinct words of 3k
    RealTimeQA articles), so the others are passed over by a regular expression (0.36 ms a
    whole article where stemming all its words took 0.96 ms)."""
    firsts = "".join(sorted({t[0] for t in wanted if t}))
    if not firsts:
        return set()
    candidates = set(re.findall(rf"\b[{re.escape(firsts)}]\w*", _plain(text)))
    kept = [w for w in candidates if _is_content(w)]
    return wanted.intersection(_stemmer.stemWords(kept))


def numbers(text: str) -> set[str]:
    """Numbers in ``text``, digits and number words alike ("four" and "4" are both "4")."""
    found = {n.replace(",", "") for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}
    found |= {NUMBER_WORDS[w] for w in words(text) if w in NUMBER_WORDS and w not in {"once"}}
    return found


# Words that report what someone says or believes rather than state it: evidence holding
# one supports the claim only when the claim keeps the attribution.
REPORTING = frozenset(words("""said says say saying told tells warned warns wrote writes
claimed claims claiming claim alleged alleges allegedly alleging accused accuses accusing
according reportedly believed believes feared fears insisted insists argued argues argue
complained suspected rumored rumoured purportedly"""))
# Pairs of opposite words ("rose" vs "fell"): a claim with one, over evidence with only the
# other, says the opposite of it.
_OPPOSITES = [("rise", "fall"), ("rose", "fell"), ("risen", "fallen"), ("rising", "falling"),
              ("increase", "decrease"), ("increased", "decreased"), ("increasing", "decreasing"),
              ("grow", "shrink"), ("grew", "shrank"), ("growing", "shrinking"),
              ("gain", "loss"), ("gained", "lost"), ("win", "lose"), ("won", "lost"),
              ("higher", "lower"), ("highest", "lowest"), ("more", "fewer"),
              ("larger", "smaller"), ("largest", "smallest"), ("above", "below"),
              ("before", "after"), ("support", "oppose"), ("supported", "opposed"),
              ("supports", "opposes"), ("accept", "reject"), ("accepted", "rejected"),
              ("approve", "reject"), ("approved", "rejected"), ("allow", "ban"),
              ("allowed", "banned"), ("east", "west"), ("north", "south"),
              ("eastern", "western"), ("northern", "southern"), ("first", "last"),
              ("grows", "slows"), ("strong", "weak"), ("stronger", "weaker"),
              ("up", "down"), ("open", "close"), ("opened", "closed"), ("raise", "cut"),
              ("raised", "cut"), ("boost", "cut"), ("expand", "scrap"), ("better", "worse"),
              ("best", "worst"), ("profit", "loss"), ("surplus", "deficit")]
OPPOSITES = {a: b for a, b in _OPPOSITES} | {b: a for a, b in _OPPOSITES}


_REPORTED = "|".join(sorted(REPORTING, key=len, reverse=True))
_TRAILING_SPEAKER = re.compile(
    rf"^(?P<said>.+),\s*(?P<who>[^,]{{0,80}}?\b(?:{_REPORTED})\b[^,]{{0,60}})$", re.I | re.S)
_INLINE_REPORT = re.compile(rf"\b(?:{_REPORTED})\b[^,.;:]*", re.I)


def reports_speech(text: str) -> bool:
    """Whether ``text`` reports what someone says, claims or believes."""
    return bool(REPORTING.intersection(words(text.lower())))


def plain_statements(text: str) -> str:
    """``text`` without what it only reports: a sentence ending ", officials said." is all
    reported; after "claiming", "alleged", "said that" … the clause up to the next comma is."""
    kept = []
    for sentence in re.split(r"(?<=[.!?])\s+", text.strip()):
        trailing = _TRAILING_SPEAKER.match(sentence.rstrip(" .!?\"”’'"))
        kept.append(trailing["who"] if trailing else _INLINE_REPORT.sub(" ", sentence))
    return " ".join(kept)


def contradicting_words(claim: str, evidence: str) -> set[str]:
    """Words of the claim whose opposite the evidence uses instead of them."""
    said, found = set(words(claim.lower())), set(words(evidence.lower()))
    return {w for w in said if w in OPPOSITES and OPPOSITES[w] in found and w not in found}


def has_negation(text: str) -> bool:
    lowered = text.lower()
    return bool(NEGATIONS.intersection(words(lowered))) or "n't" in lowered or "n’t" in lowered


# Abbreviations a question or claim may use for a name an article spells out.
ALIASES = {"uk": "united kingdom", "us": "united states", "usa": "united states",
           "un": "united nations", "eu": "european union"}
_OPENERS = frozenset(words("""however additionally meanwhile moreover furthermore overall finally
first second third also still yes today yesterday tomorrow earlier later instead nevertheless
nonetheless thus therefore hence again besides likewise similarly otherwise""")) | STOPWORDS


def names_in(text: str) -> set[str]:
    """Stems of every capitalised word, the first of a sentence too unless it is a common
    opener ("However", "The"): what a claim must not bring in that its evidence lacks."""
    found: set[str] = set()
    for match in re.finditer(r"\b([A-Z][\w’'-]*)", text):
        word = re.sub(r"[’']s$", "", fold(match.group(1)))
        if word not in _OPENERS:
            found.update(terms(word))
    return found


def alias_stems(name: str) -> set[str]:
    """The stems of a name's long form ("us": those of "united states"); empty for others."""
    return {stem(w) for w in words(ALIASES[name])} if name in ALIASES else set()


def missing_from(names: set[str], present: set[str]) -> set[str]:
    """The names not in ``present`` (stems), an alias counting for its long form."""
    return {n for n in names if n not in present
            and not (n in ALIASES and alias_stems(n) <= present)}


def capitalised_names(text: str) -> set[str]:
    """Stems of capitalised words that do not open a sentence: a rough named-entity set."""
    names: set[str] = set()
    for match in re.finditer(r"(?<![.!?]\s)(?<!^)\b([A-Z][\w’'-]+)", text):
        names.update(terms(match.group(1)))
    return names
