"""``articleqa eval`` (also ``python -m eval``): measure how well answers are grounded.

    articleqa eval                                  # the seed gold set (offline, quick)
    articleqa eval --dataset realtimeqa             # 9 weeks of 2023 news (see README)
    articleqa eval --dataset multihop
    articleqa eval --answerer local                 # the local model writes the answers
    articleqa eval --url http://127.0.0.1:8000      # ask a running service instead
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qa.config import Settings

HELP = "evaluate grounding on a gold set or a news QA dataset, and write a report"
HERE = Path(__file__).resolve().parent
DATASETS = ("seed", "temporal", "realtimeqa", "multihop")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", choices=DATASETS, default="seed")
    parser.add_argument("--path", type=Path, help="the dataset's file or folder (seed: a gold "
                        "JSONL; realtimeqa: the folder or one week's *_qa.jsonl; multihop: "
                        "queries.jsonl); default: eval/datasets, or $QA_EVAL_DATA, else "
                        "../shared/data beside the checkout")
    parser.add_argument("--corpus", type=Path, help="seed: the articles the gold set is about "
                        "(default seeds/)")
    parser.add_argument("--weeks", help="realtimeqa: comma-separated YYYYMMDD weeks, or 'all' "
                        "(default: the first quiz week of each month, February to September, "
                        "and the third of January)")
    parser.add_argument("--answerer", choices=("extractive", "local", "llm"),
                        help="who writes the answers (default QA_ANSWERER): the extractive "
                        "answerer, the installed local model, or the OpenAI-compatible server "
                        "configured; a model's runs keep their own answers, report and "
                        "baseline (DATASET-local, DATASET-remote)")
    parser.add_argument("--without-as-of", action="store_true",
                        help="realtimeqa: ask each question without its date (default: as of "
                        "its question_date, so no later article is used); its own answers, "
                        "report and baseline (DATASET-without-as-of)")
    parser.add_argument("--limit", type=int, help="ask only the first N questions")
    parser.add_argument("--url", help="ask a running articleqa service at this URL")
    parser.add_argument("--run-dir", type=Path, help="where the store and answers are kept "
                        "(default .articleqa-eval/DATASET)")
    parser.add_argument("--api-key", help="--url: the service's QA_API_KEY (to add the corpus)")
    parser.add_argument("--fresh", action="store_true",
                        help="empty the run's store and ask every question again")
    parser.add_argument("--reask", action="store_true",
                        help="ask every question again, keeping the store (after a change "
                             "to the code or settings that answer)")
    parser.add_argument("--report", type=Path, help="report folder (default eval/reports/DATASET)")
    parser.add_argument("--baseline", type=Path,
                        help="baseline to compare with (default eval/baselines/DATASET.json)")
    parser.add_argument("--save-baseline", action="store_true",
                        help="make this run the baseline")
    parser.add_argument("--judge", choices=("auto", "offline", "llm"), default="auto",
                        help="entailment judge (auto: the LLM when one is configured)")
    parser.add_argument("--fail-under", action="append", default=[], metavar="METRIC=VALUE",
                        help="exit 1 when METRIC is below VALUE (latency and errors: above)")


def run(settings: Settings, args: argparse.Namespace) -> int:
    from eval import report
    from eval.datasets import DataMissing

    try:
        thresholds = [report.parse_threshold(spec) for spec in args.fail_under]
        if args.save_baseline and args.limit:
            raise ValueError("--save-baseline with --limit would make a partial run the "
                             "baseline; run without --limit")
        dataset = _load(args)
    except DataMissing as exc:
        print(f"articleqa eval: skipped {args.dataset}: {exc}", file=sys.stderr)
        if thresholds:  # a floor asked for and nothing measured is no pass
            print("articleqa eval: FAIL nothing was measured", file=sys.stderr)
            return 1
        return 0
    except ValueError as exc:
        print(f"articleqa: error: {exc}", file=sys.stderr)
        return 2
    if args.answerer:
        settings = settings.model_copy(update={"answerer": args.answerer})
    try:
        result = _evaluate(settings, args, dataset)
    except KeyboardInterrupt:
        print("articleqa eval: interrupted; run the same command again to resume",
              file=sys.stderr)
        return 130
    name = result["variant"]
    baseline_path = args.baseline or HERE / "baselines" / f"{name}.json"
    comparison = None
    if baseline_path.is_file() and not args.save_baseline:
        baseline = json.loads(baseline_path.read_text())
        differs = report.incomparable(result, baseline)
        if differs:
            print(f"not compared with {baseline_path}: {differs}", file=sys.stderr)
        else:
            comparison = report.compare(result, baseline)
    print(report.summary_table(result))
    judge = result["judge"]
    print(f"\njudge: {judge['judge']}, accuracy {report.fmt(judge.get('accuracy'))} on "
          f"{judge['pairs']} labelled pairs")
    if comparison:
        print(f"\nagainst {baseline_path}:\n{report.comparison_table(comparison)}")
    folder = args.report or HERE / "reports" / name
    written = report.write(result, folder, comparison)
    print(f"\nreport: {', '.join(str(p) for p in written)}")
    if args.save_baseline:
        baseline_path.parent.mkdir(parents=True, exist_ok=True)
        keep = {k: result[k] for k in ("dataset", "variant", "as_of", "about", "asker",
                                       "config", "questions", "finished", "metrics", "judge")}
        baseline_path.write_text(json.dumps(keep, indent=2, ensure_ascii=False) + "\n")
        print(f"baseline saved: {baseline_path}")
    failed = report.failures(result, thresholds)
    for line in failed:
        print(f"articleqa eval: FAIL {line}", file=sys.stderr)
    return 1 if failed else 0


def _load(args: argparse.Namespace) -> Any:
    from eval import datasets, multihop, realtimeqa

    if args.dataset == "seed":
        return datasets.gold_set(args.path, args.corpus)
    if args.dataset == "temporal":
        return datasets.gold_set(args.path or datasets.TEMPORAL_GOLD,
                                 args.corpus or datasets.TEMPORAL_CORPUS, name="temporal")
    if args.dataset == "multihop":
        return multihop.dataset(args.path, args.limit)
    root = args.path or realtimeqa.default_dir()
    weeks = None
    if args.weeks:
        weeks = realtimeqa.weeks(root) if args.weeks == "all" else args.weeks.split(",")
    return realtimeqa.dataset(root, weeks, args.limit)


def _evaluate(settings: Settings, args: argparse.Namespace, dataset: Any) -> dict[str, Any]:
    from tqdm import tqdm

    from eval import judge as judges
    from eval import runner, score
    from qa.engine import QAEngine

    if args.limit and dataset.name == "seed":
        dataset.questions = dataset.questions[:args.limit]
    run_dir = args.run_dir or Path(".articleqa-eval") / dataset.name
    reset = runner.prepare(run_dir, dataset, {"embedder": settings.embedder,
                                              "model": settings.embed_model}, args.fresh)
    engine = QAEngine(settings.model_copy(update={"data_dir": run_dir / "store"}))
    judge = judges.build_judge(args.judge, engine)  # before the long part: fail early
    asker: runner.Asker = (runner.OverHTTP(args.url, args.api_key) if args.url
                           else runner.InProcess(engine))
    print(f"{dataset.name}: {dataset.about}; {len(dataset.questions)} questions; asking "
          f"{asker.label}" + (f"; new {' and '.join(reset)}" if reset else ""),
          file=sys.stderr)
    with tqdm(total=len(dataset.articles), unit=" articles", desc="ingesting", disable=None,
              leave=False) as bar:
        counts = asker.ingest(dataset.articles, bar.update)
    print(f"corpus: {counts['new']} new, {counts['updated']} updated, {counts['unchanged']} "
          f"unchanged, {counts['failed'] + len(dataset.failures)} failed", file=sys.stderr)
    if isinstance(asker, runner.OverHTTP):
        held = asker.held_articles()
        if held > len(dataset.articles):
            print(f"warning: the service holds {held} articles, {held - len(dataset.articles)}"
                  " more than this corpus: answers may come from them", file=sys.stderr)
    has_dates = any(q.as_of for q in dataset.questions)
    dated = has_dates and not args.without_as_of
    undated = "without-as-of" if has_dates and args.without_as_of else ""
    variant = "-".join(filter(None, (asker.variant, undated)))
    if args.reask and runner.forget(run_dir, variant):
        print("asking every question again (--reask)", file=sys.stderr)
    with tqdm(total=len(dataset.questions), unit=" questions", desc="asking", disable=None,
              leave=False) as bar:
        records = runner.run(dataset, asker, run_dir, lambda _: bar.update(), variant,
                             dated=not args.without_as_of)
    rows = [score.score_question(q, r, dataset, judge)
            for q, r in zip(dataset.questions, records, strict=True)]
    return {
        "dataset": dataset.name, "about": dataset.about, "asker": asker.label,
        "variant": "-".join(filter(None, (dataset.name, variant))), "as_of": dated,
        "config": asker.config(), "questions": len(rows),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "judge": judges.agreement(judge, judges.labelled_pairs()),
        "metrics": score.aggregate(rows), "by_type": score.by_type(rows), "per_question": rows,
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m eval", description=HELP)
    add_arguments(parser)
    return run(Settings(), parser.parse_args())
