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
        # Its own process group: with several workers, kill() and stop() reach every process of the server.
        self.proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(self.port)],
                                     env=self.env, stdout=log, stderr=log, cwd=Path(__file__).resolve().parents[1],
                                     start_new_session=True)
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError(f"server did not come up: {(Path(self.env['ANXIN_DATA_DIR']) / 'serve.log').read_text()[-2000:]}")

    def workers(self) -> list[int]:
        """The pids of the server's worker processes (uvicorn spawns them when ANXIN_WORKERS > 1)."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        return [int(pid) for pid in children
                if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server's processes have used so far: the supervisor and its children."""
        pids = [self.proc.pid, *(int(p) for p in
                                 Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split())]
        ticks = 0
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
        return ticks / os.sysconf("SC_CLK_TCK")

    def kill(self) -> None:
        """kill -9 the whole server: the supervisor and its workers (a worker outlives a killed supervisor)."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # until the workers are gone and the port is free again
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                return
            with socket.socket() as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind(("127.0.0.1", self.port))
                    return  # only zombies left, waiting for init to reap them
                except OSError:
                    time.sleep(0.05)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)  # the supervisor stops its workers gracefully
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
