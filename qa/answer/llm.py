"""The LLM answerer: drafts with ``[n]`` markers from any ``ChatModel``.

Sources reach the model as delimited data (``<source id="n">…</source>``, with angle
brackets inside escaped), so text inside an article cannot close its source, open another,
or write a chat template's special tokens (``<|im_start|>system``); and bracketed numbers in
an article (``[1]``) become ``(1)``, so they cannot pass for our source markers. Its
drafts go through the same citation checks as the extractive answerer's.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from qa.answer.anchored import Anchor, about_the_sources
from qa.answer.answerability import ASK_BETWEEN
from qa.answer.chat import ChatModel
from qa.answer.extractive import ExtractiveAnswerer, introduced
from qa.answer.markers import parse_draft
from qa.answer.polar import PolarJudge, quotes
from qa.answer.shortlist import Excerpts, Shortlister
from qa.errors import MalformedReply
from qa.prompts import load_prompt
from qa.types import Article, Draft, Evidence, Hit, Usage

_MARKER_LIKE = re.compile(r"\[(\s*\^?\d{1,3}(?:\s*(?:[,;]|[-–]|and)\s*\d{1,3})*\s*)\]")


def format_sources(hits: list[Hit], articles: dict[str, Article],
                   texts: list[str] | None = None) -> str:
    """The numbered sources: each hit's passage, or ``texts`` (excerpts of them) if given."""
    blocks = []
    for number, hit in enumerate(hits, start=1):
        article = articles[hit.article_id]
        date = article.published_at.isoformat() if article.published_at else "unknown"
        title = _as_data(article.title, attribute=True)
        outlet = _as_data(article.source or "unknown", attribute=True)
        blocks.append(
            f'<source id="{number}" title="{title}" outlet="{outlet}" published="{date}">\n'
            f"{_as_data(texts[number - 1] if texts else hit.text)}\n</source>"
        )
    return "\n\n".join(blocks)


def _renumbered(draft: Draft, excerpts: Excerpts | None) -> Draft:
    """Markers that number excerpts, made to number the retrieved passages they are from."""
    if excerpts is not None:
        for sentence in draft:
            sentence.sources = [m for n in sentence.sources for m in excerpts.sources_of(n)]
    return draft


def _as_data(text: str, attribute: bool = False) -> str:
    """Article text as it goes inside a source: no markup, no marker look-alikes (and, in
    an attribute, no quotation marks)."""
    return html.escape(_MARKER_LIKE.sub(r"(\1)", text), quote=attribute)


