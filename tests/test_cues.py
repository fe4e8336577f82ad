"""A test per answer-kind cue (qa.text.cues): each finds its case and misses a near miss."""

from __future__ import annotations

import re

import pytest

from qa.text.cues import (
    ABOUT_POST,
    DATE,
    FULL_NAME,
    LASTS_UNTIL,
    PLACE,
    PRONOUN_START,
    UNKNOWN,
    one_of,
    says_unknown,
)


@pytest.mark.parametrize(("cue", "hit", "miss"), [
    (UNKNOWN, "The cause has not been disclosed.", "The cause was disclosed on Monday."),
    (UNKNOWN, "Their number is unclear.", "Their number is clear."),
    (DATE, "It happened on Sunday.", "It happened in the north."),
    (DATE, "It happened last  week.", "It happened the week before."),
    (DATE, "It opened in 2019.", "It has 219 rooms."),
    (LASTS_UNTIL, "It could last until the end of March.", "It closed on Monday."),
    (LASTS_UNTIL, "The freeze runs through 2025.", "They ran through the night."),
    (FULL_NAME, "Aleksandar Vucic spoke.", "The president spoke."),
    (PLACE, "They clashed in Zvecan.", "They clashed in the death of a man."),
    (PLACE, "They met in a Serb-dominated area.", "They met in a hurry."),
    (PLACE, "Troops moved to the north, near the border.", "Troops moved quickly."),
    (ABOUT_POST, "What did he say on social media?", "What did he say at the summit?"),
    (ABOUT_POST, "What did she tweet?", "What did she sweep?"),
    (PRONOUN_START, "He said four died.", "Police said four died."),
    (PRONOUN_START, "The minister said four died.", "The ministry said four died."),
])
def test_each_cue(cue: re.Pattern[str], hit: str, miss: str) -> None:
    assert cue.search(hit), hit
    assert not cue.search(miss), miss


@pytest.mark.parametrize(("sentence", "kind", "says"), [
    ("The exact number of troops has not been specified.", "number", True),
    ("The exact number of troops has not been specified.", "date", False),
    ("The timing of the vote is unclear.", "date", True),
    ("The timing of the vote is unclear.", "number", False),
    ("The number of troops was specified on Monday.", "number", False),
])
def test_a_stated_unknown_is_of_a_kind(sentence: str, kind: str, says: bool) -> None:
    assert says_unknown(sentence, kind) is says


def test_alternation_prefers_the_longest_and_escapes() -> None:
    pattern = re.compile(rf"^({one_of(['last', 'last week', 'x.com'])})$")
    assert pattern.match("last week") and pattern.match("x.com") and not pattern.match("xacom")
