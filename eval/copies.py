"""Syndicated copies on RealTimeQA 2023: the share of articles that ingest folds as copies,
and precision and recall on a labelled sample of article pairs.

    python -m eval.copies [--path DIR] [--report DIR]

The corpus is read as the RealTimeQA adapter reads it (``eval.realtimeqa.corpus``): its
default weeks, and all of them. Each is folded as ingest folds it (the same fingerprints,
copy index and exact counts of ``qa.index.copies``, in corpus order, without embedding), so
the share folded is the share ingest stores as copies. The labelled pairs
(``eval/labelled/copies/realtimeqa.jsonl``: two URLs, a label, a reason, how the pair was
drawn) are scored pair by pair: a pair is found a copy when both articles have a fingerprint
and their similarity reaches the fold threshold. Two simpler rules are scored on the same
pairs for contrast. Writes ``eval/reports/copies/report.{md,json}``; when the data is absent
it says so and exits 0.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from eval.realtimeqa import DEFAULT_WEEKS, corpus, default_dir, weeks
from qa.index.copies import (
    CopyIndex,
    CopyRules,
    copy_rules,
    fingerprint,
    shingles,
    similarity,
    text_shingles,
)
from qa.types import Article

HERE = Path(__file__).resolve().parent
LABELS = HERE / "labelled" / "copies" / "realtimeqa.jsonl"
REPORT = HERE / "reports" / "copies"
SWEEP = (0.5, 0.6, 0.7, 0.8, 0.85, 0.88, 0.9, 0.95)
_WORD = re.compile(r"\w+")


def fold(articles: list[Article], rules: CopyRules) -> dict[str, tuple[str, float]]:
    """Each article folded as a copy, with its canonical article and their similarity, as
    ingest folds them in this order (an id seen again is the same article: passed over)."""
    index, texts = CopyIndex(rules), dict[str, str]()
    copies: dict[str, tuple[str, float]] = {}
    seen: set[str] = set()
    for article in articles:
        if article.id in seen:
            continue
        seen.add(article.id)
        found = fingerprint(article.title, article.text, rules)
        if found is None:
            continue
        match = index.match(found, lambda ids: {i: text_shingles(texts[i], rules) for i in ids})
        if match is not None:
            copies[article.id] = match
        else:
            index.add(article.id, found.signature)
            texts[article.id] = article.text
    return copies


def first_words(article: Article, rules: CopyRules) -> frozenset[int]:
    """The earlier measurement's shingles: five words at a time over the first 300 words of
    the whole text, boilerplate and all."""
    return shingles([_WORD.findall(article.text.lower())[:300]], rules.shingle_words)


def whole_text(article: Article, rules: CopyRules) -> frozenset[int]:
    """Shingles of every line, with none of the body rules."""
    bare = replace(rules, min_paragraph_words=1, paragraph_words=10**9)
    return text_shingles(article.text, bare)


def score(pairs: list[dict[str, Any]], found: list[bool]) -> dict[str, Any]:
    copies = [p["label"] == "copy" for p in pairs]
    hits = sum(f and c for f, c in zip(found, copies, strict=True))
    return {"pairs": len(pairs), "labelled_copies": sum(copies), "found": sum(found),
            "true_positives": hits, "false_positives": sum(found) - hits,
            "false_negatives": sum(copies) - hits,
            "precision": round(hits / sum(found), 3) if any(found) else None,
            "precision_low": round(wilson_low(hits, sum(found)), 3) if any(found) else None,
            "recall": round(hits / sum(copies), 3) if any(copies) else None}


def wilson_low(hits: int, n: int, z: float = 1.96) -> float:
    """The lower end of the Wilson 95% interval of a rate of ``hits`` in ``n``."""
    p = hits / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n)


def measure(root: Path) -> dict[str, Any]:
    rules = copy_rules()
    started = time.perf_counter()
    everything = [a for a in corpus(root, weeks(root)) if isinstance(a, Article)]
    default = {a.id for a in corpus(root, DEFAULT_WEEKS) if isinstance(a, Article)}
    read = time.perf_counter() - started
    started = time.perf_counter()
    prints = {a.id: fingerprint(a.title, a.text, rules) for a in everything}
    per_article_ms = (time.perf_counter() - started) / len(everything) * 1000
    by_url = {a.url: a for a in everything}
    url_of = {a.id: a.url for a in everything}
    folded = {}
    for name, chosen in (("default weeks", [a for a in everything if a.id in default]),
                         ("all weeks", everything)):
        copies = fold(chosen, rules)
        ids = {a.id for a in chosen}  # the corpus reads one URL twice: one article
        folded[name] = {"articles": len(ids),
                        "with_fingerprint": sum(prints[i] is not None for i in ids),
                        "folded": len(copies), "share": round(len(copies) / len(ids), 5),
                        "pairs": [{"copy": url_of[c], "of": url_of[k],
                                   "similarity": round(s, 3)}
                                  for c, (k, s) in sorted(copies.items())]}
    pairs = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()
             if line.strip()]
    ours = []
    for pair in pairs:
        a, b = prints[by_url[pair["a"]].id], prints[by_url[pair["b"]].id]
        pair["similarity"] = round(similarity(a.shingles, b.shingles), 3) if a and b else None
        ours.append(pair["similarity"])

    def rule(shingles_of: Any, threshold: float) -> list[bool]:
        return [similarity(shingles_of(by_url[p["a"]], rules),
                           shingles_of(by_url[p["b"]], rules)) >= threshold for p in pairs]

    found = [s is not None and s >= rules.threshold for s in ours]
    drawn = Counter(p["drawn"] for p in pairs)
    return {
        "rules": {k: (v.pattern if isinstance(v, re.Pattern) else v)
                  for k, v in vars(rules).items()},
        "corpus": folded,
        "fingerprint_ms_per_article": round(per_article_ms, 2),
        "read_seconds": round(read, 1),
        "labelled": {
            "ours": score(pairs, found),
            "first 300 words, similarity >= 0.5": score(pairs, rule(first_words, 0.5)),
            f"whole text, no body rules, similarity >= {rules.threshold}":
                score(pairs, rule(whole_text, rules.threshold)),
        },
        "by_draw": {kind: score([p for p in pairs if p["drawn"] == kind],
                                [f for p, f in zip(pairs, found, strict=True)
                                 if p["drawn"] == kind]) for kind in drawn},
        "sweep": {str(t): score(pairs, [s is not None and s >= t for s in ours])
                  for t in SWEEP},
        "pairs": pairs,
    }


def markdown(result: dict[str, Any]) -> str:
    rules = result["rules"]
    lines = ["# Syndicated copies on RealTimeQA 2023", "",
             "`python -m eval.copies`: the corpus folded as ingest folds it (rules: "
             "`qa/index/copies.toml`), and the labelled pairs of "
             "`eval/labelled/copies/realtimeqa.jsonl`.", "",
             "## Share of articles folded", "",
             "| corpus | articles | with a fingerprint | folded as copies | share |",
             "|---|---|---|---|---|"]
    for name, row in result["corpus"].items():
        lines.append(f"| {name} | {row['articles']:,} | {row['with_fingerprint']:,} | "
                     f"{row['folded']} | {row['share']:.2%} |")
    lines += ["", f"A fingerprint costs {result['fingerprint_ms_per_article']} ms an article "
              "(shingles, MinHash). Articles without one are too short "
              f"(under {rules['min_shingles']} shingles) or not about their headline (under "
              f"{rules['min_headline_share']:.0%} of its words): never folded.", "",
              "## Labelled pairs", "",
              "| rule | pairs | labelled copies | found copies | precision (95% low) | recall |",
              "|---|---|---|---|---|---|"]
    for name, row in result["labelled"].items():
        lines.append(f"| {name} | {row['pairs']} | {row['labelled_copies']} | {row['found']} "
                     f"| {_rate(row['precision'])} ({_rate(row['precision_low'])}) "
                     f"| {_rate(row['recall'])} |")
    lines += ["", "The threshold was chosen on these same pairs (there is no held-out set: the "
              "corpus holds few copies), so the precision is an in-sample figure, and with "
              "few pairs found its interval is wide.", "",
              "By how the pairs were drawn (ours):", "",
              "| drawn | pairs | labelled copies | found copies | false positives |",
              "|---|---|---|---|---|"]
    for kind, row in result["by_draw"].items():
        lines.append(f"| {kind} | {row['pairs']} | {row['labelled_copies']} | {row['found']} "
                     f"| {row['false_positives']} |")
    lines += ["", f"The fold threshold ({rules['threshold']}) on the labelled pairs:", "",
              "| threshold | found copies | precision | recall |", "|---|---|---|---|"]
    for threshold, row in result["sweep"].items():
        lines.append(f"| {threshold} | {row['found']} | {_rate(row['precision'])} | "
                     f"{_rate(row['recall'])} |")
    lines += ["", "Labelled pairs at similarity 0.6 and above:", "",
              "| similarity | label | reason |", "|---|---|---|"]
    for pair in sorted(result["pairs"], key=lambda p: -(p["similarity"] or 0)):
        if (pair["similarity"] or 0) >= 0.6:
            lines.append(f"| {pair['similarity']} | {pair['label']} | {pair['reason']} |")
    lines += ["", "## The copies folded (all weeks)", "", "| similarity | copy | of |",
              "|---|---|---|"]
    for pair in result["corpus"]["all weeks"]["pairs"]:
        lines.append(f"| {pair['similarity']} | {pair['copy']} | {pair['of']} |")
    return "\n".join(lines) + "\n"


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.copies", description=__doc__.split(
        "\n")[0])
    parser.add_argument("--path", type=Path, help="the realtimeqa-2023 folder")
    parser.add_argument("--report", type=Path, default=REPORT, help="where to write")
    args = parser.parse_args(argv)
    root = args.path or default_dir()
    if not weeks(root):
        print(f"eval.copies: no RealTimeQA weeks in {root}: skipped", file=sys.stderr)
        return 0
    result = measure(root)
    args.report.mkdir(parents=True, exist_ok=True)
    (args.report / "report.json").write_text(json.dumps(result, indent=2, ensure_ascii=False)
                                             + "\n", encoding="utf-8")
    text = markdown(result)
    (args.report / "report.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
