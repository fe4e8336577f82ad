"""Reports that differ (``qa/answer/reports.py``): the labelled cases of
``eval/datasets/updates.jsonl`` (our own: a toll revised, a count corrected by another outlet,
reports that agree, a single report), each asked of a store holding only its articles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from qa.engine import QAEngine
from qa.index.embedding import Embedder
from qa.sources.articles import make_article
from qa.text.numbers import numbers
from tests.conftest import make_settings
from tests.invariants import check_invariants

CASES = [json.loads(line) for line in (Path(__file__).resolve().parents[1] / "eval" / "datasets"
                                       / "updates.jsonl").read_text().splitlines() if line]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_differing_reports_are_all_given_latest_first(case: dict[str, Any], tmp_path: Path,
                                                      embedder: Embedder) -> None:
    engine = QAEngine(make_settings(tmp_path), embedder=embedder)
    engine.ingest_articles(make_article(url=f"https://news.example/{case['id']}/{i}", **a)
                           for i, a in enumerate(case["articles"]))
    answer = engine.ask(case["question"])
    check_invariants(answer, engine)
    assert not answer.refused
    first = answer.sentences[0]
    assert case["latest"] in numbers(first.text)  # the latest report's figure comes first
    if case["earlier"]:
        assert answer.differs is not None and answer.differs.startswith("Reports differ: ")
        listed = [numbers(part) for part in answer.differs.split(";")]
        assert case["latest"] in listed[0] and "the latest" in answer.differs.split(";")[0]
        assert [v for v in case["earlier"]] == [next(iter(p & set(case["earlier"])), None)
                                                for p in listed[1:]]
        cited = {c.id: c for c in answer.citations}
        for sentence in answer.sentences:  # every figure is a checked quote with its date
            assert sentence.supported and all(cited[i].published_at for i in sentence.citations)
    else:
        assert answer.differs is None


def test_no_disagreement_for_questions_that_ask_no_number(tmp_path: Path,
                                                          embedder: Embedder) -> None:
    engine = QAEngine(make_settings(tmp_path), embedder=embedder)
    case = CASES[0]
    engine.ingest_articles(make_article(url=f"https://news.example/n/{i}", **a)
                           for i, a in enumerate(case["articles"]))
    answer = engine.ask("What happened in the Riverton floods?")
    assert answer.differs is None
