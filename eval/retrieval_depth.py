"""Where retrieval loses the passage that answers, on RealTimeQA weeks.

    python -m eval.retrieval_depth [--weeks W,W,...] [--data-dir DIR] [--depth 500]

For every answerable question of the weeks (by default the eight development weeks, which
no reported run uses), asked as of its quiz date as ``articleqa eval`` asks it, the rank of
the first passage holding a gold span: among the passages the answerer is given (the
fused top k), and in each of the two rankings fused, the dense (Chroma) one and the BM25
one, searched down to ``--depth`` among the articles published by the quiz date. A
question the fused top k misses is listed with both ranks and with the dates of its gold
articles: gold found deep in both rankings is what the embedder and BM25 cannot bring
up; gold only in articles published after the quiz is what ``as_of`` rightly leaves out.
It also counts the questions whose reference (whole words, as the answer metric reads it)
is in a passage given to the answerer although no gold passage is: the quiz links one
article, and another report of the week often gives the same answer.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from dataclasses import dataclass

from eval import dev_weeks
from eval.metrics import contains_reference, first_hit_rank
from qa.engine import QAEngine
from qa.index.retrieval import _keep, _mask
from qa.text.terms import terms

BANDS = (6, 20, 100)


@dataclass
class Row:
    question: str
    reference: str
    fused: int | None
    reference_given: bool
    """A passage given to the answerer holds the reference."""
    dense: int | None
    sparse: int | None
    after: bool
    days: list[str]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m eval.retrieval_depth", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    dev_weeks.add_arguments(parser)
    parser.add_argument("--depth", type=int, default=500)
    args = parser.parse_args(argv)
    with dev_weeks.engine_over(args) as opened:
        if opened is None:
            return
        dataset, engine = opened
        published = {a.id: a.published_at for a in dataset.articles}
        index = engine.retriever._index()
        assert index is not None  # built inline outside a service
        dates = index.published_of
        rows = []
        for q in [q for q in dataset.questions if q.answerable]:
            gold = [(s.article_id, s.start, s.end) for s in dataset.locate(q)]
            evidence = engine.evidence(q.question, q.as_of)
            fused = first_hit_rank([(h.article_id, h.start, h.end) for h in evidence.hits], gold)
            assert q.as_of is not None  # every RealTimeQA question has its quiz date
            # the retriever's own date filters: up to as_of, an undated article kept
            wide = engine.store.query_passages(evidence.vector, args.depth * 4, None)
            dense = [p for p, _ in wide
                     if _keep(dates.get(p.encode(), math.nan), None, q.as_of, True)][:args.depth]
            sparse = [index.passage_id(i) for i in index.search(
                terms(q.question), args.depth, _mask(index.published, None, q.as_of, True))]
            days = [published[a] for a, _, _ in gold]
            given = any(contains_reference(h.text, q.reference) for h in evidence.hits)
            rows.append(Row(q.question, q.reference, fused, given,
                            first_hit_rank(_spans(engine, dense), gold),
                            first_hit_rank(_spans(engine, sparse), gold),
                            all(d is not None and d > q.as_of for d in days),
                            sorted({str(d) for d in days})))
    _print(rows, args.depth, dataset.about)


def _spans(engine: QAEngine, ids: list[str]) -> list[tuple[str, int, int]]:
    got = engine.store.get_passages(list(dict.fromkeys(ids)))
    return [(str(got[p][1]["article_id"]), int(got[p][1]["start"]), int(got[p][1]["end"]))
            if p in got else ("", 0, 0) for p in ids]


def _print(rows: list[Row], depth: int, about: str) -> None:
    n = len(rows)
    print(f"{about}\n{n} answerable questions, asked as of their quiz date\n")
    print(f"gold among the passages given to the answerer (hit@k): "
          f"{sum(1 for r in rows if r.fused) / n:.3f}")
    print(f"gold, or else the reference, among the passages given to the answerer: "
          f"{sum(1 for r in rows if r.fused or r.reference_given) / n:.3f}")
    for band in BANDS:
        either = sum(1 for r in rows if any(x and x <= band for x in (r.dense, r.sparse)))
        print(f"gold within the first {band:>3} of the dense or the BM25 ranking: {either / n:.3f}")
    print(f"gold only in articles published after the quiz: "
          f"{sum(1 for r in rows if r.after) / n:.3f}\n")
    print(f"missed by the top k (dense rank, BM25 rank, down to {depth}; gold articles' dates):")
    for r in rows:
        if not r.fused:
            print(f"- dense {r.dense or '-'}, BM25 {r.sparse or '-'}"
                  f"{', reference given' if r.reference_given else ''}"
                  f"{', after the quiz' if r.after else ''} ({', '.join(r.days)}): "
                  f"{r.question[:90]} -> {r.reference}")


if __name__ == "__main__":
    main()
