"""Replay how the extractive quotes are ranked, on RealTimeQA weeks, for a grid of weights.

    python -m eval.ranking [--weeks W,W,...] [--data-dir DIR] [--priors 0,0.1,0.2,0.3]
                           [--agreements 0,0.1,0.2,0.3]

For every answerable question of the weeks (by default the eight development weeks: the
third quiz week of each month, February to September 2023, which no reported run uses),
asked as of its quiz date, the passages are retrieved once; then for each pair of weights
(``QA_RETRIEVAL_PRIOR``, the agreement bonus ``AGREEMENT``) the extractive answerer drafts
its quotes, and a question counts when a quoted sentence holds the reference (whole words).
Refusals do not depend on these weights (the best score decides them), so the table shows
the share of all answerable questions, with the two halves (even and odd questions) beside
it: a weight worth keeping helps both. This is the check that chose the defaults (0.2 and
0.2); ``articleqa eval --dataset realtimeqa --weeks …`` then measures the whole answer.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence

from eval import dev_weeks
from qa.answer.extractive import ExtractiveAnswerer


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m eval.ranking", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    dev_weeks.add_arguments(parser)
    parser.add_argument("--priors", type=_floats, default=[0.0, 0.1, 0.2, 0.3])
    parser.add_argument("--agreements", type=_floats, default=[0.0, 0.1, 0.2, 0.3])
    args = parser.parse_args(argv)
    with dev_weeks.engine_over(args) as opened:
        if opened is None:
            return
        dataset, engine = opened
        asked = [q for q in dataset.questions if q.answerable]
        cases = [(engine.evidence(q.question, q.as_of),
                  re.compile(r"\b" + re.escape(q.reference.lower()) + r"\b")) for q in asked]
        print(f"{dataset.about}\n{len(cases)} answerable questions; share whose quotes hold "
              "the reference (even / odd halves)\n")
        print("prior \\ agreement  " + "".join(f"{a:>22}" for a in args.agreements))
        for prior in args.priors:
            cells = []
            for weight in args.agreements:
                scorer = ExtractiveAnswerer(engine.embedder, engine.settings.answer_threshold,
                                            prior=prior, agreement=weight)
                held = []
                for evidence, reference in cases:
                    evidence.ranked = evidence.answerable = None
                    draft = scorer.draft(evidence)
                    held.append(any(reference.search(s.text.lower()) for s in draft))
                share = [sum(h) / max(len(h), 1) for h in (held, held[::2], held[1::2])]
                cells.append(f"{share[0]:.3f} ({share[1]:.2f}/{share[2]:.2f})")
            print(f"{prior:>17}  " + "".join(f"{c:>22}" for c in cells))


if __name__ == "__main__":
    main()
