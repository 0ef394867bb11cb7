"""Start `lawful serve` as a real process for tests that need one."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_server(
    database_url: str, var_dir: Path, *, rules: Path | None = None, workers: int = 1, env: dict[str, str] | None = None
) -> Iterator[str]:
    """Run the server until the block ends; yield its base URL."""
    port = free_port()
    environment = {**os.environ, "LAWFUL_VAR": str(var_dir), "LAWFUL_SWEEP_INTERVAL": "60", **(env or {})}
    command = [
        sys.executable,
        "-m",
        "api.cli",
        "serve",
        "--port",
        str(port),
        "--database",
        database_url,
        "--workers",
        str(workers),
        "--rules",
        str(rules or ROOT / "rules" / "gdpr"),
    ]
    log = (var_dir / f"server-{port}.log").open("w")
    process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {(var_dir / f'server-{port}.log').read_text()[-2000:]}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
