"""A real fleet for the tests: producer, workers, approver, real Redis, kernels of a Jupyter
server of its own, the fake OpenAI-compatible server for generation. Started once per test
session by ``tests/fleet/launch-fleet.ts`` (Node), which prints where everything is as JSON."""

from __future__ import annotations

import json
import os
import select
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from pyfleet import AsyncClient, Client

REPO = Path(__file__).resolve().parents[3]
LAUNCHER = Path(__file__).resolve().parent / "fleet" / "launch-fleet.ts"
START_TIMEOUT_S = 180


@dataclass
class Fleet:
    """Where the test fleet is, who may do what on it, and its fake LLM."""

    producer_url: str
    approver_url: str
    control_url: str
    producer_token: str
    producer_identity: str
    approver_token: str
    approver_identity: str
    viewer_token: str
    redis_prefix: str
    artifacts: str
    jupyter_url: str

    def client(self, **overrides: Any) -> Client:
        """A client with the approver role (override ``approver_token`` for another identity)."""
        opts: dict[str, Any] = {
            "url": self.producer_url,
            "token": self.producer_token,
            "approver_url": self.approver_url,
            "approver_token": self.approver_token,
        }
        opts.update(overrides)
        return Client(**opts)

    def async_client(self, **overrides: Any) -> AsyncClient:
        opts: dict[str, Any] = {
            "url": self.producer_url,
            "token": self.producer_token,
            "approver_url": self.approver_url,
            "approver_token": self.approver_token,
        }
        opts.update(overrides)
        return AsyncClient(**opts)

    def llm_replies(self, *replies: str) -> None:
        """Queues replies of the fake LLM, one per generation request, in order."""
        res = httpx.post(f"{self.control_url}/llm/enqueue", json={"steps": [{"reply": r} for r in replies]})
        res.raise_for_status()

    def ioc_put_count(self, pv: str) -> int:
        """Accepted puts of ``pv`` as the simulated IOC counted them (outside the user's code)."""
        res = httpx.get(f"{self.control_url}/ioc/put-count", params={"pv": pv})
        res.raise_for_status()
        count: int = res.json()["count"]
        return count

    def ioc_get(self, pv: str) -> Any:
        """The IOC's current value of ``pv``."""
        res = httpx.get(f"{self.control_url}/ioc/get", params={"pv": pv})
        res.raise_for_status()
        return res.json()["value"]

    def llm_prompts(self) -> list[str]:
        """Every chat request the fleet sent to the fake LLM so far, as one text each."""
        res = httpx.get(f"{self.control_url}/llm/requests")
        res.raise_for_status()
        return ["\n".join(m["content"] for m in r["messages"]) for r in res.json()["requests"]]


@pytest.fixture(scope="session")
def fleet() -> Iterator[Fleet]:
    if not (REPO / "node_modules" / ".package-lock.json").exists():
        pytest.fail(f"npm dependencies are not installed in {REPO}: run bash scripts/bootstrap.sh", pytrace=False)
    log = tempfile.NamedTemporaryFile(prefix="pyfleet-test-fleet-", suffix=".log", delete=False)  # noqa: SIM115
    env = {**os.environ, "PYFLEET_LOG_LEVEL": os.environ.get("PYFLEET_LOG_LEVEL", "warn")}
    proc = subprocess.Popen(
        ["node", "--import", "tsx", str(LAUNCHER)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        env=env,
    )
    assert proc.stdout is not None
    assert proc.stdin is not None
    try:
        line = _first_line(proc, START_TIMEOUT_S)
        if not line:
            pytest.fail(f"the test fleet did not start (exit {proc.poll()}); its log:\n{_tail(log.name)}", pytrace=False)
        yield Fleet(**json.loads(line))
    finally:
        # Closing stdin asks the launcher to stop; SIGTERM if it does not.
        proc.stdin.close()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
        if os.environ.get("PYFLEET_KEEP_FLEET_LOG"):
            print(f"test fleet log: {log.name}")
        else:
            os.unlink(log.name)


MARKER = b"pyfleet-test-fleet "


def _first_line(proc: subprocess.Popen[bytes], timeout: float) -> str:
    """The launcher's JSON line (after its marker; anything else it prints is skipped)."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    buf = b""
    fd = proc.stdout.fileno()
    while time.monotonic() < deadline:
        start = buf.find(MARKER)
        if start >= 0 and b"\n" in buf[start:]:
            return buf[start + len(MARKER) :].split(b"\n", 1)[0].decode()
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buf += chunk
        elif proc.poll() is not None:
            break
    return ""


def _tail(path: str, n: int = 60) -> str:
    with open(path, encoding="utf-8", errors="replace") as fh:
        return "".join(fh.readlines()[-n:])


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
