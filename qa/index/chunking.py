"""Sentence-aware passages that keep exact character offsets into the article text.

Passages are runs of the same sentence spans that the citation check quotes, so a passage
never starts or ends inside a sentence, and their size is counted with the embedding
model's own tokenizer. (LlamaIndex's ``SentenceSplitter`` keeps exact offsets too: 2,041
nodes of 200 RealTimeQA articles all matched; but it splits with its own sentence rules
and counts tiktoken tokens, so its passages would not line up with the quoted sentences.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from qa.text.sentences import sentence_spans
from qa.types import Article, Passage, Span

SpanCounter = Callable[[int, int], int]
"""Word pieces in ``text[start:end]``, given ``(start, end)``: the article is tokenised once."""
_NON_SPACE = re.compile(r"\S+")


def _split_long(text: str, span: Span, count: SpanCounter, budget: int) -> list[Span]:
    """Cut a sentence longer than the budget at white space. WordPiece splits on white space
    first, so a piece's token count is the sum of its words' counts."""
    pieces: list[Span] = []
    start = end = -1
    used = 0
    for match in _NON_SPACE.finditer(text, span[0], span[1]):
        size = count(match.start(), match.end())
        if size > budget:  # one "word" (a long URL, numbers joined by commas): cut it up
            if start >= 0:
                pieces.append((start, end))
                start = -1
            pieces.extend(_split_word(match.start(), match.end(), count, budget))
            continue
        if start >= 0 and used + size > budget:
            pieces.append((start, end))
            start = -1
        if start < 0:
            start, used = match.start(), 0
        end = match.end()
        used += size
    if start >= 0:
        pieces.append((start, end))
    return pieces


def _split_word(start: int, end: int, count: SpanCounter, budget: int) -> list[Span]:
    """Halve a span without white space until each part is within the budget."""
    if count(start, end) <= budget or end - start < 2:
        return [(start, end)]
    middle = (start + end) // 2
    return (_split_word(start, middle, count, budget)
            + _split_word(middle, end, count, budget))


def split_passages(
    article: Article,
    count_tokens: Callable[[str], int],
    target_tokens: int = 200,
    max_tokens: int = 250,
) -> list[Passage]:
    """``plan_passages`` with a counter of word pieces in a string."""
    text = article.text
    return [passage for passage, _ in plan_passages(
        article, lambda s, e: count_tokens(text[s:e]), target_tokens, max_tokens)]


def plan_passages(
    article: Article,
    count: SpanCounter,
    target_tokens: int = 200,
    max_tokens: int = 250,
) -> list[tuple[Passage, list[Span]]]:
    """Pack consecutive sentences into passages of about ``target_tokens``, never above
    ``max_tokens``; each passage after the first repeats the previous one's last sentence
    when that sentence is short (a small overlap that keeps a fact with its context).
    Each passage comes with its units: the sentences (or pieces of a long one) it holds."""
    text = article.text
    spans: list[Span] = []
    for span in sentence_spans(text):
        if count(*span) > max_tokens:
            spans.extend(_split_long(text, span, count, max_tokens))
        else:
            spans.append(span)
    sizes = [count(*span) for span in spans]
    groups = _pack(sizes, target_tokens, max_tokens)
    planned = []
    for index, (first, last) in enumerate(groups):
        start, end = spans[first][0], spans[last][1]
        passage = Passage(id=f"{article.id}:{index}", article_id=article.id, start=start,
                          end=end, text=text[start:end])
        planned.append((passage, spans[first:last + 1]))
    return planned


def _pack(sizes: Sequence[int], target: int, limit: int) -> list[tuple[int, int]]:
    groups: list[tuple[int, int]] = []
    first = 0
    while first < len(sizes):
        total, last = sizes[first], first
        while last + 1 < len(sizes) and total + sizes[last + 1] <= target:
            last += 1
            total += sizes[last]
        groups.append((first, last))
        if last + 1 >= len(sizes):
            break
        short_last = sizes[last] <= target // 4
        overlap = last > first and short_last and sizes[last] + sizes[last + 1] <= limit
        first = last if overlap else last + 1
    return groups
