"""A test per kept rule: each cap of the support check, each answer kind, the word lists."""

from __future__ import annotations

import pytest

from qa.answer.kinds import answer_kind
from qa.check.support import CAPS, post_stated_as_fact
from qa.text.contrast import contradicting_words, has_negation, reversed_direction
from qa.text.names import missing_from, names_in
from qa.text.numbers import figures, measures, numbers
from qa.text.speech import (
    ATTRIBUTION,
    REPORTING,
    plain_statements,
    reports_speech,
    strip_attribution,
)
from qa.text.terms import terms

EVIDENCE = "Four people died in the shootout in Zvecan on Sunday, police said."


@pytest.mark.parametrize(("cap", "claim", "evidence"), [
    ("number the evidence lacks", "Twelve people died in the shootout.", EVIDENCE),
    ("name the evidence lacks", "Four people died in the shootout in Paris.", EVIDENCE),
    ("negation on one side only", "Four people did not die in the shootout.",
     "Four people died in the shootout."),
    ("opposite word", "The death toll rose.", "The death toll fell."),
    ("opposite direction", "Sales continue to rise.", "Sales continue to drop."),
    ("roles swapped", "Kosovo accuses Serbia of arming the fighters.",
     "Serbia accuses Kosovo of arming the fighters."),
    ("reported speech stated as fact", "Four people died in the shootout.", EVIDENCE),
])
def test_each_cap_applies_to_its_case_and_not_to_a_plain_match(cap: str, claim: str,
                                                               evidence: str) -> None:
    rule = next(c for c in CAPS if c.name == cap)
    assert rule.applies(claim, strip_attribution(claim), evidence)
    plain = "Police said four people died in the shootout in Zvecan on Sunday."
    assert not rule.applies(plain, strip_attribution(plain), EVIDENCE)


def test_a_number_written_out_is_checked_as_a_number_not_a_name() -> None:
    rule = next(c for c in CAPS if c.name == "name the evidence lacks")
    claim = "Twelve new moons were found around Jupiter."
    assert not rule.applies(claim, claim, "12 new moons were found around Jupiter.")
    assert rule.applies(claim, claim, "12 new moons were found around Saturn.")


def test_a_post_among_the_evidence_makes_an_unattributed_claim_the_posts() -> None:
    # "Serbia is preparing to retake Kosovo [1][2]": the post's claim, cited beside a
    # sentence of the article's own, is still only the post's
    assert post_stated_as_fact("Serbia is preparing to retake Kosovo.", ["@CaptCoronado", ""])
    assert post_stated_as_fact("Serbia is preparing to retake Kosovo.", ["@CaptCoronado"])
    assert not post_stated_as_fact("According to a post by @CaptCoronado, Serbia is preparing "
                                   "to retake Kosovo.", ["@CaptCoronado", ""])
    assert not post_stated_as_fact("Four people died in the shootout.", ["", ""])


@pytest.mark.parametrize(("question", "kind"), [
    ("How many people died?", "number"), ("How much did it cost?", "measure"),
    ("What percentage voted?", "measure"), ("How long is the border in kilometres?", "duration"),
    ("UK house prices dropped by what percentage in May?", "measure"),
    ("How far did the storm travel?", "measure"), ("How old was the pilot?", "number"),
    ("When did it happen?", "date"),
    ("What year was it founded?", "date"), ("Who leads Kosovo?", "person"),
    ("Whose car was it?", "person"), ("Where did the clash happen?", "place"),
    ("In which country is Zvecan?", "place"), ("Why did NATO act?", "other"),
    ("What is the death toll of the floods?", "number"),
    ("What was the number of people evacuated?", "number"),
    # a size asks for a number, also when a yes-or-no question holds the asking
    ("How large was the crowd?", "number"),
    ("Has NATO announced how big the reinforcement will be?", "number"),
    ("Did the police say how many people were arrested?", "number"),
    # the asking word is the one that opens the last sentence, else the last one
    ("The Chiefs won the Super Bowl this week. Who was named the game's MVP?", "person"),
    ("The court ruled Warhol infringed a copyright when he made prints of which celebrity?",
     "other"),
    ("What did Blinken stress when he talked to Serbia's president?", "other"),
    ("Nicola Sturgeon resigned after how many years as first minister?", "number"),
    ("Did NATO have UN approval when it bombed Serbia in 1999?", "other"),
    ("Who was in charge when the bridge fell?", "person"),
    # a preposition before the asking word; a verb after it makes it a clause that asks not
    ("In what year did Robert Burns, whose birthday is in January, write the poem?", "date"),
    ("In what may be the largest cattle killing ever, how many cows died?", "number"),
    ("Biden will end the emergency in which month of this year?", "date"),
    ("In which European country is Andrew Tate held?", "place"),
])
def test_answer_kinds(question: str, kind: str) -> None:
    assert answer_kind(question) == kind


