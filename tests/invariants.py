"""The answer invariants of DESIGN.md, checked against the articles as the store returns them."""

from __future__ import annotations

import re

from qa.engine import QAEngine
from qa.types import Answer


def check_invariants(answer: Answer, engine: QAEngine) -> None:
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)]
    ids = [c.id for c in answer.citations]
    assert len(ids) == len(set(ids)), "citation ids repeat"
    assert set(markers) == set(ids), f"markers {markers} do not match citations {ids}"
    for citation in answer.citations:
        article = engine.get_article(citation.article_id)
        assert citation.quote == article.text[citation.start:citation.end]
        assert citation.title == article.title
        assert citation.passage_id.startswith(citation.article_id + ":")
    for sentence in answer.sentences:
        assert set(sentence.citations) <= set(ids)
        if sentence.citations:
            assert sentence.supported
    if answer.refused:
        assert not answer.citations
        assert "do not answer" in answer.answer
        if answer.closest:
            article = engine.get_article(answer.closest.article_id)
            assert answer.closest.quote == article.text[answer.closest.start:answer.closest.end]
    else:
        assert answer.closest is None
