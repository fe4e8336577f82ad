"""Yes-or-no questions about what reports say (``qa.answer.polar``): which questions they
are, and, with the real 0.5B model, the quotes of each named article under a verdict (the
0.5B model is no good judge: these check the wiring at the bounds' ends, not its judgement;
the README's MultiHop-RAG run measures the 1.5B's)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from qa.answer.llm import format_sources
from qa.answer.polar import (
    ASK_CLAIM,
    CLAIMS_FROM,
    about_reports,
    alternatives,
    claims,
    compound,
    is_polar,
    offers_alternatives,
    verdict,
)
from qa.engine import QAEngine
from qa.index.embedding import Embedder
from qa.text.wordlists import pairs, word_set
from qa.types import Answer, Article
from tests.invariants import check_invariants
from tests.test_local_model import local_settings

GAZETTE = Article(
    id="gazette-library", source="Riverton Gazette", published_at=date(2023, 10, 3),
    title="Council votes to close the Elm Street library",
    text="The Riverton city council voted 7-2 on Tuesday to close the Elm Street library at "
         "the end of the year. Council members said the 90-year-old building needs repairs "
         "costing $4 million. The library's 40,000 books will move to the new central branch "
         "on Harbor Road, which opens in January.")
TIMES = Article(
    id="times-protest", source="Harbor Times", published_at=date(2023, 10, 5),
    title="Residents protest the library closure",
    text="About 300 residents protested outside Riverton city hall on Wednesday against the "
         "closure of the Elm Street library. Organisers said they had collected 5,000 "
         "signatures asking the council to reverse its vote. The council has not said whether "
         "it will discuss the petition.")
ASKED = ("Does the Riverton Gazette article report that the council voted to close the Elm "
         "Street library, while the Harbor Times article reports that residents protested "
         "against the closure?")
"""A compound question: asked claim by claim (``claims``)."""
WHOLE = ("Do the Riverton Gazette and the Harbor Times articles both report that the council "
         "voted to close the Elm Street library?")
"""A question asked whole: its "and" joins two names of one claim."""


@pytest.mark.parametrize("question", [
    "Did NATO approve the deployment?",
    "Does the Verge article suggest that the deal is unnecessary, while TechCrunch says it "
    "is anticompetitive?",
    "After TechCrunch reported on the trial on October 6, was there inconsistency in the "
    "portrayal of his actions?",
    "Between the report from The Age on 20 October and the one on 3 November, has her status "
    "remained the same?",
])
def test_yes_or_no_questions(question: str) -> None:
    assert is_polar(question)


@pytest.mark.parametrize("question", [
    "How many people died in the shootout?",
    "Which company, reported by TechCrunch, faces an antitrust case?",
    "Between the Guardian report and the Sporting News coverage, was the information about "
    "the starter consistent or inconsistent?",  # it offers its own alternatives
    "Was the injury reported by Sporting News before or after the match?",
    "After the vote, what did the council say?",
])
def test_questions_that_are_not_yes_or_no(question: str) -> None:
    assert not is_polar(question)


@pytest.mark.parametrize("pair", pairs("alternative_pairs"))
def test_each_alternative_pair_offers_alternatives(pair: tuple[str, str]) -> None:
    question = f"Was the vote reported {pair[0]} or {pair[1]} by the Gazette?"
    assert offers_alternatives(question) and not is_polar(question)
    assert is_polar(f"Was the vote reported {pair[0]} by the Gazette?")


def test_a_prefixed_opposite_or_a_second_question_offers_alternatives() -> None:
    assert offers_alternatives("Did the reviews agree or disagree on the change?")
    assert offers_alternatives("Do both suggest the same cause, or do they present others?")
    assert not offers_alternatives("Did the council or the mayor approve the budget?")


@pytest.mark.parametrize(("question", "named"), [
    ("Was the closure reported before or after the protest?", ("before", "after")),
    ("Was the portrayal of the vote consistent or inconsistent?",
     ("consistent", "inconsistent")),
    ("Did the Times agree or disagree with the Gazette?", ("agree", "disagree")),
    ("Do both suggest the same cause, or do they present others?", None),
    ("Did the council approve the budget?", None),
])
def test_the_two_words_a_question_asks_between(question: str,
                                               named: tuple[str, str] | None) -> None:
    assert alternatives(question) == named


@pytest.mark.parametrize("word", sorted(word_set("report_words")))
def test_each_report_word_makes_a_question_about_reports(word: str) -> None:
    assert about_reports(f"Does the {word} say that the vote passed?")


def test_a_question_about_the_world_is_not_about_reports() -> None:
    assert not about_reports("Is Russia helping Serbia destabilise Kosovo?")
    assert not about_reports("Was the 1999 bombing approved, according to the post?")


def test_a_verdict_only_beyond_its_bounds() -> None:
    assert verdict(0.8, (0.35, 0.65)) == "Yes"
    assert verdict(0.65, (0.35, 0.65)) == "Yes"
    assert verdict(0.2, (0.35, 0.65)) == "No"
    assert verdict(0.5, (0.35, 0.65)) is None
    assert verdict(0.5, (0.5, 0.5)) == "Yes"  # bounds that meet always give a verdict


@pytest.mark.parametrize("joiner", sorted(word_set("claim_joiners")))
def test_each_claim_joiner_splits_a_question_into_its_claims(joiner: str) -> None:
    question = (f"Does the Gazette article report that the council voted, {joiner} the Times "
                f"article says that residents protested?")
    assert claims(question) == [
        "Does the Gazette article report that the council voted?",
        ASK_CLAIM.format(claim="the Times article says that residents protested")]
    assert compound(question)


def test_and_joins_two_claims_only_before_a_verb_that_asks_again() -> None:
    assert claims("Did the Gazette report the vote, and did the Times report a protest?") == [
        "Did the Gazette report the vote?", "Did the Times report a protest?"]
    assert claims(WHOLE) == [WHOLE] and not compound(WHOLE)
    assert not compound("Did the Gazette and the Times report the vote and the protest?")


def test_a_question_with_a_short_part_or_two_alternatives_is_not_compound() -> None:
    assert not compound("Did the Gazette report it, while others did?")  # "others did"
    assert not compound("Was the vote reported consistently or inconsistently by the Gazette, "
                        "while the Times covered the protest?")  # it names its alternatives


def _engine(tmp_path: Path, embedder: Embedder, **overrides: object) -> QAEngine:
    engine = QAEngine(local_settings(tmp_path / "s", llm_max_tokens=48, **overrides),
                      embedder=embedder)
    engine.ingest_articles([GAZETTE, TIMES])
    return engine


def _quotes_both(answer: Answer, engine: QAEngine) -> None:
    check_invariants(answer, engine)
    assert not answer.refused
    assert {c.article_id for c in answer.citations} == {GAZETTE.id, TIMES.id}
    assert all(s.supported and s.citations for s in answer.sentences)


def test_a_judging_model_opens_with_its_verdict_over_quotes_of_each_named_article(
        tmp_path: Path, embedder: Embedder) -> None:
    # bounds that meet: the model's P(yes), whatever it is, gives a verdict
    engine = _engine(tmp_path, embedder, answerability="model", verdict_from=0.5)
    answer = engine.ask(WHOLE)
    _quotes_both(answer, engine)
    assert answer.verdict in {"yes", "no"}
    assert answer.answer.startswith(f"{answer.verdict.capitalize()}. ")
    assert answer.sentences[0].text in {GAZETTE.text.split(". ")[0] + ".",
                                        TIMES.text.split(". ")[0] + "."}
    streamed = list(engine.stream_chat([{"role": "user", "content": WHOLE}]))
    final = streamed[-1]
    assert isinstance(final, Answer) and final.verdict == answer.verdict
    assert "".join(p for p in streamed if isinstance(p, str)) == final.answer


def test_a_compound_question_is_yes_only_when_every_claim_is(
        tmp_path: Path, embedder: Embedder) -> None:
    engine = _engine(tmp_path, embedder, answerability="model", verdict_from=0.5)
    judge = engine.answerer.polar  # type: ignore[attr-defined]
    evidence = engine.retrieve(ASKED)
    sources = format_sources(evidence.hits, evidence.articles)
    each = [judge.probability(claim, sources) for claim in claims(ASKED)]
    assert len(each) == 2 and judge.probability(ASKED, sources) == min(each)
    p_yes = engine.verdict_probability(ASKED)
    assert p_yes is not None
    answer = engine.ask(ASKED)  # "Yes" at CLAIMS_FROM, else no verdict: never "No"
    _quotes_both(answer, engine)
    assert answer.verdict == ("yes" if p_yes >= CLAIMS_FROM else None)


def test_a_model_that_does_not_judge_gives_the_quotes_alone(
        tmp_path: Path, embedder: Embedder) -> None:
    engine = _engine(tmp_path, embedder)  # the 0.5B model: catalogue judges = false
    answer = engine.ask(ASKED)
    _quotes_both(answer, engine)
    assert answer.verdict is None and not answer.answer.startswith(("Yes", "No"))


def test_a_question_about_the_world_gets_no_verdict(tmp_path: Path,
                                                    embedder: Embedder) -> None:
    engine = _engine(tmp_path, embedder, answerability="model", verdict_from=0.5)
    answer = engine.ask("Did the Riverton council vote to close the Elm Street library?")
    check_invariants(answer, engine)
    assert answer.verdict is None


def test_a_question_about_reports_the_articles_do_not_touch_is_refused(
        tmp_path: Path, embedder: Embedder) -> None:
    engine = _engine(tmp_path, embedder, answerability="model", verdict_from=0.5)
    answer = engine.ask("Does the Mars Daily article report that the rover found water, while "
                        "the Space Review article says the mission ended?")
    check_invariants(answer, engine)
    assert answer.refused and answer.verdict is None


def test_the_web_chat_shows_the_verdict_before_the_quotes(tmp_path: Path,
                                                          embedder: Embedder) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.browser import chromium
    from tests.conftest import live
    from tests.test_ui import ANSWERED, ask_in_page

    engine = _engine(tmp_path, embedder, answerability="model", verdict_from=0.5)
    expected = engine.ask(WHOLE).verdict
    assert expected in {"yes", "no"}
    with live(engine) as url, chromium() as driver:
        ask_in_page(driver, url, WHOLE)
        WebDriverWait(driver, 120).until(
            lambda d: not d.find_elements(By.CSS_SELECTOR, ".msg.assistant.streaming"))
        message = driver.find_elements(By.CSS_SELECTOR, ANSWERED)[-1]
        verdict = message.find_element(By.CSS_SELECTOR, ".answer .verdict")
        assert verdict.text == f"{expected.capitalize()}."
        assert message.find_element(By.CLASS_NAME, "answer").text.startswith(verdict.text)
        assert len(message.find_elements(By.CSS_SELECTOR, ".answer .cite")) >= 2


CHOICE = ("Between the Riverton Gazette article on the council's vote and the Harbor Times "
          "article on the protest, is the reporting on the library's closure consistent or "
          "inconsistent?")


def test_a_question_between_two_words_opens_with_the_one_the_model_prefers(
        tmp_path: Path, embedder: Embedder) -> None:
    engine = _engine(tmp_path, embedder, answerability="model", verdict_from=0.5)
    answer = engine.ask(CHOICE)
    _quotes_both(answer, engine)
    assert answer.verdict in {"consistent", "inconsistent"}
    assert answer.answer.startswith(f"{answer.verdict.capitalize()}. ")
    preference = engine.verdict_probability(CHOICE)
    assert preference is not None and 0 <= preference <= 1
    assert answer.verdict == ("consistent" if preference >= 0.5 else "inconsistent")

