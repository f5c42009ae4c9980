"""`taskbot serve` as a subprocess on a free loopback port, for tests that attack the real
server (RSS, kill -9)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

TASKBOT = Path(sys.executable).with_name("taskbot")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]


@contextmanager
def serving(db_url: str, workdir: Path, env: dict[str, str] | None = None) -> Iterator[Server]:
    """Start `taskbot serve` on `db_url`; yields once it accepts connections."""
    port = free_port()
    full_env = os.environ | {"TASKBOT_SECRET_KEY": "k" * 32} | (env or {})
    log = open(workdir / "serve.log", "wb")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [str(TASKBOT), "--db", db_url, "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=workdir,
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.1)
        else:
            raise AssertionError("taskbot serve did not start")
        if proc.poll() is not None:
            raise AssertionError((workdir / "serve.log").read_text())
        yield Server(f"http://127.0.0.1:{port}", proc)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
