"""The swapped-roles rule (qa.text.roles): each of its conditions, on pairs it must and must
not read as swapped."""

from __future__ import annotations

import pytest

from qa.text.roles import swapped_roles

EVIDENCE = "Kosovo accuses Serbia of destabilizing the area with Russia's help."


def test_two_names_traded_around_a_shared_word_are_swapped() -> None:
    assert swapped_roles("Serbia accuses Kosovo of destabilizing the area.", EVIDENCE) == (
        "serbia", "accus", "kosovo")


@pytest.mark.parametrize("claim", [
    "Kosovo accuses Serbia of destabilizing the area.",  # the same order
    "Kosovo says Serbia destabilizes the area.",  # no word between shared with the evidence
    "Kosovo and Serbia are neighbours.",  # nothing between the two names but a stopword
])
def test_the_evidence_order_or_no_shared_word_between_is_no_swap(claim: str) -> None:
    assert swapped_roles(claim, EVIDENCE) is None


def test_the_right_order_anywhere_in_the_evidence_clears_the_claim() -> None:
    both = "Kosovo accuses Serbia of lying. Serbia accuses Kosovo of lying."
    assert swapped_roles("Serbia accuses Kosovo of lying.", both) is None


def test_a_passive_agent_reads_the_other_way_round() -> None:
    passive = "Liverpool was defeated by Arsenal."
    assert swapped_roles(passive, "Arsenal defeated Liverpool.") is None


def test_names_in_different_sentences_of_the_evidence_are_not_compared() -> None:
    evidence = "Serbia denied it. Officials said Kosovo accused the police."
    assert swapped_roles("Kosovo denied that Serbia accused the police.", evidence) is None


@pytest.mark.parametrize(("claim", "evidence"), [
    # a name or a number is no shared word between ("on 27", "Scherzer")
    ("Liverpool and Arsenal are both on 27 points.", "Arsenal on 27, below Liverpool."),
    # a day is no name whose role can be traded
    ("Fox News announced Monday that Tucker Carlson, the top-rated host, is leaving.",
     "Tucker Carlson, the top-rated host, is leaving, Fox News announced Monday."),
    ("Germany pledged one battery in December, and France pledged another.",
     "Germany pledged one battery in December, and France pledged another."),
])
def test_names_numbers_and_days_are_not_words_between(claim: str, evidence: str) -> None:
    assert swapped_roles(claim, evidence) is None


def test_the_names_must_be_near_each_other() -> None:
    far = ("Serbia, which has for many years and through several governments of every kind "
           "and colour, and again and again this year, accuses Kosovo.")
    evidence = "Kosovo accuses Serbia."
    assert swapped_roles(far, evidence) is None
    assert swapped_roles("Serbia accuses Kosovo.", evidence) is not None


def test_a_claim_quoting_its_evidence_keeps_its_order() -> None:
    both = "Kosovo accuses Serbia of lying. Serbia accuses Kosovo of lying."
    assert swapped_roles("Serbia accuses Kosovo of lying.", both) is None
    assert swapped_roles("lying. Serbia accuses Kosovo", both) is None
