"""The local model on this machine: time to first token, answer time, prompt tokens, memory.

    python bench/local_model.py [--model qwen2.5-coder-1.5b-instruct] [--limit 20] [--no-write]

In one process, over ``seeds/``: each question of ``eval/datasets/seed_dev.jsonl`` is asked
through ``QAEngine.stream_chat`` (retrieval, the shortlist, the model's streamed draft, the
citation check with the model's second opinions): the time to its first token and to the
checked answer. Then, as the floor, the bare model is given exactly the messages our answerer
sent for that question (``LocalChat.stream``, same process, same settings) and timed the same
way, on a second copy of the model loaded for it: llama.cpp keeps recent prompts cached in
memory, so the copy that answered a question would read its prompt again for free. Both
copies have answered one warm-up question first; each question's prompt is new to each, and
shares only the system prompt with the one before. Memory is the process's RSS with the
model loaded (before the second copy is).
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from common import ROOT, percentiles, publish, rss_mb, table, verdict

from qa.answer.answerability import ASK_BETWEEN, asks
from qa.config import Settings
from qa.engine import QAEngine
from qa.types import Answer


def _timed(items: Any) -> tuple[float, float, Any]:
    started = time.perf_counter()
    first = None
    last = None
    for item in items:
        if first is None and isinstance(item, str) and item:
            first = time.perf_counter() - started
        last = item
    return (first or float("nan")), time.perf_counter() - started, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="catalogue name (default: the default)")
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    import tempfile

    store = tempfile.mkdtemp(prefix="bench-local-")
    settings = Settings(_env_file=None, data_dir=store, answerer="local",  # type: ignore[call-arg]
                        local_model=args.model)
    engine = QAEngine(settings)
    engine.ingest([str(ROOT / "seeds")])
    rss_before = rss_mb()
    loaded = time.perf_counter()
    engine.warm()
    load_s = time.perf_counter() - loaded
    rss_loaded = rss_mb()
    questions = [json.loads(line)["question"] for line in
                 (ROOT / "eval/datasets/seed_dev.jsonl").read_text().splitlines()][:args.limit]
    answerer: Any = engine.answerer
    engine.ask(questions[0])  # the first request builds caches: not counted
    ours: list[dict[str, Any]] = []
    low, high = ASK_BETWEEN
    messages = []
    for question in questions:
        evidence = engine.retrieve(question)
        messages.append(answerer._messages(evidence)[0])
        first, total, answer = _timed(engine.stream_chat([{"role": "user",
                                                           "content": question}]))
        assert isinstance(answer, Answer)
        usage = answer.usage
        ours.append({"first": first, "total": total, "refused": answer.refused,
                     "check": answer.timings_ms.get("check", 0.0) / 1000,
                     "prompt_tokens": usage.prompt_tokens if usage else 0,
                     "cached_tokens": usage.cached_tokens if usage else 0,
                     "completion_tokens": usage.completion_tokens if usage else 0})
    rss_after = rss_mb()
    for row, question in zip(ours, questions, strict=True):  # the judge's reading, again
        started = time.perf_counter()  # (after the run: the runs' prompt caches untouched)
        best, p_none = engine.answerability(question)
        row["judge"] = time.perf_counter() - started if p_none is not None and asks(best) else 0.0
    from qa.answer.local_chat import LocalChat
    from qa.models.locate import LocalModel

    floor = LocalChat(LocalModel(answerer.model.name, answerer.model.path), settings)
    floor.load()  # its own llama.cpp server: its prompt cache has not seen these prompts
    floor.chat(messages[0])
    bare = []
    for sent in messages:
        first, total, _ = _timed(floor.stream(sent))
        bare.append({"first": first, "total": total})

    def stats(rows: list[dict[str, Any]], key: str) -> dict[str, float]:
        return percentiles([r[key] for r in rows if r[key] == r[key]])

    ours_total, bare_total = stats(ours, "total"), stats(bare, "total")
    ours_first, bare_first = stats(ours, "first"), stats(bare, "first")
    ratio = round(ours_total["p50_ms"] / bare_total["p50_ms"], 3)
    judged = [r["judge"] for r in ours if r["judge"]]
    checks = stats(ours, "check")
    judge_p50 = percentiles(judged)["p50_ms"] / 1000 if judged else 0.0
    prompt = [r["prompt_tokens"] for r in ours]
    data = {"model": answerer.model_name, "questions": len(questions), "load_s": round(load_s, 2),
            "rss_mb": {"before_model": round(rss_before), "model_loaded": round(rss_loaded),
                       "after_run": round(rss_after)},
            "ours": {"first_token": ours_first, "total": ours_total},
            "bare": {"first_token": bare_first, "total": bare_total},
            "ratio_p50_total": ratio,
            "prompt_tokens": {"p50": sorted(prompt)[len(prompt) // 2], "max": max(prompt)},
            "refused": sum(r["refused"] for r in ours),
            "judge": {"asked": len(judged), "p50_s": round(judge_p50, 3)},
            "check_s": checks, "rows": ours}
    rows = [{"": "articleqa (end to end)", "first token p50 s": ours_first["p50_ms"] / 1000,
             "first token p95 s": ours_first["p95_ms"] / 1000,
             "answer p50 s": ours_total["p50_ms"] / 1000,
             "answer p95 s": ours_total["p95_ms"] / 1000},
            {"": "bare model, same prompt", "first token p50 s": bare_first["p50_ms"] / 1000,
             "first token p95 s": bare_first["p95_ms"] / 1000,
             "answer p50 s": bare_total["p50_ms"] / 1000,
             "answer p95 s": bare_total["p95_ms"] / 1000}]
    markdown = (
        f"# Local model: {answerer.model_name}, {len(questions)} seed dev questions\n\n"
        + table(rows, list(rows[0])) +
        f"\n\nEnd to end / bare model (p50 answer time): **{ratio}×**. Prompt tokens per "
        f"answer: p50 {data['prompt_tokens']['p50']}, max {data['prompt_tokens']['max']}. "
        f"Model load {load_s:.1f} s; RSS {rss_before:.0f} MB before the model, "
        f"{rss_loaded:.0f} MB loaded, {rss_after:.0f} MB after the run. "
        f"{data['refused']} of {len(questions)} answers refused.\n\n"
        f"Where the time beyond the bare draft goes: the answerability judge's one-token "
        f"reading, asked before the draft for {len(judged)} of {len(questions)} questions "
        f"(their best sentence score between {low} and {high}), p50 {judge_p50:.2f} s each "
        f"(read again after the run, timed alone); the citation check after the draft "
        f"(the rules, and a one-token reading of the model per sentence they do not "
        f"settle), p50 {checks['p50_ms'] / 1000:.2f} s, mean {checks['mean_ms'] / 1000:.2f} s "
        f"(the answer's `timings_ms.check`); mean answer time {ours_total['mean_ms'] / 1000:.2f} s "
        f"against {bare_total['mean_ms'] / 1000:.2f} s bare.\n\n"
        f"Targets (1.5B model): answer p50 ≤ 8 s: {verdict(ours_total['p50_ms'] <= 8000)}; "
        f"first token ≤ 4 s: {verdict(ours_first['p50_ms'] <= 4000)}; end to end ≤ 1.15× "
        f"bare: {verdict(ratio <= 1.15)}.\n")
    name = "local-model" + ("" if args.model in (None, "qwen2.5-coder-1.5b-instruct")
                            else "-" + args.model)
    publish(name, data, markdown, write=not args.no_write)


if __name__ == "__main__":
    main()
