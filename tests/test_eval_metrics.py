"""The metric functions of the evaluation harness, on cases worked out by hand."""

from __future__ import annotations

import pytest

from eval import metrics


def test_answer_metrics_normalise_like_squad() -> None:
    assert metrics.exact_match("The Buffalo Bills [1].", "buffalo bills") == 1.0
    assert metrics.exact_match("Bills", "Buffalo Bills") == 0.0
    # 1 common token of 2 and 2: precision 1/2, recall 1/2
    assert metrics.token_f1("Buffalo Sabres", "Buffalo Bills") == pytest.approx(0.5)
    assert metrics.token_f1("", "Buffalo Bills") == 0.0
    assert metrics.contains_reference("He plays for the Buffalo Bills [2].", "Buffalo Bills")
    assert not metrics.contains_reference("He plays for Buffalo.", "Buffalo Bills")
    assert not metrics.contains_reference("Ohioans voted.", "Ohio")  # whole words only
    # a possessive names what it is said of, with either apostrophe
    assert metrics.contains_reference("Solo hiking is banned in Nepal’s parks.", "Nepal")
    assert metrics.contains_reference("It is Macy's store.", "Macy's")
    assert not metrics.contains_reference("The Nepalese parks.", "Nepal")
    # a number's scale, abbreviated or written out
    assert metrics.contains_reference("They agreed a $787.5 million settlement.", "$787.5m")
    assert metrics.contains_reference("It costs £100bn.", "£100 billion")
    assert not metrics.contains_reference("It costs $100 billion.", "$100m")
    assert not metrics.contains_reference("He ran 5 m.", "5 million")  # "m" alone is metres
    # a yes-or-no reference is the answer's verdict, its first word
    assert metrics.contains_reference("No. The Verge says it was a deal [1].", "no")
    assert metrics.contains_reference("Yes. It rose [1].", "Yes")
    assert not metrics.contains_reference("Yes. There is no longer a deal [1].", "no")
    assert not metrics.contains_reference("Talks made no progress [1].", "No")


def test_hit_rank_needs_half_the_gold_span_in_a_passage_of_its_article() -> None:
    gold = [("a", 100, 150)]
    retrieved = [("b", 100, 150), ("a", 0, 124), ("a", 125, 400)]
    rank = metrics.first_hit_rank(retrieved, gold)
    assert rank == 3  # the second holds 24 of 50 characters, the third 25
    assert metrics.hit_at(rank, 2) == 0.0 and metrics.hit_at(rank, 3) == 1.0
    assert metrics.reciprocal_rank(rank) == pytest.approx(1 / 3)
    assert metrics.first_hit_rank(retrieved[:2], gold) is None
    assert metrics.reciprocal_rank(None) == 0.0


def entails(claim: str, evidence: str) -> bool:
    """A toy judge: every word of the claim is in the evidence."""
    return set(claim.split()) <= set(evidence.split())


def test_alce_citation_recall_and_precision() -> None:
    sentences = [
        ("x y", ["x y", "z"]),  # supported; "z" alone fails while "x y" still supports: irrelevant
        ("x y", ["x", "y"]),    # supported only together: both citations count
        ("q", ["x"]),           # unsupported: its citation does not count
    ]
    recall, precision = metrics.citation_scores(sentences, entails)
    assert recall == pytest.approx(2 / 3)
    assert precision == pytest.approx(3 / 5)
    assert metrics.citation_scores([("x", [])], entails) == (0.0, 0.0)  # ALCE: cites nothing
    assert metrics.citation_scores([], entails) == (None, None)


def test_refusal_percentile_and_bootstrap() -> None:
    refused = [True, True, True, False, False]
    answerable = [False, True, True, False, True]
    # 1 of 3 refusals was right; 1 of 2 unanswerable questions was refused
    assert metrics.refusal_scores(refused, answerable) == (pytest.approx(1 / 3), 0.5)
    assert metrics.refusal_scores([False], [True]) == (None, None)
    assert metrics.percentile([1, 2, 3, 4, 5], 50) == 3
    assert metrics.percentile([10, 20], 95) == pytest.approx(19.5)
    low, high = metrics.bootstrap_ci([0.0, 1.0] * 20) or (None, None)
    assert low is not None and high is not None and low < 0.5 < high
    assert metrics.bootstrap_ci([1.0] * 10) == (1.0, 1.0)
    low, high = metrics.bootstrap_ci([float(i) for i in range(100)]) or (0.0, 0.0)
    assert 42 < low < 47 and 52 < high < 57  # mean 49.5, standard error 2.9
    assert metrics.bootstrap_ci([1.0]) is None


def test_verdicts_are_tallied_right_wrong_or_withheld_by_the_bound() -> None:
    from eval.verdicts import tally

    rows = [{"reference": "yes", "p_yes": 0.7}, {"reference": "no", "p_yes": 0.66},
            {"reference": "no", "p_yes": 0.3}, {"reference": "yes", "p_yes": 0.5},
            {"reference": "yes", "p_yes": None}]
    assert tally(rows, 0.65) == {"right": 2, "wrong": 1, "withheld": 2}
    assert tally(rows, 0.5) == {"right": 3, "wrong": 1, "withheld": 1}  # 0.5 says yes
    assert tally(rows, 0.7) == {"right": 2, "wrong": 0, "withheld": 3}
    assert tally(rows, 0.75) == {"right": 0, "wrong": 0, "withheld": 5}


def test_a_compound_questions_bound_gives_yes_only_and_the_calibration_picks_the_lowest() -> None:
    from eval.verdicts import picked, tally

    rows = [{"reference": "yes", "p_yes": 0.5}, {"reference": "no", "p_yes": 0.1},
            {"reference": "no", "p_yes": 0.44}, {"reference": "yes", "p_yes": 0.46}]
    assert tally(rows, 0.45, claims=True) == {"right": 2, "wrong": 0, "withheld": 2}
    assert tally(rows, 0.4, claims=True) == {"right": 2, "wrong": 1, "withheld": 1}
    assert tally(rows, 0.6) == {"right": 1, "wrong": 0, "withheld": 3}  # 0.1 is a "No"
    assert picked(rows, (0.4, 0.45, 0.5), claims=True) == 0.45  # 2 of 3 at 0.4: too few
    assert picked(rows, (0.6,), claims=True) is None
