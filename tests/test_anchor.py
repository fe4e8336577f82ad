"""The rule that reads a model's draft as a refusal (``qa.answer.anchored``), one row a case."""

import pytest

from qa.answer.anchored import says_unanswered
from qa.types import Draft, DraftSentence


@pytest.mark.parametrize(("text", "refusal"), [
    ("The articles do not say.", True),
    ("The articles do not answer this question.", True),
    ("The sources don't mention the number of troops.", True),
    ("The text does not specify who fired first.", True),
    ("The context did not provide a date.", True),
    ("Four people died in the shootout.", False),
    ("Serbia does not recognise Kosovo's independence.", False),  # a fact with a negation
    ("The exact number of forces has not been specified yet.", False),  # a stated unknown
])
def test_a_draft_that_says_the_sources_do_not_answer(text: str, refusal: bool) -> None:
    assert says_unanswered(Draft([DraftSentence(text, [1])])) is refusal


def test_an_empty_draft_is_a_refusal() -> None:
    assert says_unanswered(Draft())
