"""Reports that differ (``qa/answer/reports.py``): the labelled cases of
``eval/datasets/updates.jsonl`` (our own: a toll revised, a count corrected by another outlet,
a vote postponed, a launch moved a year, reports that agree, a single report), each asked of
a store holding only its articles."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from eval.updates import listed, shown
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
    assert case["latest"] in shown(answer, first)  # the latest report's value comes first
    if case["earlier"]:
        assert answer.differs is not None and answer.differs.startswith("Reports differ: ")
        reports = listed(answer)
        assert case["latest"] in reports[0] and "the latest" in answer.differs.split(";")[0]
        assert [v for v in case["earlier"]] == [next(iter(p & set(case["earlier"])), None)
                                                for p in reports[1:]]
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


def test_the_update_scorer_reads_the_answer_it_is_given(tmp_path: Path,
                                                        embedder: Embedder) -> None:
    """``eval.updates`` scores the figures an answer and its ``differs`` give, not the
    outlet's date beside them; a wrong label is scored wrong."""
    from eval.updates import score

    engine = QAEngine(make_settings(tmp_path), embedder=embedder)
    case = CASES[0]
    engine.ingest_articles(make_article(url=f"https://news.example/s/{i}", **a)
                           for i, a in enumerate(case["articles"]))
    answer = engine.ask(case["question"])
    assert listed(answer) == [{"17"}, {"4"}]  # "17 (Daily Herald, 5 October 2023) [1]"
    labelled = {"id": case["id"], "question": case["question"], "latest": ["17"],
                "earlier": ["4"], "after": []}
    right = score(labelled, answer)
    assert right["latest_first"] and right["latest_named"] and right["earlier_shown"]
    assert right["wrong_listed"] == [] and right["after_as_of"] == []
    wrong = score({**labelled, "latest": ["9"], "earlier": ["12"], "after": ["17"]}, answer)
    assert not wrong["latest_first"] and not wrong["latest_named"]
    assert wrong["wrong_listed"] == ["4"] and wrong["after_as_of"] == ["17"]


def test_the_labelled_realtimeqa_updates_are_consistent() -> None:
    """Each RealTimeQA case: a day, its story's URLs, and figures labelled once each way."""
    from eval.calibrate import read_jsonl
    from eval.updates import LABELS

    cases = read_jsonl(LABELS)
    assert len(cases) >= 7 and len({c["id"] for c in cases}) == len(cases)
    for case in cases:
        date.fromisoformat(case["as_of"])
        assert case["latest"] and case["urls"] and len(set(case["urls"])) == len(case["urls"])
        assert not set(case["latest"]) & set(case["after"])
        assert not set(case["earlier"]) & set(case["after"])
        assert all(numbers(n) == {n} for n in case["latest"] + case["earlier"] + case["after"])
