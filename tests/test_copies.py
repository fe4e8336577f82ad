"""Syndicated copies: each rule of qa/index/copies.toml, and copies folded at ingest (real
embedded Chroma, the real local embedder)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from qa.engine import QAEngine
from qa.index.copies import (
    CopyIndex,
    body,
    copy_rules,
    fingerprint,
    headline_share,
    shingles,
    similarity,
)
from qa.index.embedding import Embedder
from qa.sources.articles import make_article
from qa.types import Article
from tests.conftest import live, make_settings

STORY = [
    "The harbour authority of Port Ellen said on Monday that the north pier will close for "
    "repairs after a storm damaged its timber decking last week.",
    "Engineers found that three of the pier's supporting piles had cracked, and the authority "
    "said the closure could last until the end of March.",
    "Fishing boats that use the north pier will be moved to the south basin, where temporary "
    "moorings are being laid by a contractor from Oban.",
    "The harbour master, Fiona MacLeod, said the decision was taken to protect crews and that "
    "no one had been hurt when the decking gave way.",
    "Local businesses worry that the closure will hurt the spring tourist season, when ferries "
    "bring thousands of visitors to the island each week.",
    "The island council has asked the Scottish government for emergency funding of 2.4 million "
    "pounds to rebuild the pier to a higher standard.",
    "A public meeting about the repairs will be held in the village hall on Thursday evening, "
    "and residents are invited to send questions in advance.",
]
OTHER = [
    "The county library in Brackwater reopened its reading room on Saturday after a year of "
    "building work that added a lift, new shelving and a children's corner.",
    "Librarians said more than four hundred people visited on the first morning, many of them "
    "families who had been using a temporary branch in the old post office.",
    "The renovation cost 1.1 million pounds, most of it from a heritage grant, and kept the "
    "building's Victorian windows and its carved oak staircase.",
    "A local author, Tom Reyes, read from his new novel in the afternoon, and the library "
    "announced a season of talks on the town's history for the autumn.",
    "Opening hours will return to normal next week, with late evenings on Tuesdays and "
    "Thursdays for students preparing for their examinations.",
    "The council said the old post office would be sold, and that the money would pay for new "
    "computers in the reading room and a mobile library van.",
]
BOILERPLATE = [
    "We will use the details you have shared to manage your newsletter subscription and to "
    "send you the daily digest you asked for each morning.",
    "You agree to the processing, storage, sharing and use of this information for the "
    "purpose of managing your subscription as described in our privacy policy.",
    "If you wish to object to the use of your data in this way, please tick the box below "
    "and we will not contact you about other products and services.",
    "The daily newsletter provides you with a digest of news and analysis from our team of "
    "editors, delivered to your inbox before breakfast every weekday.",
    "We include the other brands of our publishing group as detailed on the page about our "
    "company, and you can change your choices at any time.",
]


def _story(title: str, url: str, source: str, day: str, paragraphs: list[str] = STORY,
           lead: str | None = None) -> Article:
    text = "\n".join(([lead] if lead else []) + paragraphs)
    return make_article(title=title, text=text, url=url, source=source, published_at=day)


WIRE = _story("Port Ellen north pier to close for storm repairs", "https://wire.example/pier",
              "Wire", "2023-03-06")
COPY = _story("Storm-damaged pier will close until March", "https://island.example/pier",
              "Island News", "2023-03-07", lead="PORT ELLEN —")
SECOND_COPY = _story("Port Ellen pier closes after storm", "https://coast.example/pier",
                     "Coast Times", "2023-03-07")
LIBRARY = _story("Brackwater library reopens after renovation", "https://town.example/lib",
                 "Town Crier", "2023-03-05", OTHER)
RULES = copy_rules()


def _shares(a: str, b: str) -> float:
    return similarity(shingles(body(a, RULES), RULES.shingle_words),
                      shingles(body(b, RULES), RULES.shingle_words))


# -- the rules of copies.toml, one test each ----------------------------------------------
def test_short_paragraphs_are_not_the_body() -> None:
    short = "\n".join(["CNN —", "Read more: the harbour", *STORY, "Maryland", "Ohio"])
    assert RULES.min_paragraph_words == 8
    assert body(short, RULES) == body("\n".join(STORY), RULES)


def test_a_long_shared_block_counts_with_its_first_words_only() -> None:
    gallery = " ".join(f"Photo {i}: players of team {i} celebrate a goal in the stadium."
                       for i in range(300))
    one, two = "\n".join([*STORY, gallery]), "\n".join([*OTHER, gallery])
    assert _shares(one, two) < 0.2
    uncapped = replace(RULES, paragraph_words=10**6)
    whole = similarity(shingles(body(one, uncapped), 5), shingles(body(two, uncapped), 5))
    assert whole >= RULES.threshold  # without the cap, two stories would be one


def test_the_outlet_suffix_is_not_part_of_the_headline() -> None:
    paragraphs = body("\n".join(STORY), RULES)
    plain = headline_share("Port Ellen north pier to close", paragraphs, RULES)
    assert headline_share("Port Ellen north pier to close | The Gazette", paragraphs,
                          RULES) == plain == 1.0
    assert headline_share("Port Ellen north pier to close Gazette", paragraphs, RULES) < 1.0


def test_shingles_are_runs_of_words_within_a_paragraph() -> None:
    assert RULES.shingle_words == 5
    two = [["one", "two", "three", "four", "five", "six"], ["seven", "eight"]]
    assert len(shingles(two, 5)) == 3  # two runs in the first, the short one whole


def test_a_body_too_short_has_no_fingerprint() -> None:
    assert fingerprint("Port Ellen pier", "\n".join(STORY[:1])) is None
    assert len(shingles(body(STORY[0], RULES), 5)) < RULES.min_shingles
    assert fingerprint("Port Ellen pier", "\n".join(STORY)) is not None


def test_a_page_not_about_its_headline_has_no_fingerprint() -> None:
    assert RULES.min_headline_share == 0.5
    page = "\n".join(BOILERPLATE * 2)
    assert fingerprint("Andrew Tate: the king of toxic masculinity", page) is None
    assert fingerprint("Sign up for the daily newsletter digest", page) is not None


def test_the_fold_threshold_parts_a_light_edit_from_an_update() -> None:
    edited = STORY.copy()
    edited[0] = edited[0].replace("on Monday", "")
    light = _shares("\n".join(STORY), "\n".join(edited))
    update = _shares("\n".join(STORY), "\n".join([*STORY, *OTHER[:4]]))
    assert light >= RULES.threshold > update
    assert RULES.candidate_threshold < RULES.threshold


def test_the_index_finds_a_copy_at_the_threshold_and_counts_it_exactly() -> None:
    index = CopyIndex()
    wire = fingerprint(WIRE.title, WIRE.text)
    assert wire is not None
    index.add("wire", wire.signature)
    copy = fingerprint(COPY.title, COPY.text)
    assert copy is not None and "wire" in index.candidates(copy.signature)
    texts = {"wire": wire.shingles}
    assert index.match(copy, lambda ids: {i: texts[i] for i in ids}) == ("wire", 1.0)
    assert index.match(copy, lambda ids: {i: texts[i] for i in ids}, exclude=["wire"]) is None
    library = fingerprint(LIBRARY.title, LIBRARY.text)
    assert library is not None and index.candidates(library.signature) == []


def test_signatures_are_fixed_by_the_permutations_and_seed() -> None:
    first, second = fingerprint(WIRE.title, WIRE.text), fingerprint(WIRE.title, WIRE.text)
    assert first is not None and second is not None
    assert len(first.signature) == RULES.permutations == 128
    assert (first.signature == second.signature).all()


# -- folding at ingest --------------------------------------------------------------------
def _passages_of(engine: QAEngine) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _, _, meta in engine.store.iter_passages():
        counts[meta["article_id"]] = counts.get(meta["article_id"], 0) + 1
    return counts


def test_a_copy_is_stored_once_and_named_by_the_citation(engine: QAEngine) -> None:
    engine.ingest_articles([WIRE, LIBRARY])
    report = engine.ingest_articles([COPY])
    assert report.counts() == {"new": 1, "updated": 0, "unchanged": 0, "failed": 0}
    assert report.copies == {COPY.id: WIRE.id} and report.passages == 0
    assert set(_passages_of(engine)) == {WIRE.id, LIBRARY.id}
    rows = {row["id"]: row for row in engine.list_articles()}
    assert rows[COPY.id]["copy_of"] == WIRE.id and rows[COPY.id]["passages"] == 0
    assert engine.get_article(COPY.id).text == COPY.text  # the copy's own text stays readable
    answer = engine.ask("How long could the north pier closure last?")
    assert not answer.refused
    assert {h.article_id for h in engine.retrieve("north pier closure").hits} <= {WIRE.id,
                                                                                  LIBRARY.id}
    [cited] = [c for c in answer.citations if c.article_id == WIRE.id]
    assert [p.model_dump() for p in cited.also_published_by] == [
        {"article_id": COPY.id, "source": "Island News", "url": "https://island.example/pier",
         "published_at": "2023-03-07"}]


def test_ingesting_again_changes_nothing(engine: QAEngine) -> None:
    engine.ingest_articles([WIRE, COPY, SECOND_COPY])
    before = _passages_of(engine)
    again = engine.ingest_articles([SECOND_COPY, COPY, WIRE])
    assert again.counts() == {"new": 0, "updated": 0, "unchanged": 3, "failed": 0}
    assert again.passages == 0 and _passages_of(engine) == before == {WIRE.id: 1}
    listed = engine.store.read_evidence([WIRE.id]).copies[WIRE.id]
    assert [c["article_id"] for c in listed] == [COPY.id, SECOND_COPY.id]


def test_copies_in_one_batch_fold_into_the_first(engine: QAEngine) -> None:
    report = engine.ingest_articles([WIRE, COPY, SECOND_COPY, LIBRARY])
    assert report.copies == {COPY.id: WIRE.id, SECOND_COPY.id: WIRE.id}


def test_deleting_the_canonical_article_promotes_a_copy(engine: QAEngine) -> None:
    engine.ingest_articles([WIRE, COPY, SECOND_COPY])
    engine.delete_article(WIRE.id)
    assert _passages_of(engine) == {COPY.id: 1}
    rows = {row["id"]: row["copy_of"] for row in engine.list_articles()}
    assert rows == {COPY.id: None, SECOND_COPY.id: COPY.id}
    answer = engine.ask("How long could the north pier closure last?")
    assert [c.article_id for c in answer.citations] == [COPY.id]
    assert [p.article_id for p in answer.citations[0].also_published_by] == [SECOND_COPY.id]
    assert engine.ingest_articles([WIRE]).copies == {WIRE.id: COPY.id}  # back, as a copy


def test_deleting_a_copy_takes_it_off_its_canonical_article(engine: QAEngine) -> None:
    engine.ingest_articles([WIRE, COPY, SECOND_COPY])
    engine.delete_article(COPY.id)
    listed = engine.store.read_evidence([WIRE.id]).copies[WIRE.id]
    assert [c["article_id"] for c in listed] == [SECOND_COPY.id]
    assert _passages_of(engine) == {WIRE.id: 1}


def test_an_edited_canonical_article_lets_its_copies_go(engine: QAEngine) -> None:
    engine.ingest_articles([WIRE, COPY])
    rewritten = _story(WIRE.title, WIRE.url or "", "Wire", "2023-03-08", OTHER)
    report = engine.ingest_articles([rewritten])
    assert report.counts()["updated"] == 1
    assert _passages_of(engine) == {WIRE.id: 1, COPY.id: 1}  # no longer one story
    assert WIRE.id not in engine.store.read_evidence([WIRE.id]).copies


def test_pages_of_boilerplate_are_never_folded(engine: QAEngine) -> None:
    page = "\n".join(BOILERPLATE * 2)
    tate = make_article(title="Andrew Tate: the king of toxic masculinity", text=page,
                        url="https://week.example/tate")
    quiz = make_article(title="Quiz of the year so far", text=page, url="https://week.example/q")
    assert engine.ingest_articles([tate, quiz]).copies == {}
    assert set(_passages_of(engine)) == {tate.id, quiz.id}


def test_another_engine_on_the_store_folds_against_it(tmp_path: Path,
                                                      embedder: Embedder) -> None:
    settings = make_settings(tmp_path / "store")
    QAEngine(settings, embedder=embedder).ingest_articles([WIRE])
    assert QAEngine(settings, embedder=embedder).ingest_articles([COPY]).copies == {
        COPY.id: WIRE.id}


def test_a_store_from_before_signatures_gets_them(tmp_path: Path, embedder: Embedder) -> None:
    settings = make_settings(tmp_path / "store")
    old = QAEngine(settings, embedder=embedder)
    old.ingest_articles([WIRE])
    old.store.signatures.delete(ids=[WIRE.id])
    old.store.state.delete(ids=["signatures-listed"])
    assert QAEngine(settings, embedder=embedder).ingest_articles([COPY]).copies == {
        COPY.id: WIRE.id}


def test_a_copy_left_without_its_canonical_article_is_folded_again(engine: QAEngine) -> None:
    engine.ingest_articles([WIRE, COPY])
    engine.store.delete_article(WIRE.id)  # as a crash between the two steps of a delete
    report = engine.ingest_articles([COPY])
    assert report.counts()["updated"] == 1 and report.copies == {}
    assert _passages_of(engine) == {COPY.id: 1}


def test_folding_can_be_turned_off(tmp_path: Path, embedder: Embedder) -> None:
    engine = QAEngine(make_settings(tmp_path / "store", fold_copies=False), embedder=embedder)
    assert engine.ingest_articles([WIRE, COPY]).copies == {}
    assert set(_passages_of(engine)) == {WIRE.id, COPY.id}


# -- the evaluation ----------------------------------------------------------------------
def test_the_copies_evaluation_skips_without_its_data(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from eval.copies import main

    assert main(["--path", str(tmp_path), "--report", str(tmp_path / "report")]) == 0
    assert "skipped" in capsys.readouterr().err and not (tmp_path / "report").exists()


def test_the_labelled_pairs_hold_urls_labels_and_reasons_only() -> None:
    from eval.copies import LABELS

    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 100
    assert all(set(r) == {"a", "b", "label", "reason", "drawn"} for r in rows)
    assert all(r["label"] in {"copy", "different"} and r["a"] != r["b"] for r in rows)
    assert len({(r["a"], r["b"]) for r in rows}) == 100


def test_the_v1_sources_name_the_other_outlets(engine: QAEngine) -> None:
    engine.ingest_articles([WIRE, LIBRARY, COPY])
    with live(engine) as url:
        body = {"model": "articleqa", "messages": [
            {"role": "user", "content": "How long could the north pier closure last?"}]}
        reply = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=60).json()
    text = reply["choices"][0]["message"]["content"]
    assert "Also published by Island News." in text
