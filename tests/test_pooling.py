"""Vectors pooled from one forward pass against the model run on each text alone."""

from pathlib import Path

import numpy as np

from qa.engine import QAEngine
from qa.index.chunking import plan_passages
from qa.index.embedding import Embedder
from qa.index.pooling import ArticlePlan, LatePooler, decode_units, encode_units
from qa.sources.articles import make_article
from qa.types import Article
from tests.conftest import SEEDS, make_settings

SENTENCES = [
    "The harbour council met on Monday to discuss the new ferry timetable.",
    "Fishermen said the early departures would cut their catch by a third.",
    "The mayor, Anna Berg, promised a second vote before the summer.",
    "Repairs to the north pier will cost 4.2 million kronor, the engineers said.",
    "A storm in January had torn away two of its wooden pilings.",
    "Tourism officials expect 80,000 visitors this year, up from 65,000.",
]


def _article(title: str, url: str, repeat: int = 6) -> Article:
    text = "\n".join(" ".join(SENTENCES[(i + j) % 6] for j in range(6)) for i in range(repeat))
    return make_article(title=title, text=text, url=url)


def _plan(embedder: Embedder, article: Article) -> ArticlePlan:
    tokens = embedder.tokenize(article.text)
    return ArticlePlan(article, tokens, plan_passages(article, tokens.count))


def _seed_article() -> Article:
    title, text = next(SEEDS.glob("*.txt")).read_text().split("\n", 1)
    return make_article(title=title, text=text.strip())


def test_token_counts_by_offset_match_counting_each_text(embedder: Embedder) -> None:
    article = _seed_article()
    tokens = embedder.tokenize(article.text)
    for passage, units in plan_passages(article, tokens.count):
        assert tokens.count(passage.start, passage.end) == embedder.count_tokens(passage.text)
        for start, end in units:
            assert tokens.count(start, end) == embedder.count_tokens(article.text[start:end])


def test_passage_vectors_match_embedding_each_passage_alone(embedder: Embedder) -> None:
    assert embedder.local is not None
    harbour = _article("Harbour", "https://a.example/1")
    plans = [_plan(embedder, _seed_article()), _plan(embedder, harbour)]
    pooled = LatePooler(embedder.local).pool(plans)
    passages = [p for plan in plans for p, _ in plan.passages]
    assert len(passages) > 4
    direct = embedder.embed([p.text for p in passages])
    cosines = (direct * pooled.passages).sum(axis=1)
    assert float(np.median(cosines)) > 0.95 and float(cosines.min()) > 0.85
    assert np.allclose(pooled.articles[0], pooled.passages[0])  # the first passage's vector


def test_sentence_vectors_point_at_their_own_sentence(embedder: Embedder) -> None:
    """Pooled in their passage's context, sentence vectors are not a standalone embedding,
    but each one is close to it and nearer to it than to most other sentences."""
    assert embedder.local is not None
    plan = _plan(embedder, _seed_article())
    units = LatePooler(embedder.local).pool([plan]).units[0]
    direct = embedder.embed([plan.article.text[s:e] for s, e in units.spans])
    similarity = units.vectors @ direct.T
    assert len(units.spans) >= 15
    assert float(np.median(np.diag(similarity))) > 0.6
    own_is_nearest = (similarity.argmax(axis=1) == np.arange(len(units.spans))).mean()
    assert own_is_nearest > 0.5


def test_units_survive_their_compact_encoding(embedder: Embedder) -> None:
    assert embedder.local is not None
    units = LatePooler(embedder.local).pool([_plan(embedder, _seed_article())]).units[0]
    encoded = encode_units(units)
    assert all(isinstance(v, str) for v in encoded.values())
    decoded = decode_units(dict(encoded))
    assert decoded is not None and decoded.spans == units.spans
    assert float((decoded.vectors * units.vectors).sum(axis=1).min()) > 0.998
    assert decode_units({}) is None and decode_units({"unit_spans": "", "unit_vectors": ""}) is None
    # a row read alone (what a question does) is the row of the whole decoding
    rows = decoded.vectors
    for i, span in enumerate(decoded.spans):
        one = decoded.vector(span)
        assert one is not None and np.allclose(one, rows[i], atol=1e-6)
    assert decoded.vector((-1, -1)) is None


def test_identical_windows_are_read_once_and_every_copy_gets_its_passages(
        tmp_path: Path, embedder: Embedder) -> None:
    """A syndicated story under two URLs, copies not folded: the second copy costs no
    model time and still gets passages of its own."""
    engine = QAEngine(make_settings(tmp_path / "store", fold_copies=False), embedder=embedder)
    first = _article("Harbour", "https://a.example/1")
    copy = _article("Harbour", "https://b.example/2")
    assert first.id != copy.id and engine.embedder.local is not None
    pooler = LatePooler(engine.embedder.local)
    plans = [_plan(engine.embedder, first), _plan(engine.embedder, copy)]
    pooled = pooler.pool(plans)
    count = len(plans[0].passages)
    assert count >= 2 and pooler.windows_read == count and pooler.windows_reused == count
    assert np.allclose(pooled.passages[:count], pooled.passages[count:])
    report = engine.ingest_articles([first, copy])
    assert report.passages == 2 * count and not report.copies
    stored = engine.store.passages.get(include=["metadatas"])["metadatas"]
    per_article = sorted(sum(m["article_id"] == a.id for m in stored) for a in (first, copy))
    assert per_article == [count, count]
    assert engine.ask("How much will the repairs to the north pier cost?").citations


def test_a_folded_copy_gets_no_passages_of_its_own(engine: QAEngine) -> None:
    """Copies folded (the default): the copy is recorded against the first, not indexed."""
    first = _article("Harbour", "https://a.example/1")
    copy = _article("Harbour", "https://b.example/2")
    report = engine.ingest_articles([first, copy])
    assert report.copies == {copy.id: first.id}
    stored = engine.store.passages.get(include=["metadatas"])["metadatas"]
    assert report.passages == len(stored) > 0
    assert {m["article_id"] for m in stored} == {first.id}


def test_a_store_without_sentence_vectors_still_answers(engine: QAEngine) -> None:
    """Records written before sentence vectors existed: the answerer embeds sentences."""
    engine.ingest([str(SEEDS)])
    question = "How many people died in the shootout?"
    before = engine.ask(question)
    ids = engine.store.articles.get(include=[])["ids"]
    cleared = [{"unit_spans": "", "unit_vectors": ""}] * len(ids)
    engine.store.articles.update(ids=ids, metadatas=cleared)
    assert engine.store.get_articles_and_units(ids)[1] == {}
    after = engine.ask(question)
    assert not after.refused
    assert [c.quote for c in after.citations] == [c.quote for c in before.citations]
