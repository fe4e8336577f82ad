"""The ``articleqa`` command: ingest, ask, chat and manage articles from a terminal."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from typing import Any

from pydantic import ValidationError

from qa.config import Settings
from qa.errors import InvalidInput, QAError
from qa.types import Answer


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="articleqa", description="Answers questions about news articles, with citations.")
    sub = parser.add_subparsers(dest="command", required=True)
    ingest = sub.add_parser("ingest", help="ingest folders, files or URLs (default: seeds/)")
    ingest.add_argument("sources", nargs="*", metavar="PATH|URL")
    ingest.add_argument("--json", action="store_true", help="print the report as JSON")
    ask = sub.add_parser("ask", help="answer one question")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the answer JSON")
    ask.add_argument("--top-k", type=int, default=None)
    ask.add_argument("--since", type=_date, help="only articles published on or after")
    ask.add_argument("--until", type=_date, help="only articles published on or before")
    ask.add_argument("--as-of", type=_date, help="answer as of this day (YYYY-MM-DD): no "
                     "later article is used, and 'this week', 'in October' … are read against it")
    sub.add_parser("chat", help="multi-turn chat in the terminal")
    articles = sub.add_parser("articles", help="list, show or delete articles")
    verbs = articles.add_subparsers(dest="verb", required=True)
    listing = verbs.add_parser("list")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--offset", type=int, default=0)
    listing.add_argument("--json", action="store_true")
    show = verbs.add_parser("show")
    show.add_argument("id")
    show.add_argument("--json", action="store_true")
    delete = verbs.add_parser("delete")
    delete.add_argument("id")
    delete.add_argument("--json", action="store_true")
    from qa import feeds_command as feeds
    from qa.models import commands as model

    model.add_arguments(sub.add_parser("model", help=model.HELP))
    feeds.add_arguments(sub.add_parser("feeds", help=feeds.HELP))
    for name, command in _plugins().items():
        command.add_arguments(sub.add_parser(name, help=command.HELP))
    return parser


def _plugins() -> dict[str, Any]:
    """Commands other packages register under the ``articleqa.commands`` entry point group
    (``serve`` from ``api``, ``eval`` from ``eval``): modules with ``HELP``,
    ``add_arguments(parser)`` and ``run(settings, args)`` returning the exit status."""
    from importlib.metadata import entry_points

    found = {}
    for ep in entry_points(group="articleqa.commands"):
        try:
            found[ep.name] = ep.load()
        except ImportError as exc:  # a broken plugin must not take the other commands down
            print(f"articleqa: warning: command {ep.name!r} unavailable: {exc}", file=sys.stderr)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
        if args.command == "model":
            from qa.models import commands as model

            return model.run(settings, args)
        if args.command == "feeds":
            from qa import feeds_command

            return feeds_command.run(settings, args)
        if args.command in (plugins := _plugins()):
            return int(plugins[args.command].run(settings, args))
        from qa.engine import QAEngine

        engine = QAEngine(settings)
        handler = {"ingest": _ingest, "ask": _ask, "chat": _chat, "articles": _articles}
        return handler[args.command](engine, args)
    except QAError as exc:
        print(f"articleqa: error: {exc}", file=sys.stderr)
        return 1
    except ValidationError as exc:  # settings that do not validate
        error = exc.errors()[0]
        name = "QA_" + str(error["loc"][0]).upper() if error["loc"] else "settings"
        print(f"articleqa: error: {name}: {error['msg']}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("articleqa: interrupted", file=sys.stderr)
        return 130


def _ingest(engine: Any, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    sources = args.sources or [str(engine.settings.seeds_dir)]
    with tqdm(unit=" articles", desc="ingesting", disable=None, leave=False) as bar:
        report = engine.ingest(sources, progress=lambda articles, _passages: bar.update(articles))
    counts = report.counts()
    if args.json:
        print(json.dumps(report.model_dump() | {"counts": counts}, indent=2))
    else:
        for failure in report.failed:
            print(f"failed: {failure['source']}: {failure['reason']}", file=sys.stderr)
        print(f"{counts['new']} new, {counts['updated']} updated, {counts['unchanged']} unchanged, "
              f"{counts['failed']} failed ({report.passages} passages written)")
        if report.copies:
            print(f"{len(report.copies)} of them stored as copies of a story already stored "
                  "(their outlets are named in its citations)")
    ingested = counts["new"] + counts["updated"] + counts["unchanged"]
    return 0 if ingested or not report.failed else 1


def _print_answer(answer: Answer) -> None:
    print(answer.answer)
    if answer.when:
        print(answer.when)
    if answer.differs:
        print(answer.differs)
    if answer.closest:
        c = answer.closest
        print(f"Closest the articles come: “{c.quote}” ({c.title})")
    for sentence in answer.sentences:
        if not sentence.supported:
            print(f"  (not supported by the sources: {sentence.text!r})")
    if answer.citations:
        print()
        for c in answer.citations:
            meta = ", ".join(x for x in (c.source, c.published_at) if x)
            print(f"[{c.id}] {c.title}" + (f" ({meta})" if meta else ""))
            print(f"    “{c.quote}”")
            if c.also_published_by:
                also = ", ".join(o.source or o.url or o.article_id for o in c.also_published_by)
                print(f"    also published by {also}")


def _ask(engine: Any, args: argparse.Namespace) -> int:
    if args.since and args.until and args.since > args.until:
        raise InvalidInput("--since is after --until")
    answer = engine.ask(args.question, top_k=args.top_k, since=args.since, until=args.until,
                        as_of=args.as_of)
    if args.json:
        print(answer.model_dump_json(indent=2))
    else:
        _print_answer(answer)
    if answer.refused and engine.stats()["articles"] == 0:
        print("articleqa: no articles yet; run `articleqa ingest [PATH|URL ...]` first",
              file=sys.stderr)
    return 0


def _chat(engine: Any, args: argparse.Namespace) -> int:
    count = engine.stats()["articles"]
    print(f"articleqa chat ({engine.mode} mode, {count} article{'' if count == 1 else 's'}). "
          "Ask a question; Ctrl-D or 'exit' to leave.")
    history: list[dict[str, str]] = []
    while True:
        try:
            question = input("\nyou> ").strip()
        except EOFError:
            print()
            return 0
        if question.lower() in {"exit", "quit", ":q"}:
            return 0
        if not question:
            continue
        try:
            answer = engine.chat([*history, {"role": "user", "content": question}])
        except QAError as exc:
            print(f"error: {exc}")
            continue
        print()
        _print_answer(answer)
        history += [{"role": "user", "content": question},
                    {"role": "assistant", "content": answer.answer}]


def _articles(engine: Any, args: argparse.Namespace) -> int:
    if args.verb == "list":
        rows = engine.list_articles(limit=args.limit, offset=args.offset)
        if args.json:
            print(json.dumps(rows, indent=2))
        for row in [] if args.json else rows:
            print(f"{row['id']}  {row['published_at'] or '----------'}  {row['title'][:90]}")
        if not rows and not args.json:
            print("no articles" + (" at this offset" if args.offset else
                                   "; run `articleqa ingest [PATH|URL ...]` to add some"))
        return 0
    if args.verb == "show":
        article = engine.get_article(args.id)
        if args.json:
            print(article.model_dump_json(indent=2))
        else:
            print(article.title)
            meta = [x for x in (article.source, article.published_at and
                                article.published_at.isoformat(), article.url) if x]
            if meta:
                print(" | ".join(meta))
            print()
            print(article.text)
        return 0
    engine.delete_article(args.id)
    print(json.dumps({"deleted": args.id}) if args.json else f"deleted {args.id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
