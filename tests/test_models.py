"""Installing local models: only the official bytes are ever put where a model is looked for,
a wrong or partial file is reported, and any GGUF works by path (``articleqa model``)."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.config import Settings, default_models_dir
from qa.errors import InvalidInput, ModelError
from qa.models.catalogue import catalogue, check_gguf, default_name, lookup
from qa.models.install import install, installed_path
from qa.models.locate import find_local_model
from tests.conftest import NO_MODELS, ROOT

SMALL = "qwen2.5-coder-0.5b-instruct"
INSTALLED = Path(os.environ.get("QA_TEST_MODELS_DIR") or default_models_dir()) / lookup(
    SMALL).file


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    full.update({"QA_MODELS_DIR": str(NO_MODELS), "PYTHONWARNINGS": "ignore", **env})
    return subprocess.run([sys.executable, "-m", "qa.cli", *args], cwd=ROOT, env=full,
                          capture_output=True, text=True, timeout=300)


def test_the_catalogue_names_the_official_files() -> None:
    models = catalogue()
    assert next(iter(models)) == default_name() == "qwen2.5-coder-1.5b-instruct"
    for entry in models.values():
        assert len(entry.sha256) == 64 and entry.bytes > 100_000_000
        assert entry.url.startswith("https://huggingface.co/Qwen/") and entry.url.endswith(
            entry.file)
        assert entry.packages is not None
        assert entry.packages.member_of(3).endswith("/data/part03.bin")
    with pytest.raises(InvalidInput, match="no model called"):
        lookup("gpt-5")


def test_a_wrong_file_is_refused_and_nothing_is_left_behind(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.gguf"
    wrong.write_bytes(b"GGUF" + b"\0" * 1000)
    models = tmp_path / "models"
    with pytest.raises(ModelError, match="1,004 bytes, not 491,400,064"):
        install(lookup(SMALL), models, from_path=wrong)
    assert sorted(p.name for p in models.iterdir()) == []


def test_a_file_changed_after_install_is_caught_before_use(tmp_path: Path) -> None:
    entry = lookup(SMALL)
    fake = tmp_path / entry.file
    with fake.open("wb") as out:  # the right size, the wrong bytes
        out.truncate(entry.bytes)
    with pytest.raises(ModelError, match="sha256"):
        installed_path(entry, tmp_path)
    settings = Settings(_env_file=None, models_dir=tmp_path, local_model=SMALL)  # type: ignore[call-arg]
    with pytest.raises(ModelError, match="reinstall"):
        find_local_model(settings)


@pytest.mark.skipif(not INSTALLED.is_file(), reason=f"{SMALL} is not installed (make test does)")
def test_install_from_a_copy_checks_it_and_list_shows_it(tmp_path: Path) -> None:
    models = tmp_path / "models"
    done = cli("model", "install", SMALL, "--from", str(INSTALLED), QA_MODELS_DIR=str(models))
    assert done.returncode == 0, done.stderr
    assert "installed and verified" in done.stdout
    assert (models / INSTALLED.name).stat().st_size == INSTALLED.stat().st_size
    listed = cli("model", "list", QA_MODELS_DIR=str(models))
    row = next(line for line in listed.stdout.splitlines() if SMALL in line)
    assert "installed" in row and "not installed" not in row and row.startswith("*")
    again = cli("model", "install", SMALL, QA_MODELS_DIR=str(models))  # already there: instant
    assert again.returncode == 0 and "installed and verified" in again.stdout


def test_any_gguf_by_path_but_only_a_gguf(tmp_path: Path) -> None:
    not_gguf = tmp_path / "model.gguf"
    not_gguf.write_text("hello")
    with pytest.raises(InvalidInput, match="not a GGUF model file"):
        check_gguf(not_gguf)
    done = cli("ask", "anything", QA_DATA_DIR=str(tmp_path / "store"),
               QA_LLM_MODEL_PATH=str(not_gguf))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("articleqa: error: ")
    assert "not a GGUF model file" in done.stderr
    missing = cli("ask", "anything", QA_DATA_DIR=str(tmp_path / "store"),
                  QA_ANSWERER="local")
    assert missing.returncode == 1 and "articleqa model install" in missing.stderr


def test_an_unknown_model_name_is_a_one_line_error() -> None:
    done = cli("model", "install", "no-such-model")
    assert done.returncode == 1
    assert done.stderr.strip() == ("articleqa: error: no model called 'no-such-model' in the "
                                   "catalogue; known: " + ", ".join(catalogue()))


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[str]:
    """A real HTTP server on loopback, serving ``folder``."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.skipif(not INSTALLED.is_file(), reason=f"{SMALL} is not installed (make test does)")
def test_install_from_a_url_checks_what_arrives(tmp_path: Path) -> None:
    entry = lookup(SMALL)
    with serving(INSTALLED.parent) as url:
        whole = dataclasses.replace(entry, url=f"{url}/{entry.file}")
        path = install(whole, tmp_path / "models", source="url")
    assert path.stat().st_size == entry.bytes and installed_path(entry, tmp_path / "models")
    cut = tmp_path / "cut"
    cut.mkdir()
    with INSTALLED.open("rb") as source:  # a download that stops half way
        (cut / entry.file).write_bytes(source.read(entry.bytes // 2))
    with serving(cut) as url:
        partial = dataclasses.replace(entry, url=f"{url}/{entry.file}")
        with pytest.raises(ModelError, match="incomplete"):
            install(partial, tmp_path / "other", source="url")
    assert list((tmp_path / "other").iterdir()) == []
