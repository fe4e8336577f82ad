"""From a draft with ``[n]`` markers to checked citations of exact article spans.

Each ``[n]`` names the n-th numbered source (a retrieved passage). Each answer sentence's
markers are mapped to the sentence (or two adjacent sentences) of the cited passage that
best supports it; that span is the citation's quote. A sentence is supported when its cited
spans together support it; an unknown number is dropped; a sentence without markers gets
the best span of any source only when that span supports it. An answer whose first
sentence (what it answers) is unsupported becomes a refusal: the supported sentences after
it would only lend their citations to a claim the articles do not make.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa.check.render import answer_pieces
from qa.check.support import SUPPORTED, lexical_coverage
from qa.check.verifier import Verifier
from qa.text.names import missing_from, names_in
from qa.text.posts import POST_LINK, post_author
from qa.text.sentences import sentence_spans
from qa.text.speech import strip_attribution
from qa.text.terms import terms
from qa.types import AnswerSentence, Article, Citation, Draft, Hit, Quote

REFUSAL = "The articles do not answer this question."
SHORTLIST = 8
_LEFTOVER = re.compile(r"\[(\s*\d[^\]\[]*)\]")
_BARE_ATTRIBUTION = re.compile(r"according to (a post by |a social media post )?[^,“”]{1,100},?",
                               re.I)


@dataclass
class Checked:
    answer: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    sentences: list[AnswerSentence] = field(default_factory=list)
    closest: Citation | None = None
    verdict: str | None = None


@dataclass
class _Candidate:
    source: int
    start: int
    end: int
    quote: Quote

    @property
    def text(self) -> str:
        return self.quote.text

    @property
    def evidence(self) -> str:
        return self.quote.evidence


UNNAMED_POST = "a social-media post"


class CitationChecker:
    """Checks drafts against the numbered sources they were written from."""

    def __init__(self, verifier: Verifier, threshold: float = SUPPORTED) -> None:
        self.verifier = verifier
        self.threshold = threshold

    def check(self, draft: Draft, hits: list[Hit], articles: dict[str, Article]) -> Checked:
        if not draft:
            return Checked(REFUSAL, True, closest=self._closest(draft, hits, articles))
        candidates = self._candidates(hits, articles)
        citations: dict[tuple[str, int, int], Citation] = {}
        sentences: list[AnswerSentence] = []
        for sentence in draft:
            chosen, support = self._support(sentence.text, sentence.sources, candidates)
            ids = [self._cite(candidates[c], hits, articles, citations) for c in chosen]
            # text in brackets that is not our marker ("[7]" inside a quote) must not read as one
            shown = _LEFTOVER.sub(r"(\1)", sentence.text)
            sentences.append(AnswerSentence(text=shown, citations=list(dict.fromkeys(ids)),
                                            supported=bool(chosen), support=support))
        if not sentences[0].supported:  # its answer is not the articles': nothing to show
            return Checked(REFUSAL, True, closest=self._closest(draft, hits, articles))
        # a yes-or-no question's verdict opens the sentences it rests on
        return Checked(" ".join(answer_pieces(sentences, draft.verdict)), False,
                       list(citations.values()), sentences, verdict=draft.verdict)

    def _candidates(self, hits: list[Hit], articles: dict[str, Article]) -> list[_Candidate]:
        """Every sentence of every source, and every two adjacent sentences."""
        out = []
        for number, hit in enumerate(hits, start=1):
            text = articles[hit.article_id].text
            spans = sentence_spans(text, hit.start, hit.end)
            for i, (start, end) in enumerate(spans):
                out.append(_Candidate(number, start, end, Quote(
                    text[start:end], _author(text, start, end))))
                if i + 1 < len(spans):
                    pair_end = spans[i + 1][1]
                    out.append(_Candidate(number, start, pair_end, Quote(
                        text[start:pair_end], _author(text, start, pair_end))))
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
        # Ask the verifier only about the spans that share most words with the claim: the
        # rest cannot win. The attribution ("According to X,") is checked by name.
        core = strip_attribution(claim)
        shortlist = sorted(pool, key=lambda i: lexical_coverage(core, candidates[i].evidence),
                           reverse=True)[:SHORTLIST]
        found = self.verifier.score([(claim, [candidates[i].quote]) for i in shortlist])
        scores = dict(zip(shortlist, found, strict=True))
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
            together = self.verifier.score([(claim, [candidates[i].quote for i in ranked])])
            support = max(top, together[0])
        if support < self.threshold:
            return [], support
        # ALCE precision: a citation stays unless it alone adds nothing the others lack.
        keep = [i for i in ranked if scores[i] >= self.threshold * 0.75 or i == ranked[0]]
        return keep, support

    def _closest(self, draft: Draft, hits: list[Hit],
                 articles: dict[str, Article]) -> Citation | None:
        """The refusal's nearest sentence as a citation, when the draft names one."""
        if draft.closest is None or not 0 < draft.closest[0] <= len(hits):
            return None
        source, (start, end) = draft.closest
        text = articles[hits[source - 1].article_id].text
        found: dict[tuple[str, int, int], Citation] = {}
        self._cite(_Candidate(source, start, end, Quote(text[start:end])), hits, articles, found)
        return next(iter(found.values()))

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


def _author(text: str, start: int, end: int) -> str:
    """Who posted the span, when it sits in a social-media post: its byline's name, or
    "a social-media post" for a post whose byline is not beside it (a pic.twitter.com or
    t.co link in the span gives it away); "" for an article's own words."""
    found = post_author(text, end, start)
    if found:
        return found
    return UNNAMED_POST if POST_LINK.search(text, start, end) else ""


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
            if candidates[i].quote.byline and not lead:
                return None  # a post's words stated as fact: checked as a claim, not waved
            return i
    return None


def _bare(text: str) -> str:
    return " ".join(text.split()).strip("“”\"' .!?…")
