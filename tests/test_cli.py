"""The ``articleqa`` command as a user runs it: a real process, a real store on disk."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import NO_MODELS, ROOT, SEEDS


def run(data_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env["QA_MODELS_DIR"] = str(NO_MODELS)  # an installed local model is not for these tests
    env.update(QA_DATA_DIR=str(data_dir), PYTHONWARNINGS="ignore")
    proc = subprocess.run([sys.executable, "-m", "qa.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli")
    out = run(path, "ingest").stdout
    assert "1 new, 0 updated, 0 unchanged, 0 failed" in out
    return path


def test_ingest_again_reports_unchanged(store: Path) -> None:
    assert "0 new, 0 updated, 1 unchanged, 0 failed" in run(store, "ingest", str(SEEDS)).stdout


def test_ask_json_follows_the_contract(store: Path) -> None:
    answer = json.loads(run(store, "ask", "How many people died in the shootout?", "--json").stdout)
    assert "four" in answer["answer"] and answer["refused"] is False
    assert answer["mode"] == "extractive"
    [citation] = answer["citations"]
    shown = json.loads(run(store, "articles", "show", citation["article_id"], "--json").stdout)
    assert shown["text"][citation["start"]:citation["end"]] == citation["quote"]
    assert set(answer) == {"question", "answer", "refused", "mode", "citations", "sentences",
                           "retrieved", "timings_ms", "usage", "closest", "note", "window",
                           "when", "differs", "verdict"}


def test_ask_prints_the_answer_and_its_sources(store: Path) -> None:
    out = run(store, "ask", "How many people died in the shootout?").stdout
    assert "four people [1]." in out and "[1] NATO Approves Deployment" in out


def test_articles_list_show_delete(tmp_path: Path) -> None:
    run(tmp_path, "ingest", str(SEEDS))
    [row] = json.loads(run(tmp_path, "articles", "list", "--json").stdout)
    assert row["title"].startswith("NATO Approves") and row["passages"] >= 3
    assert row["id"] in run(tmp_path, "articles", "list").stdout
    assert "Albin Kurti" in run(tmp_path, "articles", "show", row["id"]).stdout
    assert f"deleted {row['id']}" in run(tmp_path, "articles", "delete", row["id"]).stdout
    assert json.loads(run(tmp_path, "articles", "list", "--json").stdout) == []


@pytest.mark.parametrize(("args", "message"), [
    (["articles", "show", "nope"], "no article with id 'nope'"),
    (["ask", "   "], "the question is empty"),
    (["ingest", "does/not/exist"], "no such file, folder or URL"),
])
def test_errors_are_one_line_and_non_zero(store: Path, args: list[str], message: str) -> None:
    proc = run(store, *args, check=False)
    assert proc.returncode != 0
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_an_empty_store_says_so(tmp_path: Path) -> None:
    assert "no articles; run `articleqa ingest" in run(tmp_path, "articles", "list").stdout
    proc = run(tmp_path, "ask", "How many people died?")
    assert "do not answer" in proc.stdout and "no articles yet" in proc.stderr


def test_since_after_until_names_the_flags(store: Path) -> None:
    proc = run(store, "ask", "What happened?", "--since", "2024-01-01", "--until", "2023-01-01",
               check=False)
    assert proc.returncode == 1 and "--since is after --until" in proc.stderr


def test_as_of_answers_with_the_day_and_its_window(store: Path) -> None:
    proc = run(store, "ask", "How many people died in the shootout this week?", "--as-of",
               "2023-10-06", "--json")
    answer = json.loads(proc.stdout)
    window = answer["window"]  # the seed article has no date: the week holds nothing
    assert window["as_of"] == "2023-10-06" and window["expression"] == "this week"
    assert window["widened"] is True and not answer["refused"]
    text = run(store, "ask", "How many people died in the shootout?", "--as-of", "2023-10-06")
    assert "As of 6 October 2023." in text.stdout
    bad = run(store, "ask", "What happened?", "--as-of", "soon", check=False)
    assert bad.returncode == 2 and "not a date" in bad.stderr


def test_a_bad_date_is_a_usage_error(store: Path) -> None:
    proc = run(store, "ask", "What happened?", "--since", "yesterday", check=False)
    assert proc.returncode == 2 and "not a date" in proc.stderr and "Traceback" not in proc.stderr


def test_a_bad_setting_is_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env["QA_MODELS_DIR"] = str(NO_MODELS)  # an installed local model is not for these tests
    env.update(QA_DATA_DIR=str(tmp_path), QA_TOP_K="lots")
    proc = subprocess.run([sys.executable, "-m", "qa.cli", "ask", "hi"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "QA_TOP_K" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_chat_answers_follow_ups(store: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env["QA_MODELS_DIR"] = str(NO_MODELS)  # an installed local model is not for these tests
    env.update(QA_DATA_DIR=str(store))
    proc = subprocess.run(
        [sys.executable, "-m", "qa.cli", "chat"], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=300,
        input="Who is Albin Kurti?\nWhat did he say Kosovo will not allow?\nexit\n")
    assert proc.returncode == 0, proc.stderr
    assert "clock to be turned back" in proc.stdout
