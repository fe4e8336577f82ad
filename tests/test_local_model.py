"""The real local model (Qwen2.5-Coder 0.5B, run in-process by llama.cpp) through the public
API: checked answers, bounded decoding, a fair bounded queue, streams a client can abandon.

``make test`` installs the model first (``articleqa model install qwen2.5-coder-0.5b-instruct``)
and sets ``QA_REQUIRE_LOCAL_MODEL=1``, so there a missing model fails these tests; a bare
``pytest`` without the model skips them, saying why.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from qa.answer.chat import yes_probability_of
from qa.config import Settings, default_models_dir
from qa.engine import QAEngine
from qa.index.embedding import Embedder
from qa.models.locate import find_local_model
from tests.conftest import ROOT, SEEDS, free_port, live, make_settings
from tests.invariants import check_invariants
from tests.sse import events
from tests.test_api import QUESTION, assert_error

SMALL = "qwen2.5-coder-0.5b-instruct"
LONG = "Why did NATO approve the deployment of additional forces to Kosovo? Explain in detail."
"""A question the evidence answers (so the model is asked) that invites a long answer."""
MODELS = Path(os.environ.get("QA_TEST_MODELS_DIR") or default_models_dir())


def _small_model_installed() -> bool:
    settings = Settings(_env_file=None, local_model=SMALL, models_dir=MODELS)  # type: ignore[call-arg]
    try:
        return find_local_model(settings) is not None
    except Exception:
        return False


if not _small_model_installed():
    why = (f"the local model {SMALL} is not installed in {MODELS}: "
           f"`articleqa model install {SMALL}` (make test does)")
    if os.environ.get("QA_REQUIRE_LOCAL_MODEL"):
        pytest.fail(why, pytrace=False)
    pytest.skip(why, allow_module_level=True)


def local_settings(data_dir: Path, **overrides: Any) -> Settings:
    overrides = {"answerer": "local", "local_model": SMALL, "models_dir": MODELS,
                 "llm_threads": 2, "llm_context": 2048, **overrides}
    return make_settings(data_dir, **overrides)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> QAEngine:
    engine = QAEngine(local_settings(tmp_path_factory.mktemp("local")), embedder=embedder)
    engine.ingest([str(SEEDS)])
    return engine


@pytest.fixture(scope="module")
def url(engine: QAEngine) -> Iterator[str]:
    with live(engine) as url:
        yield url


def ask(url: str, question: str) -> httpx.Response:
    return httpx.post(f"{url}/api/ask", json={"question": question}, timeout=120)


def test_health_names_the_local_model(url: str) -> None:
    health = httpx.get(f"{url}/health").json()
    assert health["mode"] == "llm"
    assert health["model"] == SMALL and health["model_runtime"] == "local"


@pytest.mark.parametrize("question", [
    QUESTION, "Who is Kosovo's prime minister?", "What did NATO approve?",
    "Which country helps Serbia destabilise the area, according to Kurti?"])
def test_answers_are_checked_and_cost_is_reported(url: str, engine: QAEngine,
                                                  question: str) -> None:
    response = ask(url, question)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["mode"] == "llm"
    from qa.types import Answer

    check_invariants(Answer.model_validate(answer), engine)
    usage = answer["usage"]
    assert usage["prompt_tokens"] > 0 and 0 < usage["completion_tokens"] <= 200
    # the evidence is the shortlisted sentences, not whole passages
    assert usage["prompt_tokens"] < 700


@pytest.mark.parametrize("question", [
    "What is the capital of France?", "Who won the 2018 football World Cup?"])
def test_an_answer_from_memory_is_never_shown_as_supported(url: str, engine: QAEngine,
                                                           question: str) -> None:
    answer = ask(url, question).json()
    # nothing in the evidence comes near an answer: refused without asking the model
    assert answer["refused"] and answer["usage"] is None
    from qa.types import Answer

    check_invariants(Answer.model_validate(answer), engine)
    for word in ("Paris", "France won", "Kylian", "Croatia"):
        shown = [s for s in answer["sentences"] if s["supported"] and word in s["text"]]
        assert not shown, f"{word!r} shown as supported: {shown}"


def test_the_deadline_stops_a_generation(tmp_path: Path, embedder: Embedder) -> None:
    engine = QAEngine(local_settings(tmp_path / "s", llm_deadline=0.5, llm_max_tokens=2000),
                      embedder=embedder)
    engine.ingest([str(SEEDS)])
    answer = engine.ask(LONG)
    assert answer.usage is not None and answer.usage.stopped == "deadline"
    assert answer.usage.completion_tokens < 2000


def test_concurrent_questions_queue_and_the_rest_are_told_to_retry(
        tmp_path: Path, embedder: Embedder) -> None:
    engine = QAEngine(local_settings(tmp_path / "s", llm_queue=1, llm_max_tokens=48),
                      embedder=embedder)
    engine.ingest([str(SEEDS)])
    with live(engine) as url, ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda _: ask(url, QUESTION), range(8)))
        statuses = sorted(r.status_code for r in responses)
        assert set(statuses) <= {200, 503} and 200 in statuses and 503 in statuses, statuses
        for busy in (r for r in responses if r.status_code == 503):
            assert_error(busy, 503, "upstream_busy", "busy")
            assert int(busy.headers["retry-after"]) >= 1
        assert ask(url, QUESTION).status_code == 200  # nothing is left holding the model


def test_a_client_that_leaves_a_stream_stops_its_generation(url: str, engine: QAEngine) -> None:
    model = engine.answerer.model  # type: ignore[attr-defined]
    before = model.stopped_early
    body = {"messages": [{"role": "user", "content": LONG}], "stream": True}
    with httpx.stream("POST", f"{url}/api/chat", json=body, timeout=120) as response:
        assert response.status_code == 200
        next(response.iter_lines())  # the first token has arrived; now hang up
    deadline = time.monotonic() + 60
    while model.stopped_early == before:
        assert time.monotonic() < deadline, "the abandoned generation was not stopped"
        time.sleep(0.1)
    assert ask(url, QUESTION).status_code == 200


def test_a_stream_is_the_draft_then_the_checked_answer(url: str) -> None:
    body = {"messages": [{"role": "user", "content": QUESTION}], "stream": True}
    with httpx.stream("POST", f"{url}/api/chat", json=body, timeout=120) as response:
        got = events(response)
    names = [name for name, _ in got]
    assert names[-1] == "done" and set(names[:-1]) <= {"quote", "token"}
    assert "quote" not in names[1:], "the checked quotes come first, once"
    assert got[-1][1]["mode"] == "llm"


def test_eval_runs_the_local_model_with_its_own_answers_and_report(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env |= {"QA_LOCAL_MODEL": SMALL, "QA_MODELS_DIR": str(MODELS), "QA_LLM_CONTEXT": "2048"}

    def evaluate(answerer: str) -> dict[str, Any]:
        report = tmp_path / answerer
        proc = subprocess.run(
            [sys.executable, "-m", "qa.cli", "eval", "--answerer", answerer, "--limit", "2",
             "--run-dir", str(run_dir), "--report", str(report)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
        return json.loads((report / "report.json").read_text())

    quoted = evaluate("extractive")
    written = evaluate("local")
    assert quoted["variant"] == "seed" and written["variant"] == "seed-local"
    assert quoted["config"]["mode"] == "extractive" and written["config"]["mode"] == "llm"
    assert written["config"]["llm_model"] == SMALL
    assert written["config"]["verifier"] == "heuristic"  # the 0.5B does not judge
    kept = {p.name: len(p.read_text().splitlines()) for p in run_dir.glob("answers*.jsonl")}
    assert kept == {"answers.jsonl": 2, "answers-local.jsonl": 2}  # each keeps its own
    again = evaluate("extractive")  # resumed from its own answers, not asked again
    assert [r["latency_ms"] for r in again["per_question"]] == [
        r["latency_ms"] for r in quoted["per_question"]]


def test_sigterm_ends_a_running_generation_and_the_service(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "QA_DATA_DIR": str(tmp_path / "store"), "QA_ANSWERER": "local",
           "QA_LOCAL_MODEL": SMALL, "QA_MODELS_DIR": str(MODELS), "QA_LLM_MAX_TOKENS": "4000",
           "QA_LLM_DEADLINE": "300", "QA_SEEDS_DIR": str(SEEDS)}
    proc = subprocess.Popen([sys.executable, "-m", "qa.cli", "serve", "--port", str(port)],
                            cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        body = {"messages": [{"role": "user", "content": LONG}], "stream": True}
        with httpx.stream("POST", f"{url}/api/chat", json=body, timeout=120) as response:
            next(response.iter_lines())  # generating now
            proc.send_signal(signal.SIGTERM)
            # a bound, not a speed measurement: without the stop it ran on for minutes.
            # uvicorn shuts down, then re-raises the signal: the exit status says SIGTERM
            assert proc.wait(timeout=30) in (0, -signal.SIGTERM)
        assert proc.stderr is not None
        assert "Finished server process" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_web_chat_answers_with_the_local_model(url: str, engine: QAEngine) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.browser import chromium
    from tests.test_ui import ANSWERED, ask_in_page

    with chromium() as driver:
        driver.get(url)
        WebDriverWait(driver, 20).until(
            lambda d: "(local)" in d.find_element(By.ID, "status").text)
        assert SMALL in driver.find_element(By.ID, "status").text
        message = ask_in_page(driver, url, QUESTION)
        WebDriverWait(driver, 120).until(
            lambda d: not d.find_elements(By.CSS_SELECTOR, ".msg.assistant.streaming"))
        message = driver.find_elements(By.CSS_SELECTOR, ANSWERED)[-1]
        shown = message.find_element(By.CLASS_NAME, "answer").text
        answer = engine.ask(QUESTION)  # the same question through the API's engine
        assert not answer.refused, answer.answer
        assert "[1]" in shown and message.find_elements(By.CSS_SELECTOR, ".cite")


def test_a_client_that_stops_waiting_for_an_answer_stops_its_generation(
        url: str, engine: QAEngine) -> None:
    model = engine.answerer.model  # type: ignore[attr-defined]
    before = model.stopped_early
    with pytest.raises(httpx.ReadTimeout):  # the client gives up and hangs up
        httpx.post(f"{url}/api/ask", json={"question": LONG}, timeout=3)
    deadline = time.monotonic() + 60
    while model.stopped_early == before:
        assert time.monotonic() < deadline, "the abandoned generation was not stopped"
        time.sleep(0.1)
    assert ask(url, QUESTION).status_code == 200


def test_the_small_model_reads_token_probabilities_but_does_not_judge(engine: QAEngine) -> None:
    from qa.prompts import load_prompt

    prompt = load_prompt("judge")
    evidence = "Kosovo accuses Serbia of destabilizing the area with Russia's help."
    same = engine.answerer.model.yes_probability(  # type: ignore[attr-defined]
        prompt.format(claim=evidence, evidence=evidence))
    unrelated = engine.answerer.model.yes_probability(  # type: ignore[attr-defined]
        prompt.format(claim="Serbia won the football world cup in Qatar.", evidence=evidence))
    assert 0.0 <= unrelated < same <= 1.0, (same, unrelated)
    # a poor judge (it doubts a claim that is its evidence, word for word): the catalogue
    # says so, and QA_VERIFIER=auto keeps the rules alone with it
    assert same < 0.6 and engine.verifier.name == "heuristic"
    assert engine.stats()["verifier"] == "heuristic"


def test_a_one_token_reading_does_not_depend_on_what_was_asked_before(
        engine: QAEngine) -> None:
    """The judge's P(none), the verdicts and the model's support check each read one
    token's probabilities; llama.cpp's reuse of a cached prompt prefix changes those by a
    little (its logits are not bit-for-bit the same for another batch split), which was
    enough to flip a question at the judge's threshold. Read again after another prompt
    sharing its start, the same prompt gives the same probabilities."""
    model = engine.answerer.model  # type: ignore[attr-defined]
    sentences = "\n".join(f"{i}. {s}" for i, s in enumerate([
        "The shootout resulted in the death of four people.",
        "NATO will send additional forces to Kosovo.",
        "The exact number of the additional forces has not been specified."], start=1))
    asked = (f"Sentences from news articles:\n{sentences}\n\nQuestion: {{}}\n\n"
             "Reply with the number only.")
    first = model.first_token(asked.format("How many people were injured in the shootout?"))
    model.first_token(asked.format("How many people died in the shootout?"))
    again = model.first_token(asked.format("How many people were injured in the shootout?"))
    assert first[0] and again == first


def test_a_draft_is_read_after_exactly_its_system_prompt(engine: QAEngine) -> None:
    """A draft's cached part is its system prompt, whatever came before (another question
    over the same sources, which shares more of its start; the same question, which shares
    all of it; a whole reading): the same split each time, so the same draft."""
    model = engine.answerer.model  # type: ignore[attr-defined]
    system = {"role": "system", "content": "You answer from the sources. Cite them as [n]."}
    sources = ("Sources:\n[1] Four people died in the shootout near the monastery, the "
               "police said.\n\nQuestion: ")
    asked = [system, {"role": "user", "content": sources + "How many people died?"}]
    first = model.chat(asked, 8)
    other = model.chat([system, {"role": "user", "content": sources + "Who said so?"}], 8)
    same = model.chat(asked, 8)
    model.first_token("Is the sky blue? Reply yes or no.")
    after_reading = model.chat(asked, 8)
    usages = [r.usage for r in (first, other, same, after_reading)]
    assert all(usages), usages
    cached = {u.cached_tokens for u in usages if u}
    assert len(cached) == 1 and 0 < cached.pop() < usages[0].prompt_tokens  # type: ignore[union-attr]
    assert same == first == after_reading


def test_a_reading_that_keeps_its_head_does_not_depend_on_what_was_asked_before(
        engine: QAEngine) -> None:
    """The support check's reading keeps its template's instructions evaluated in a slot
    of their own and evaluates only the rest: after an answer, after another claim of the
    same evidence (a longer shared start) and after a whole reading, the same probabilities,
    and they are a reading of the same prompt (close to the prompt read whole)."""
    from qa.prompts import head_of, load_prompt

    model = engine.answerer.model  # type: ignore[attr-defined]
    template = load_prompt("judge")
    head = head_of(template)
    assert head and "{" not in head and template.startswith(head)
    evidence = "Four people died in the shootout near the monastery, the police said."
    claim = template.format(evidence=evidence, claim="Four people died in the shootout.")
    other = template.format(evidence=evidence, claim="Five people were arrested.")
    first = model.first_token(claim, head)
    model.chat([{"role": "user", "content": "Who was at the monastery? Answer briefly."}], 8)
    model.first_token(other, head)
    after_other = model.first_token(claim, head)
    whole = model.first_token(claim)
    model.first_token(template.format(evidence="Kosovo accuses Serbia.", claim="Serbia wins."),
                      head)
    last = model.first_token(claim, head)
    assert first[0] and after_other == first and last == first
    assert abs(yes_probability_of(*whole) - yes_probability_of(*first)) < 0.1
