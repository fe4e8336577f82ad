"""A new ``Answerer`` or ``Verifier`` plugs into ``QAEngine`` without a change to the engine:
these in-process ones are handed to it, and every answer still goes through the checks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from qa.check.verifier import Pair
from qa.engine import QAEngine
from qa.index.embedding import Embedder
from qa.text.sentences import sentence_spans
from qa.types import Answer, Draft, DraftSentence, Evidence, Preview
from tests.conftest import SEEDS, make_settings
from tests.invariants import check_invariants


class FirstSentenceAnswerer:
    """Quotes the first sentence of the best source, or makes a claim up when asked to."""

    mode = "llm"
    model_name = "first-sentence"

    def __init__(self, claim: str | None = None) -> None:
        self.claim = claim
        self.seen: list[Evidence] = []

    def draft(self, evidence: Evidence) -> Draft:
        self.seen.append(evidence)
        if self.claim:
            return Draft([DraftSentence(self.claim, [1])])
        hit = evidence.hits[0]
        text = evidence.articles[hit.article_id].text
        start, end = sentence_spans(text, hit.start, hit.end)[0]
        return Draft([DraftSentence(text[start:end], [1])])

    def stream(self, evidence: Evidence) -> Iterator[str | Draft]:
        draft = self.draft(evidence)
        yield draft[0].text
        yield draft

    def condense(self, question: str, history: list[dict[str, str]]) -> str:
        return question

    def warm(self) -> None:
        pass

    def close(self) -> None:
        pass


class StrictVerifier:
    """Supports nothing: every sentence it is asked about is unsupported."""

    name = "strict"

    def __init__(self) -> None:
        self.asked = 0

    def score(self, pairs: Sequence[Pair]) -> list[float]:
        self.asked += len(pairs)
        return [0.0] * len(pairs)


def _engine(tmp_path: Path, embedder: Embedder, **kw: object) -> QAEngine:
    engine = QAEngine(make_settings(tmp_path / "store"), embedder=embedder, **kw)  # type: ignore[arg-type]
    engine.ingest([str(SEEDS)])
    return engine


def test_a_new_answerer_is_called_with_the_evidence_and_checked(tmp_path: Path,
                                                                embedder: Embedder) -> None:
    answerer = FirstSentenceAnswerer()
    engine = _engine(tmp_path, embedder, answerer=answerer)
    answer = engine.ask("How many people died in the shootout?")
    assert answerer.seen and answerer.seen[0].hits, "the answerer got no evidence"
    assert answer.mode == "llm" and engine.stats()["model"] == "first-sentence"
    assert not answer.refused and answer.citations
    check_invariants(answer, engine)
    streamed = list(engine.stream_chat([{"role": "user", "content": "Who is Albin Kurti?"}]))
    texts = [item for item in streamed if isinstance(item, str)]
    assert texts and isinstance(streamed[-1], Answer) and streamed[-1].citations
    previews = [i for i, item in enumerate(streamed) if isinstance(item, Preview)]
    assert previews in ([], [0]), "the checked quotes come first, once"


def test_a_made_up_draft_is_refused_by_the_checks(tmp_path: Path, embedder: Embedder) -> None:
    engine = _engine(tmp_path, embedder, answerer=FirstSentenceAnswerer(
        "Twelve ministers resigned in protest in Paris."))
    answer = engine.ask("How many ministers resigned in Paris?")  # the quotes refuse too
    assert answer.refused and not answer.citations and "Twelve" not in answer.answer
    answer = engine.ask("How many people died in the shootout?")  # the quotes answer
    assert "Twelve" not in answer.answer and answer.note and answer.citations
    check_invariants(answer, engine)


def test_a_new_verifier_decides_support(tmp_path: Path, embedder: Embedder) -> None:
    verifier = StrictVerifier()
    paraphrase = FirstSentenceAnswerer("Four people were killed in a shootout last weekend.")
    engine = _engine(tmp_path, embedder, verifier=verifier, answerer=paraphrase)
    answer = engine.ask("How many people died in the shootout?")
    assert verifier.asked > 0
    assert "were killed" not in answer.answer and (answer.refused or answer.note)
    assert engine.support("Four people died.", "Four people died.") == 0.0