@pytest.mark.parametrize(("text", "found"), [
    ("sixty people", {"60"}), ("four people", {"4"}), ("twenty-one", {"21"}),
    ("one hundred and five", {"105"}), ("1,200 troops", {"1200"}), ("a dozen", {"12"}),
    ("twice", {"2"}), ("the fourth day", set()), ("once a year", set()),
    ("a three-year term", {"3"}), ("a sixty-day window", {"60"}),
])
def test_numbers_in_digits_and_words(text: str, found: set[str]) -> None:
    assert numbers(text) == found


@pytest.mark.parametrize(("text", "found"), [
    ("a ticket costs $450,000", {"450000"}), ("paused for six months", {"6"}),
    ("18% of Brits", {"18"}), ("52.1 per cent of the vote", {"52.1"}),
    ("a route of 1.3 miles", {"1.3"}), ("a $787.5m settlement", {"787.5"}),
    ("£12,000 for the house", {"12000"}), ("a three-year term", {"3"}),
    ("will cost 4.2 million kronor", {"4.2"}), ("a 300-kilometre border", {"300"}),
    # a count of things, a year, a bare number: no measure
    ("a long border between the two countries", set()), ("four people died", set()),
    ("independence in 2008", set()), ("it scored 52", set()),
])
def test_measures_are_numbers_with_their_unit(text: str, found: set[str]) -> None:
    assert measures(text) == found


@pytest.mark.parametrize(("text", "found"), [
    # a multiplier in the plural is a vague quantity, never a report's figure
    ("collapsing thousands of buildings", set()), ("Hundreds fled the town", set()),
    ("millions of people affected", set()), ("killed 11,000 people", {"11000"}),
    ("2 million bikes recalled", {"2", "1000000"}), ("a thousand homes", {"1000"}),
])
def test_figures_leave_out_vague_plurals(text: str, found: set[str]) -> None:
    assert figures(text) == found


@pytest.mark.parametrize(("kind", "sentence", "fits"), [
    # a measure question wants a number with its unit, not a count of things
    ("measure", "A long border runs between the two countries.", False),
    ("measure", "The border is 352 kilometres long.", True),
    ("number", "A long border runs between the two countries.", True),
    ("duration", "A long border runs between the two countries.", False),
    # how long: a measure of time, or the date it lasts until
    ("duration", "The strike could last six months.", True),
    ("duration", "The closure could last until the end of March.", True),
    ("measure", "The closure could last until the end of March.", False),
    ("duration", "The authority said on Monday that the pier will close.", False),
    # a sentence saying a value is not known answers only a question for that kind of value
    ("number", "The exact number of the forces has not been specified.", True),
    ("date", "The exact number of the forces has not been specified.", False),
    ("date", "The date of the deployment has not been disclosed.", True),
    ("number", "The date of the deployment has not been disclosed.", False),
])
def test_fit_to_the_kind_asked(kind: str, sentence: str, fits: bool) -> None:
    from qa.answer.kinds import NO_ANSWER, fit

    assert (fit(kind, sentence, set()) > NO_ANSWER) is fits


@pytest.mark.parametrize("verb", ["said", "stated", "posted", "claimed", "argued", "alleged"])
def test_one_list_of_reporting_verbs(verb: str) -> None:
    claim = f"The minister {verb} that four people died."
    assert reports_speech(claim)
    assert strip_attribution(claim) == "four people died."


def test_attribution_verbs_are_reporting_verbs() -> None:
    assert ATTRIBUTION <= REPORTING


@pytest.mark.parametrize("text", [
    "He needs 153 yards a game to reach his stated goal of 2,000 yards.",  # adjective
    "The posted limit is 30 miles an hour.", "They flew to the United States.",  # no speech
    "It will not sell the pill in 21 states.",
])
def test_words_that_only_look_like_reporting(text: str) -> None:
    assert not reports_speech(text)
    assert plain_statements(text) == text


