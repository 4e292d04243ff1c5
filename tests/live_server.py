"""A real uvicorn server on a free loopback port, in a thread, for tests that need true concurrency."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve_in_thread(app) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class AnxinServe:
    """`anxin serve` (production settings) in a child process on a free port, restartable.

    `env` adds or overrides ANXIN_* variables; the database, data dir and secret come from `settings`."""

    def __init__(self, settings, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.env = os.environ | {"ANXIN_DATABASE_URL": settings.sqlalchemy_url, "ANXIN_DATA_DIR": str(settings.data_dir),
                                 "ANXIN_SECRET_KEY": settings.secret_key} | (env or {})
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        Path(self.env["ANXIN_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
        log = open(Path(self.env["ANXIN_DATA_DIR"]) / "serve.log", "ab")  # what the server said, for a failure
        self.proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(self.port)],
                                     env=self.env, stdout=log, stderr=log, cwd=Path(__file__).resolve().parents[1])
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError(f"server did not come up: {(Path(self.env['ANXIN_DATA_DIR']) / 'serve.log').read_text()[-2000:]}")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