class LLMAnswerer:
    """Drafts answers with ``[n]`` markers from a chat model."""

    mode = "llm"

    def __init__(self, model: ChatModel, shortlist: Shortlister | None = None,
                 prompts: tuple[str, str] = ("answer", "question"),
                 verdicts: tuple[float, float] | None = None) -> None:
        self.model = model
        self.shortlist = shortlist
        """Given, the model reads the shortlisted sentences instead of whole passages, and
        whether to answer is anchored in their scores (``qa.answer.anchored``)."""
        self.anchor = Anchor(shortlist.scorer) if shortlist else None
        self.polar = PolarJudge(model, verdicts) if shortlist else None
        """Yes-or-no questions about what reports say are answered with quotes of each
        article (``qa.answer.polar``) rather than a draft, under the model's verdict when
        ``verdicts`` (its P(yes) bounds for "No" and "Yes") are given."""
        self.prompts = prompts
        """The system prompt and the question's template (files in ``prompts/``)."""

    @property
    def model_name(self) -> str | None:
        return self.model.name

    @property
    def scorer(self) -> ExtractiveAnswerer | None:
        """The extractive scorer the shortlist is drawn with (and its answerability judge)."""
        return self.shortlist.scorer if self.shortlist else None

    @property
    def model_runtime(self) -> str:
        """``local`` (run in this process) or ``remote`` (a server)."""
        return str(getattr(self.model, "runtime", "remote"))

    def warm(self) -> None:
        load = getattr(self.model, "load", None)  # a local model loads; a remote one need not
        if load:
            load()

    def close(self) -> None:
        close = getattr(self.model, "close", None)
        if close:
            close()

    def _messages(self, evidence: Evidence) -> tuple[list[dict[str, str]], Excerpts | None]:
        messages = [{"role": "system", "content": load_prompt(self.prompts[0])}]
        for turn in evidence.history[-6:]:
            if turn.get("role") in {"user", "assistant"}:
                messages.append({"role": turn["role"], "content": str(turn.get("content", ""))})
        if self.shortlist is None:
            excerpts, sources = None, format_sources(evidence.hits, evidence.articles)
        else:
            excerpts = self.shortlist.excerpts(evidence)
            sources = format_sources(excerpts.hits, evidence.articles, excerpts.texts)
        user = load_prompt(self.prompts[1]).format(sources=sources, question=evidence.asked)
        messages.append({"role": "user", "content": user})
        return messages, excerpts

    def draft(self, evidence: Evidence) -> Draft:
        messages, excerpts = self._messages(evidence)
        if (polar := self._polar(evidence, excerpts)) is not None:
            return polar
        if excerpts and self._refused_unasked(excerpts, evidence):
            return excerpts.refusal
        reply = self.model.chat(messages)
        return self._settled(parse_draft(reply, reply.usage), evidence, excerpts)

    def _polar(self, evidence: Evidence, excerpts: Excerpts | None) -> Draft | None:
        """A yes-or-no question about what reports say: the best sentence of each article
        it names (or of the best ones), under the model's verdict; a refusal when no
        sentence scores where the answerability judge would ask (a long question's words
        spread over two articles, so its sentences score lower than a one-fact question's);
        ``None`` for any other question."""
        if not (self.polar and self.anchor and excerpts and self.polar.applies(evidence)):
            return None
        chosen = quotes(self.anchor.scorer.ranking(evidence), evidence, ASK_BETWEEN[0])
        if not chosen:
            return excerpts.refusal
        sources = format_sources(excerpts.hits, evidence.articles, excerpts.texts)
        return Draft(introduced(chosen, evidence), closest=excerpts.refusal.closest,
                     verdict=self.polar.verdict(evidence.asked, sources))

    def yes_probability(self, evidence: Evidence) -> float | None:
        """The model's P(yes) behind a verdict (``_polar``), for the harness that calibrates
        ``QA_VERDICT_FROM``; ``None`` for a question that gets no verdict."""
        if not (self.polar and self.shortlist and self.polar.applies(evidence)):
            return None
        excerpts = self.shortlist.excerpts(evidence)
        return self.polar.probability(evidence.asked, format_sources(
            excerpts.hits, evidence.articles, excerpts.texts))

    def _refused_unasked(self, excerpts: Excerpts | None, evidence: Evidence) -> bool:
        """Nothing in the evidence comes near an answer: refuse without asking the model."""
        return bool(self.anchor and excerpts and self.anchor.skip_model(excerpts, evidence))

    def _settled(self, draft: Draft, evidence: Evidence, excerpts: Excerpts | None) -> Draft:
        draft = _renumbered(draft, excerpts)
        if excerpts is None:
            return _claims_only(draft)
        draft.closest = excerpts.refusal.closest  # offered if the checks refuse the draft
        return _claims_only(self.anchor.settle(draft, evidence, excerpts) if self.anchor
                            else draft)

    def stream(self, evidence: Evidence) -> Iterator[str | Draft]:
        """The draft's text as the model writes it, then the parsed ``Draft``."""
        messages, excerpts = self._messages(evidence)
        if (polar := self._polar(evidence, excerpts)) is not None:
            yield polar
            return
        if excerpts and self._refused_unasked(excerpts, evidence):
            yield excerpts.refusal
            return
        parts = []
        usage: Usage | None = None
        for delta in self.model.stream(messages):
            if isinstance(delta, Usage):
                usage = delta
                continue
            parts.append(delta)
            yield delta
        yield self._settled(parse_draft("".join(parts), usage), evidence, excerpts)

    def condense(self, question: str, history: list[dict[str, str]]) -> str:
        """The follow-up ``question`` rewritten to stand alone, given the conversation."""
        lines = [f"{t['role']}: {t['content']}" for t in history[-6:]
                 if t.get("role") in {"user", "assistant"}]
        prompt = load_prompt("condense").format(history="\n".join(lines), question=question)
        try:
            rewritten = self.model.chat([{"role": "user", "content": prompt}]).strip()
        except MalformedReply:  # the question as asked still searches
            return question
        return rewritten.splitlines()[0].strip() if rewritten else question


def _claims_only(draft: Draft) -> Draft:
    """The draft without its sentences about the sources ("The article does not say."):
    they claim nothing a span could support, so they are never shown with a citation (the
    0.5B model wrote one beside a fact); a draft of nothing else refuses."""
    kept = [s for s in draft if not about_the_sources(s.text)]
    if len(kept) == len(draft):
        return draft
    return Draft(kept, usage=draft.usage, closest=draft.closest, verdict=draft.verdict)
