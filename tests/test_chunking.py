import itertools

from qa.index.chunking import split_passages
from qa.index.embedding import Embedder
from qa.sources.articles import make_article, read_sources
from qa.text.sentences import sentence_spans
from qa.types import Article
from tests.conftest import SEEDS


def test_sentences_keep_offsets_and_respect_abbreviations() -> None:
    text = ("Mr. Smith met U.S. officials on Jan. 5 in Washington. They agreed! "
            "“It works,” he said. Prices rose 3.5% in 2023.")
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == [
        "Mr. Smith met U.S. officials on Jan. 5 in Washington.",
        "They agreed!",
        "“It works,” he said.",
        "Prices rose 3.5% in 2023.",
    ]


def test_seed_passages_are_exact_slices_under_the_token_limit(embedder: Embedder) -> None:
    [article] = [a for a in read_sources([str(SEEDS)]) if isinstance(a, Article)]
    passages = split_passages(article, embedder.count_tokens)
    assert len(passages) >= 3
    for index, passage in enumerate(passages):
        assert passage.text == article.text[passage.start:passage.end]
        assert passage.id == f"{article.id}:{index}"
        assert embedder.count_tokens(passage.text) <= 250
    covered = set()
    for p in passages:
        covered.update(range(p.start, p.end))
    body = {i for i, ch in enumerate(article.text) if not ch.isspace()}
    assert body <= covered, "some text is in no passage"
    # a small overlap: consecutive passages share at most one sentence
    for a, b in itertools.pairwise(passages):
        assert b.start <= a.end and a.end - b.start < 400


def test_a_sentence_longer_than_the_model_window_is_cut(embedder: Embedder) -> None:
    long = " ".join(f"word{i}" for i in range(900)) + "."
    article = make_article(title="Long", text=long)
    passages = split_passages(article, embedder.count_tokens)
    assert len(passages) > 2
    for passage in passages:
        assert passage.text == article.text[passage.start:passage.end]
        assert embedder.count_tokens(passage.text) <= 250
