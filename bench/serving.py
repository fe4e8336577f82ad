"""The service as ``bench/query.py`` measures it: ``uvicorn api.main:app`` over one store in
its own process (RSS and CPU read with psutil), and clients asking it over HTTP."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psutil
from common import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 900,
               hint: str = "") -> dict[str, Any]:
    """The service's /health once it is up with its keyword index built (a large store's is
    built after start-up, questions meanwhile use the dense index alone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"bench: the service exited ({process.returncode}){hint}")
        try:
            got = httpx.get(url + "/health", timeout=5)
            health: dict[str, Any] = got.json() if got.status_code == 200 else {}
            if health.get("keyword_index", "ready") == "ready":
                return health
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.kill()
    raise SystemExit(f"bench: the service was not ready in {timeout:.0f} s{hint}")


def cpu_seconds(process: psutil.Process) -> float:
    """User and system CPU seconds ``process`` has used."""
    times = process.cpu_times()
    return float(times.user + times.system)


class Service:
    """``uvicorn api.main:app`` over one store, in its own process."""

    def __init__(self, store: Path, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("QA_") and k != "OPENAI_API_KEY"}
        env |= {"QA_DATA_DIR": str(store), "QA_PORT": str(self.port), "QA_ANSWERER": "extractive",
                "QA_RATE_LIMIT": "0", "PYTHONPATH": str(ROOT)} | (extra_env or {})
        self.log = open(store.parent / f"service-{self.port}.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "api.main:app", "--host", "127.0.0.1",
             "--port",
             str(self.port), "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.ps = psutil.Process(self.process.pid)
        self.peak_rss = 0.0

    def wait_ready(self, timeout: float = 900) -> dict[str, Any]:
        """Up, with its keyword index built (a large store's is built after start-up)."""
        return wait_ready(self.url, self.process, timeout, f"; see {self.log.name}")

    def rss_mb(self) -> float:
        rss = self.ps.memory_info().rss / 2**20
        self.peak_rss = max(self.peak_rss, rss)
        return rss

    def cpu_s(self) -> float:
        return cpu_seconds(self.ps)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


class Sampler:
    """Samples the service's RSS every 0.2 s while it runs."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            try:
                self.service.rss_mb()
            except psutil.Error:
                return

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def load(url: str, questions: list[str], clients: int) -> dict[str, Any]:
    """Every question asked once through ``POST /api/ask`` by ``clients`` threads, each on
    its own keep-alive connection. The clients share the cores with the service, so they are
    kept light: the standard library's ``http.client``, bodies read as bytes and parsed after
    the clock stops (httpx from 16 threads took 9.7 ms of CPU a question, measured: more than
    half of what the service spent answering it)."""
    pending = iter(questions)
    lock = threading.Lock()
    replies: list[tuple[int, float, bytes]] = []
    address = urlsplit(url)

    def client() -> None:
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=600)
        try:
            while True:
                with lock:
                    question = next(pending, None)
                if question is None:
                    return
                body = json.dumps({"question": question}).encode()
                started = time.perf_counter()
                connection.request("POST", "/api/ask", body,
                                   {"Content-Type": "application/json"})
                got = connection.getresponse()
                data = got.read()
                took = time.perf_counter() - started
                with lock:
                    replies.append((got.status, took, data))
        finally:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    latencies = [took for status, took, _ in replies if status == 200]
    server = [json.loads(data).get("timings_ms", {}) for status, _, data in replies
              if status == 200]
    errors = [f"{status} {data[:120]!r}" for status, _, data in replies if status != 200]
    return {"latencies": latencies, "wall_s": wall, "throughput": len(latencies) / wall,
            "errors": errors, "server": server}
