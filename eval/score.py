"""Scores a run: per question, then aggregated with bootstrap 95% confidence intervals,
overall and per question type."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from eval import metrics
from eval.datasets import Dataset, Question
from eval.judge import Judge

PER_QUESTION = ["retrieval_hit@1", "retrieval_hit@k", "retrieval_mrr", "answer_exact_match",
                "answer_f1", "answer_contains_reference", "answer_cites_gold", "citation_recall",
                "citation_precision", "faithfulness"]
"""Metrics that are a mean over the questions they apply to."""


def score_question(question: Question, record: dict[str, Any], dataset: Dataset,
                   judge: Judge) -> dict[str, Any]:
    row: dict[str, Any] = {"id": question.id, "type": question.type,
                           "answerable": question.answerable, "error": record.get("error"),
                           "latency_ms": record.get("latency_ms")}
    answer = record.get("answer")
    if answer is None:
        return row | {"refused": None}
    refused = bool(answer["refused"])
    row["refused"] = refused  # the answer's text stays in the run folder, not in reports
    if question.as_of is not None:  # nothing published after the day asked about is used
        used = {r["article_id"] for r in answer["retrieved"]} | {
            c["article_id"] for c in answer["citations"]}
        row["used_after_as_of"] = float(any(
            (day := dataset.published.get(a)) is not None and day > question.as_of
            for a in used))
    gold = [(s.article_id, s.start, s.end) for s in dataset.locate(question)]
    if gold:
        retrieved = [(r["article_id"], r["start"], r["end"]) for r in answer["retrieved"]]
        rank = metrics.first_hit_rank(retrieved, gold)
        row |= {"retrieval_hit@1": metrics.hit_at(rank, 1),
                "retrieval_hit@k": metrics.hit_at(rank, len(retrieved) or 1),
                "retrieval_mrr": metrics.reciprocal_rank(rank), "retrieval_rank": rank}
        if question.answerable:  # did the answer quote the evidence the question is about?
            cited = [(c["article_id"], c["start"], c["end"]) for c in answer["citations"]]
            row["answer_cites_gold"] = float(not refused and
                                             metrics.first_hit_rank(cited, gold) is not None)
    if question.answerable and question.reference:
        said = "" if refused else answer["answer"]
        row |= {"answer_exact_match": metrics.exact_match(said, question.reference),
                "answer_f1": metrics.token_f1(said, question.reference),
                "answer_contains_reference": metrics.contains_reference(said,
                                                                        question.reference)}
    if not refused and answer["sentences"]:
        quotes = {c["id"]: c["quote"] for c in answer["citations"]}
        sentences = [(s["text"], [quotes[n] for n in s["citations"] if n in quotes])
                     for s in answer["sentences"]]
        recall, precision = metrics.citation_scores(sentences, judge.entails)
        context = [dataset.text_of(r["article_id"])[r["start"]:r["end"]]
                   for r in answer["retrieved"]]
        grounded = [(bool(q) and judge.entails(t, " ".join(q))) or
                    any(judge.entails(t, passage) for passage in context if passage)
                    for t, q in sentences]
        row |= {"citation_recall": recall, "citation_precision": precision,
                "faithfulness": sum(grounded) / len(grounded)}
    return row


def aggregate(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each metric's value, 95% CI and the number of questions it covers."""
    out: dict[str, dict[str, Any]] = {}
    for name in PER_QUESTION:
        values = [r[name] for r in rows if r.get(name) is not None]
        out[name] = {"value": metrics.mean(values), "ci": metrics.bootstrap_ci(values),
                     "n": len(values)}
    judged = [r for r in rows if r.get("refused") is not None]

    def refusal(sample: Sequence[dict[str, Any]], which: int) -> float | None:
        return metrics.refusal_scores([r["refused"] for r in sample],
                                      [r["answerable"] for r in sample])[which]

    def precision(sample: Sequence[dict[str, Any]]) -> float | None:
        return refusal(sample, 0)

    def recall(sample: Sequence[dict[str, Any]]) -> float | None:
        return refusal(sample, 1)

    out["refusal_precision"] = {"value": precision(judged),
                                "ci": metrics.bootstrap(judged, precision),
                                "n": sum(r["refused"] for r in judged)}
    out["refusal_recall"] = {"value": recall(judged), "ci": metrics.bootstrap(judged, recall),
                             "n": sum(not r["answerable"] for r in judged)}
    latencies = [float(r["latency_ms"]) for r in rows if r.get("latency_ms") is not None]

    def p50(sample: Sequence[float]) -> float | None:
        return metrics.percentile(sample, 50)

    def p95(sample: Sequence[float]) -> float | None:
        return metrics.percentile(sample, 95)

    for name, statistic in (("latency_p50_ms", p50), ("latency_p95_ms", p95)):
        out[name] = {"value": statistic(latencies), "ci": metrics.bootstrap(latencies, statistic),
                     "n": len(latencies)}
    out["errors"] = {"value": float(sum(1 for r in rows if r.get("error"))), "ci": None,
                     "n": len(rows)}
    dated = [r["used_after_as_of"] for r in rows if "used_after_as_of" in r]
    if dated:  # questions asked as of a day that used a later article (must be 0)
        out["used_after_as_of"] = {"value": sum(dated), "ci": None, "n": len(dated)}
    return out


def by_type(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[row["type"]].append(row)
    return {kind: aggregate(group) for kind, group in sorted(groups.items())}