def test_a_verb_that_is_the_claim_is_no_attribution() -> None:
    claim = "Serbia does not recognize the split and accuses Kosovo of mistreating Serbs."
    assert strip_attribution(claim) == claim  # "accuses" opens no reported clause
    assert strip_attribution("Walgreens said it would not sell the pill in 21 states.") == \
        "it would not sell the pill in 21 states."


def test_reported_clauses_are_not_plain_statements() -> None:
    assert plain_statements("Four people died, police said.") == "police said"
    kept = plain_statements("The firm, claiming it beats GPT-4 in tests, shipped it.")
    assert "beats" not in kept and "shipped it" in kept
    # a "that" clause is reported to its end, past the commas inside it
    kept = plain_statements("Kurti welcomed it, claiming that Serbia, with the help of ally "
                            "Russia, is trying to destabilize the area.")
    assert "Kurti welcomed it" in kept and "Russia" not in kept and "destabilize" not in kept


@pytest.mark.parametrize(("asked", "held"), [
    ("The Serbian president spoke.", "Serbia's president spoke."),  # demonym
    ("Belgrade denied it.", "Serbia denied it."),  # capital
    ("British troops went.", "Troops of the United Kingdom went."),  # demonym, two words
    ("Ukraine said so.", "Kyiv said so."),
])
def test_a_country_may_be_named_by_its_demonym_or_capital(asked: str, held: str) -> None:
    assert not missing_from(names_in(asked), set(terms(held)))
    assert missing_from(names_in(asked), set(terms("France said so.")))


def test_negation_opposites_and_aliases() -> None:
    assert has_negation("They never came") and has_negation("It didn't") and not has_negation("Go")
    assert contradicting_words("Prices rose", "Prices fell") == {"rose"}
    assert not contradicting_words("Prices rose", "Prices rose and fell")


@pytest.mark.parametrize(("claim", "evidence", "opposite"), [
    ("The economy grew by 2%.", "The economy shrank by 2%.", True),
    ("Concerns eased.", "Concerns were raised.", True),
    ("Sales increased.", "Sales surged.", False),  # the same way
    ("Costs increased.", "Sales fell while costs rose.", False),  # the evidence goes both ways
    ("Sales fell, then rebounded.", "Sales fell.", False),  # the claim goes both ways
    ("The ceasefire held.", "Sales fell.", False),  # no movement in the claim
])
def test_a_quantity_moved_the_other_way(claim: str, evidence: str, opposite: bool) -> None:
    assert reversed_direction(claim, evidence) is opposite
    assert not missing_from(names_in("The US said"), set(terms("the United States said")))
    assert missing_from(names_in("Paris said"), set(terms("London said")))


@pytest.mark.parametrize(("question", "latest"), [
    ("What is the latest death toll?", True), ("Who is the new prime minister?", True),
    ("Who currently leads the party?", True), ("What did the report find recently?", True),
    ("Is the strike still going on?", True), ("Who won the 2022 final?", False),
    ("Renewed fighting broke out where?", False),  # a whole word, not a part of one
])
def test_recency_words_ask_for_the_latest_news(question: str, latest: bool) -> None:
    from qa.text.when import asks_latest

    assert asks_latest(question) is latest


@pytest.mark.parametrize(("question", "sentence", "novel"), [
    ("Which comedian will host the Academy Awards?", "Comedian Jimmy Kimmel returns as host.",
     True),
    ("Which comedian will host the Academy Awards?", "The Academy Awards take place on Sunday.",
     False),  # the question's own names, and a day, are no answer
    ("Which country banned solo hiking?", "Solo hiking will be banned from Nepal's parks.", True),
])
def test_a_name_question_wants_a_name_it_does_not_hold(question: str, sentence: str,
                                                       novel: bool) -> None:
    from qa.answer.kinds import ENTITY_QUESTION, novel_name

    assert ENTITY_QUESTION.search(question)
    assert novel_name(sentence, question) is novel


def test_a_question_for_names_asks_for_a_name() -> None:
    from qa.answer.kinds import ENTITY_QUESTION

    assert ENTITY_QUESTION.search("What were the names of the four people who died?")
    assert ENTITY_QUESTION.search("What is the name of the village?")


@pytest.mark.parametrize("question", ["What did NATO approve?", "Which is larger?",
                                      "What happened in Zvecan?"])
def test_questions_that_ask_for_no_name(question: str) -> None:
    from qa.answer.kinds import ENTITY_QUESTION

    assert ENTITY_QUESTION.search(question) is None
