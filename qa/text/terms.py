"""Words and stems: the unit of BM25, of lexical support and of the answerer's coverage."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

from qa.text.wordlists import word_set

STOPWORDS = word_set("stopwords")
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
