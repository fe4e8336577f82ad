"""Runs a dataset: ingests its corpus, asks every question (in-process through ``QAEngine``
or over HTTP against a running service) and keeps every answer in ``answers.jsonl``
(``answers-local.jsonl``, ``answers-remote.jsonl`` when a language model writes), so an
interrupted run resumes where it stopped and each answerer keeps its own answers."""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import httpx

from eval.datasets import Dataset, Question
from qa.engine import QAEngine
from qa.errors import QAError
from qa.types import Answer, Article

HTTP_BATCH = 50
MAX_WAITS = 30
"""Times a question is asked again after a 429 (rate limited) before the run fails."""
ANSWERS = "answers.jsonl"


def answers_name(variant: str) -> str:
    """The file of a variant's answers: ``answers.jsonl`` for the extractive answerer,
    ``answers-local.jsonl`` for ``local`` and so on."""
    return ANSWERS if not variant else f"answers-{variant}.jsonl"


class Asker(Protocol):
    label: str

    @property
    def variant(self) -> str: ...

    def ingest(self, articles: Sequence[Article],
               progress: Callable[[int], object] | None = None) -> dict[str, int]: ...

    def ask(self, question: str, as_of: date | None = None) -> Answer: ...

    def config(self) -> dict[str, Any]: ...


class InProcess:
    def __init__(self, engine: QAEngine) -> None:
        self.engine = engine
        self.label = f"in-process ({engine.mode})"

    def ingest(self, articles: Sequence[Article],
               progress: Callable[[int], object] | None = None) -> dict[str, int]:
        report = self.engine.ingest_items(articles, progress and (lambda n, _: progress(n)))
        return report.counts()

    def ask(self, question: str, as_of: date | None = None) -> Answer:
        return self.engine.ask(question, as_of=as_of)

    def config(self) -> dict[str, Any]:
        s, stats = self.engine.settings, self.engine.stats()
        return {"mode": self.engine.mode, "embedder": self.engine.embedder.identity,
                "top_k": s.top_k, "answer_threshold": s.answer_threshold,
                "support_threshold": s.support_threshold, "llm_model": stats["model"],
                "verifier": stats["verifier"],
                **({"answerability": f"model (P(none) < {s.none_threshold})"}
                   if self.engine.quoter.judge is not None else {})}

    @property
    def variant(self) -> str:
        """"" for the extractive answerer, else where its model runs (``local``/``remote``)."""
        return self.engine.stats()["model_runtime"] or ""


class OverHTTP:
    def __init__(self, url: str, api_key: str | None = None, timeout: float = 120) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout)
        self.label = f"HTTP {url}"
        try:
            self.health = self._json(self.client.get("/health"))
        except httpx.HTTPError as exc:
            raise QAError(f"cannot reach the articleqa service at {url}: {exc}") from None

    def ingest(self, articles: Sequence[Article],
               progress: Callable[[int], object] | None = None) -> dict[str, int]:
        counts = {"new": 0, "updated": 0, "unchanged": 0, "failed": 0}
        for i in range(0, len(articles), HTTP_BATCH):
            batch = [a.model_dump(mode="json", exclude={"id", "origin"})
                     for a in articles[i:i + HTTP_BATCH]]
            report = self._json(self.client.post("/api/articles", json={"articles": batch}))
            for key in counts:
                counts[key] += report["counts"][key]
            if progress:
                progress(len(batch))
        return counts

    def held_articles(self) -> int:
        return int(self._json(self.client.get("/health"))["articles"])

    def ask(self, question: str, as_of: date | None = None) -> Answer:
        body = {"question": question} | ({"as_of": as_of.isoformat()} if as_of else {})
        for _ in range(MAX_WAITS):
            response = self.client.post("/api/ask", json=body)
            if response.status_code != 429:
                break
            # the service's per-client rate limit: wait as long as it says, then ask again
            time.sleep(float(response.headers.get("Retry-After", "1")))
        return Answer.model_validate(self._json(response))

    def config(self) -> dict[str, Any]:
        return {"mode": self.health.get("mode"), "embedder": self.health.get("embedder"),
                "model": self.health.get("model"), "verifier": self.health.get("verifier"),
                "url": str(self.client.base_url)}

    @property
    def variant(self) -> str:
        return self.health.get("model_runtime") or ""

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        if response.status_code >= 400:
            try:
                message = response.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = response.text[:200]
            raise QAError(f"HTTP {response.status_code} from {response.url}: {message}")
        return response.json()


