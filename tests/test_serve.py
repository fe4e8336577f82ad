"""``articleqa serve`` as a user runs it: a real process that seeds an empty store, serves
the API and the UI, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import NO_MODELS, ROOT, SEEDS, free_port


def start(data_dir: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env["QA_MODELS_DIR"] = str(NO_MODELS)  # an installed local model is not for these tests
    env.update(QA_DATA_DIR=str(data_dir), QA_SEEDS_DIR=str(SEEDS), QA_PORT=str(port))
    proc = subprocess.Popen([sys.executable, "-m", "qa.cli", "serve", *args], cwd=ROOT,
                            env=env, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("articleqa serve did not answer /health within 120 s")


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    return err


def test_serve_seeds_an_empty_store_once(tmp_path: Path) -> None:
    proc, url = start(tmp_path)
    try:
        assert httpx.get(f"{url}/health").json()["articles"] == 1
        assert "<title>articleqa</title>" in httpx.get(url).text
        answer = httpx.post(f"{url}/api/ask", json={"question": "How many people died in "
                                                    "the shootout?"}, timeout=30).json()
        assert "four people" in answer["answer"]
    finally:
        first = stop(proc)
    assert "ingested" in first and f"serving on {url}" in first
    proc, url = start(tmp_path)
    second = stop(proc)
    assert "ingested" not in second  # the store was not empty: nothing re-read


def test_serve_refuses_a_bad_port_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env["QA_MODELS_DIR"] = str(NO_MODELS)  # an installed local model is not for these tests
    env.update(QA_DATA_DIR=str(tmp_path), QA_PORT="not-a-port")
    proc = subprocess.run([sys.executable, "-m", "qa.cli", "serve"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "articleqa: error: QA_PORT: Input should be a valid integer, unable to parse string "
        "as an integer"]
