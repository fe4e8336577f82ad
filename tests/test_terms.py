"""The word-level helpers the answerers and the citation check share."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.text.terms import present_terms, stem, terms, words

SEED_TEXT = next((Path(__file__).resolve().parents[1] / "seeds").iterdir()).read_text()


@pytest.mark.parametrize("text", [
    SEED_TEXT,
    "Vučić met the U.N.'s envoy; Kosovo's premier, Kurti, and the EU's Borrell didn't.",
    "Dying, lying and tying: skies over Yerevan, 2023's 4 ducks, x y z. Émile Zola.",
    "",
])
def test_present_terms_are_the_wanted_terms_the_text_holds(text: str) -> None:
    every = set(terms(text))
    absent = {stem(w) for w in ["zanzibar", "quetzal", "elephant", "died", "y"]} - every
    for wanted in [every, set(sorted(every)[::3]) | absent, absent, {"vucic", "kurti", "un"},
                   {"die", "lie", "tie", "sky", "4", "2023", "x", "emil"}, set()]:
        assert present_terms(text, wanted) == wanted & every


def test_a_name_with_an_accent_or_a_possessive_is_found_by_its_plain_stem() -> None:
    text = "Serbia's President Aleksandar Vučić said so."
    assert present_terms(text, {stem(w) for w in words("Vucic Serbia Belgrade")}) == {
        stem("vucic"), stem("serbia")}


@pytest.mark.parametrize(("text", "runs"), [
    ("The Bucks are first.", ["Bucks"]),                                   # an opener left off
    ("The Golden Knights’ win", ["Golden Knights"]),                       # a possessive
    ("U.N. Ambassador Nikki Haley spoke.", ["U.N. Ambassador Nikki Haley"]),  # initials
    ("South Carolina. Haley spoke.", ["South Carolina", "Haley"]),         # a dot ends a run
    ("Stanley Cup\nThe Golden Knights won", ["Stanley Cup", "Golden Knights"]),  # a line too
])
def test_name_runs(text: str, runs: list[str]) -> None:
    from qa.text.names import name_runs

    assert name_runs(text) == runs


@pytest.mark.parametrize(("short", "text", "full"), [
    ("Haley", "Nikki Haley said. U.N. Ambassador Nikki Haley left.", "Nikki Haley"),
    ("Bucks", "The Milwaukee Bucks won. The Bucks lead.", "Milwaukee Bucks"),
    ("Biden", "Joe Biden met Hunter Biden.", None),                 # two people: neither
    ("Haley", "Haley spoke.", None),                                 # no longer form
])
def test_full_form(short: str, text: str, full: str | None) -> None:
    from qa.text.names import full_form, name_runs

    assert full_form(short, name_runs(text)) == full
