"""Whether to answer, decided by the local model reading the best sentences (the real 0.5B
model: it is no good judge, so these tests check the wiring at the threshold's ends, not its
judgement; ``python -m eval.answerability`` measures the 1.5B's)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from qa.answer.answerability import ASK_BETWEEN, none_probability
from qa.engine import QAEngine
from qa.index.embedding import Embedder
from qa.types import Answer, Preview
from tests.conftest import SEEDS
from tests.invariants import check_invariants
from tests.test_local_model import local_settings

ANSWERABLE = "How many people died in the shootout?"
"""Its best sentence scores where the score is unsure: the model is asked."""
SURE = "Where did Kosovo police conduct raids?"
"""Its best sentence scores above ``ASK_BETWEEN``: answered without asking."""


def _engine(tmp_path: Path, embedder: Embedder, **overrides: object) -> QAEngine:
    engine = QAEngine(local_settings(tmp_path / "s", llm_max_tokens=48, **overrides),
                      embedder=embedder)
    engine.ingest([str(SEEDS)])
    return engine


def test_none_probability_reads_the_digits_of_the_first_token() -> None:
    alternatives = [(" 0", math.log(0.2)), ("1", math.log(0.5)), ("2", math.log(0.1)),
                    ("7", math.log(0.1)), ("The", math.log(0.1))]
    # "7" names no sentence of two, "The" is no digit: only 0, 1 and 2 count
    assert none_probability(alternatives, "1", count=2) == pytest.approx(0.2 / 0.8)
    assert none_probability([], "2", count=3) == 0.0
    assert none_probability([], "0", count=3) == 1.0
    assert none_probability([], "None of them.", count=3) == 1.0
    assert none_probability([("9", 0.0)], "9", count=3) == 1.0


def test_the_small_model_does_not_judge_unless_asked(tmp_path: Path,
                                                     embedder: Embedder) -> None:
    engine = _engine(tmp_path, embedder)
    assert engine.quoter.judge is None  # catalogue: judges = false
    best, none = engine.answerability(ANSWERABLE)
    assert best >= engine.settings.answer_threshold and none is None


def test_a_judge_that_finds_no_answer_refuses_quotes_and_draft_alike(
        tmp_path: Path, embedder: Embedder) -> None:
    # every P(none) is at least 0: the judge refuses everything, so neither the model's
    # draft nor the quotes that stand in for a failed draft may answer
    engine = _engine(tmp_path, embedder, answerability="model", none_threshold=0.0)
    assert engine.quoter.judge is not None
    best, none = engine.answerability(ANSWERABLE)
    assert best >= engine.settings.answer_threshold and none is not None and 0 <= none <= 1
    answer = engine.ask(ANSWERABLE)
    check_invariants(answer, engine)
    assert answer.refused and not answer.citations and answer.usage is None  # model not asked
    assert answer.closest is not None  # the nearest sentence is still offered
    sure = engine.ask(SURE)
    assert engine.answerability(SURE)[0] >= ASK_BETWEEN[1]
    assert not sure.refused and any("Serb-dominated" in c.quote for c in sure.citations)
    streamed = list(engine.stream_chat([{"role": "user", "content": ANSWERABLE}]))
    assert not any(isinstance(item, Preview) for item in streamed)
    last = streamed[-1]
    assert isinstance(last, Answer) and last.refused


def test_a_judge_that_finds_an_answer_lets_the_model_write(tmp_path: Path,
                                                           embedder: Embedder) -> None:
    engine = _engine(tmp_path, embedder, answerability="model", none_threshold=1.0)
    answer = engine.ask(ANSWERABLE)
    check_invariants(answer, engine)
    assert not answer.refused and answer.citations
    assert answer.usage is not None  # the model wrote (or its refusal was overruled)
    assert any("four" in c.quote for c in answer.citations)