def prepare(run_dir: Path, dataset: Dataset, store_stamp: dict[str, Any],
            fresh: bool = False) -> list[str]:
    """Make ``run_dir`` fit this run before anything is ingested: another corpus or
    embedder (or ``fresh``) empties the store, other questions drop every kept answer.
    Returns what was reset, to say so."""
    run_dir.mkdir(parents=True, exist_ok=True)
    stamp_path = run_dir / "run.json"
    old = json.loads(stamp_path.read_text()) if stamp_path.exists() else {}
    stamp = {"dataset": dataset.name, **dataset.fingerprint(), "store": store_stamp}
    reset = []
    if fresh or any(old.get(k) != stamp[k] for k in ("dataset", "corpus", "store")):
        shutil.rmtree(run_dir / "store", ignore_errors=True)
        reset.append("store")
    if reset or old.get("questions") != stamp["questions"]:
        for answers in run_dir.glob("answers*.jsonl"):
            answers.unlink()
        reset.append("answers")
    stamp_path.write_text(json.dumps(stamp | {"askers": old.get("askers", {})}, indent=2))
    return reset


def forget(run_dir: Path, variant: str) -> bool:
    """Drop one variant's kept answers (``--reask``), keeping the other variants': asking
    the extractive answerer again must not cost the local model's hour of answers."""
    answers = run_dir / answers_name(variant)
    existed = answers.exists()
    answers.unlink(missing_ok=True)
    return existed


def run(dataset: Dataset, asker: Asker, run_dir: Path,
        progress: Callable[[Question], object] | None = None,
        variant: str = "", dated: bool = True) -> list[dict[str, Any]]:
    """Every question's record (``id``, ``answer``, ``latency_ms``, ``error``). Records kept
    from an earlier run of the same questions by the same asker are not asked again;
    those that failed are. Each ``variant`` (see ``answers_name``) keeps its own."""
    name = answers_name(variant)
    answers, stamp_path = run_dir / name, run_dir / "run.json"
    stamp = json.loads(stamp_path.read_text())
    askers = stamp.get("askers", {})
    if askers.get(name) != asker.config():
        answers.unlink(missing_ok=True)
        stamp_path.write_text(json.dumps(stamp | {"askers": askers | {name: asker.config()}},
                                         indent=2))
    done = _kept(answers)
    if done:
        kept = sum(1 for q in dataset.questions if q.id in done and not done[q.id].get("error"))
        print(f"resuming: {kept} of {len(dataset.questions)} answers kept from an earlier run",
              file=sys.stderr)
    with answers.open("a", encoding="utf-8") as out:
        for question in dataset.questions:
            if question.id not in done or done[question.id].get("error"):
                done[question.id] = _ask(asker, question, dated)
                out.write(json.dumps(done[question.id], ensure_ascii=False) + "\n")
                out.flush()
            if progress:
                progress(question)
    return [done[q.id] for q in dataset.questions]


def _kept(answers: Path) -> dict[str, dict[str, Any]]:
    """The records of an earlier run; a last line cut short by an interruption is dropped
    from the file, so that the next record starts on a line of its own."""
    if not answers.exists():
        return {}
    text = answers.read_text(encoding="utf-8")
    if text and not text.endswith("\n"):
        text = text[:text.rfind("\n") + 1]
        answers.write_text(text, encoding="utf-8")
    done = {}
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        done[record["id"]] = record
    return done


def _ask(asker: Asker, question: Question, dated: bool) -> dict[str, Any]:
    """One question's record; any failure is kept in it (and asked again on resume). With
    ``dated``, the question is asked as of its own date, when it has one."""
    started = time.perf_counter()
    try:
        answer: dict[str, Any] | None = asker.ask(
            question.question, question.as_of if dated else None).model_dump(mode="json")
        error = None
    except Exception as exc:  # one question's failure must not end the run
        answer, error = None, f"{type(exc).__name__}: {exc}"
    latency = round((time.perf_counter() - started) * 1000, 1)
    return {"id": question.id, "answer": answer, "latency_ms": latency, "error": error}
