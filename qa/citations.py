"""From a draft with ``[n]`` markers to checked citations of exact article spans.

Each ``[n]`` names the n-th numbered source (a retrieved passage). Each answer sentence's
markers are mapped to the sentence (or two adjacent sentences) of the cited passage that
best supports it; that span is the citation's quote. A sentence is supported when its cited
spans together support it; an unknown number is dropped; a sentence without markers gets
the best span of any source only when that span supports it. An answer left with no
supported sentence becomes a refusal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from qa.chunking import sentence_spans
from qa.embedding import Embedder
from qa.models import AnswerSentence, Article, Citation
from qa.posts import post_author
from qa.retrieval import Hit
from qa.support import SUPPORTED, lexical_coverage, strip_attribution, support_score
from qa.terms import missing_from, names_in, terms

REFUSAL = "The articles do not answer this question."
SHORTLIST = 8
# Source numbers have at most three digits, so "[2008]" stays a year.
_GROUP = r"\[\s*\^?\d{1,3}(?:\s*(?:[,;]|[-–]|and)\s*\d{1,3})*\s*\]"
_MARKER = re.compile(r"\s*(" + _GROUP + r")")
_LEAD = re.compile(r"^(\s*" + _GROUP + r")+")
_LEFTOVER = re.compile(r"\[(\s*\d[^\]\[]*)\]")
_BARE_ATTRIBUTION = re.compile(r"according to (a post by |a social media post )?[^,“”]{1,100},?",
                               re.I)
_EMPTY_ASIDE = re.compile(r"\s*\(\s*(?:see|cf\.?|sources?:?)?[\s,;]*\)", re.I)
_SOURCE_LIST = re.compile(r"^((sources?|references?|citations?)\s*[:,.;]*|(see|cf\.?)( the)?"
                          r"( sources?| articles?)?( for (more )?(details|information))?[.,;:]*)$",
                          re.I)

Draft = str | list[tuple[str, list[int]]]
"""A draft: text with ``[n]`` markers (an LLM's), or sentences with their source numbers."""


@dataclass
class Checked:
    answer: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    sentences: list[AnswerSentence] = field(default_factory=list)


@dataclass
class _Candidate:
    source: int
    start: int
    end: int
    text: str
    byline: str = ""
    """The byline of the quoted post the span sits in: who makes its claim."""

    @property
    def evidence(self) -> str:
        return f"{self.text} {self.byline}" if self.byline else self.text


def parse_draft(draft: str) -> list[tuple[str, list[int]]]:
    """Sentences of a draft with the source numbers each one cites, markers removed.

    A marker after a sentence's closing punctuation ("… people. [1]") belongs to it."""
    text = draft.strip()
    out: list[tuple[str, list[int]]] = []
    for start, end in sentence_spans(text):
        piece = text[start:end]
        lead = _LEAD.match(piece)
        if lead and out:
            out[-1][1].extend(_numbers_in(lead.group(0)))
            piece = piece[lead.end():]
        cited = _numbers_in(piece)
        clean = _EMPTY_ASIDE.sub("", _MARKER.sub("", piece).replace("[]", "")).strip()
        clean = re.sub(r"\s+([.,;:!?])", r"\1", clean)
        if clean and not _SOURCE_LIST.match(clean):
            out.append((clean, cited))
        elif out:
            out[-1][1].extend(cited)
    return out


def _numbers_in(text: str) -> list[int]:
    """Source numbers of every marker: ``[1]``, ``[1, 2]``, ``[1; 3]``, ``[2-4]``."""
    numbers: list[int] = []
    for group in _MARKER.findall(text):
        for part in re.split(r"[,;]|\band\b", group.strip("[] ")):
            bounds = [int(n) for n in re.findall(r"\d+", part)]
            if len(bounds) == 2 and bounds[0] <= bounds[1] <= bounds[0] + 20:
                numbers.extend(range(bounds[0], bounds[1] + 1))
            else:
                numbers.extend(bounds)
    return numbers


class CitationChecker:
    """Checks drafts against the numbered sources they were written from."""

    def __init__(self, embedder: Embedder, threshold: float = SUPPORTED) -> None:
        self.embedder = embedder
        self.threshold = threshold

    def check(self, draft: Draft, hits: list[Hit], articles: dict[str, Article]) -> Checked:
        parsed = parse_draft(draft) if isinstance(draft, str) else draft
        if not parsed:
            return Checked(REFUSAL, True)
        candidates = self._candidates(hits, articles)
        citations: dict[tuple[str, int, int], Citation] = {}
        sentences: list[AnswerSentence] = []
        for claim, cited in parsed:
            chosen, support = self._support(claim, cited, candidates)
            ids = [self._cite(candidates[c], hits, articles, citations) for c in chosen]
            # text in brackets that is not our marker ("[7]" inside a quote) must not read as one
            shown = _LEFTOVER.sub(r"(\1)", claim)
            sentences.append(AnswerSentence(text=shown, citations=list(dict.fromkeys(ids)),
                                            supported=bool(chosen), support=support))
        if not any(s.supported for s in sentences):
            return Checked(REFUSAL, True)
        return Checked(" ".join(render_pieces(sentences)), False, list(citations.values()),
                       sentences)

    def _candidates(self, hits: list[Hit], articles: dict[str, Article]) -> list[_Candidate]:
        """Every sentence of every source, and every two adjacent sentences."""
        out = []
        for number, hit in enumerate(hits, start=1):
            text = articles[hit.article_id].text
            spans = sentence_spans(text, hit.start, hit.end)
            for i, (start, end) in enumerate(spans):
                out.append(_Candidate(number, start, end, text[start:end],
                                      post_author(text, end, start) or ""))
                if i + 1 < len(spans):
                    pair_end = spans[i + 1][1]
                    out.append(_Candidate(number, start, pair_end, text[start:pair_end],
                                          post_author(text, pair_end, start) or ""))
        return out

    def _support(self, claim: str, cited: list[int],
                 candidates: list[_Candidate]) -> tuple[list[int], float]:
        """Indexes of the candidate spans that support the claim, and the support reached."""
        valid = list(dict.fromkeys(n for n in cited if any(c.source == n for c in candidates)))
        pool = [i for i, c in enumerate(candidates) if not valid or c.source in valid]
        if not pool:
            return [], 0.0
        quoted = _verbatim(claim, candidates, pool)
        if quoted is not None:  # a quotation of the cited source supports itself
            return [quoted], 1.0
        # Embed only the spans that share most words with the claim: the rest cannot win.
        # The attribution ("According to X,") is checked by name, not by meaning.
        core = strip_attribution(claim)
        shortlist = sorted(pool, key=lambda i: lexical_coverage(core, candidates[i].evidence),
                           reverse=True)[:SHORTLIST]
        vectors = self.embedder.embed([core] + [candidates[i].text for i in shortlist])
        scores = {i: support_score(claim, candidates[i].evidence, vectors[0], vectors[k + 1])
                  for k, i in enumerate(shortlist)}
        best_per_source: dict[int, int] = {}
        for i in shortlist:
            n = candidates[i].source
            if n not in best_per_source or (scores[i], -len(candidates[i].text)) > (
                    scores[best_per_source[n]], -len(candidates[best_per_source[n]].text)):
                best_per_source[n] = i
        ranked = sorted(best_per_source.values(), key=lambda i: scores[i], reverse=True)
        top = scores[ranked[0]]
        if not valid:
            # Uncited: attach the single best span only if it alone supports the sentence.
            return ([ranked[0]], top) if top >= self.threshold else ([], top)
        support = top
        if len(ranked) > 1 and top < self.threshold:
            together = " ".join(candidates[i].evidence for i in ranked)
            joint_vec = _unit(np.sum([vectors[shortlist.index(i) + 1] for i in ranked], axis=0))
            support = max(top, support_score(claim, together, vectors[0], joint_vec))
        if support < self.threshold:
            return [], support
        # ALCE precision: a citation stays unless it alone adds nothing the others lack.
        keep = [i for i in ranked if scores[i] >= self.threshold * 0.75 or i == ranked[0]]
        return keep, support

    @staticmethod
    def _cite(candidate: _Candidate, hits: list[Hit], articles: dict[str, Article],
              citations: dict[tuple[str, int, int], Citation]) -> int:
        hit = hits[candidate.source - 1]
        key = (hit.article_id, candidate.start, candidate.end)
        if key not in citations:
            article = articles[hit.article_id]
            citations[key] = Citation(
                id=len(citations) + 1, article_id=article.id, title=article.title,
                url=article.url, source=article.source,
                published_at=article.published_at.isoformat() if article.published_at else None,
                passage_id=hit.passage_id, start=candidate.start, end=candidate.end,
                quote=article.text[candidate.start:candidate.end],
            )
        return citations[key].id


def _verbatim(claim: str, candidates: list[_Candidate], pool: list[int]) -> int | None:
    """The candidate that the claim quotes whole: the claim is the span itself, or the span
    in quotation marks after a bare attribution ("According to X, “…”") whose names the
    span's context holds. Anything more in the claim must be checked, not waved through."""
    quoted = re.fullmatch(r"(?P<lead>[^“”]*)“(?P<quote>[^“”]{20,})”[\s.,;:!?]*", claim)
    if quoted:
        lead, needle = quoted["lead"].strip(), quoted["quote"]
        if lead and not _BARE_ATTRIBUTION.fullmatch(lead):
            return None
    else:
        lead, needle = "", claim
    needle = _bare(needle)
    if len(needle) < 20:
        return None
    for i in sorted(pool, key=lambda i: len(candidates[i].text)):
        if _bare(candidates[i].text) == needle and not missing_from(
                names_in(lead), set(terms(candidates[i].evidence))):
            return i
    return None


def _bare(text: str) -> str:
    return " ".join(text.split()).strip("“”\"' .!?…")


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def render_pieces(sentences: list[AnswerSentence]) -> list[str]:
    """Each sentence with its markers, placed before its closing punctuation; the answer
    text is these pieces joined by spaces."""
    parts = []
    for sentence in sentences:
        text = sentence.text
        if sentence.citations:
            markers = "".join(f"[{n}]" for n in sentence.citations)
            match = re.search(r"([.!?…]+[\"'”’)\]]*)$", text)
            if match and not re.search(r"[\"'”’]", match.group(1)):
                text = f"{text[: match.start()].rstrip()} {markers}{match.group(1)}"
            else:
                text = f"{text} {markers}"
        parts.append(text)
    return parts
