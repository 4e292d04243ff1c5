"""`anxin app` and `anxin demo` as a person runs them: real processes, real ports, a real browser."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.e2e.conftest import App, PHONE
from tests.e2e.world import PASSWORD
from tests.live_server import free_port

ANXIN = [sys.executable, "-m", "app.cli"]
ROOT = Path(__file__).resolve().parents[2]


def start(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    # DISPLAY removed: with no display Flet serves and opens no browser (and --no-browser says so too).
    environment = {k: v for k, v in os.environ.items() if k != "DISPLAY"} | (env or {})
    return subprocess.Popen([*ANXIN, *args], cwd=ROOT, env=environment, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def wait_for_line(process: subprocess.Popen, pattern: str, seconds: float = 120) -> tuple[str, str]:
    """The first output line matching `pattern`, and all output up to it."""
    seen, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                break
            continue
        seen.append(line)
        if re.search(pattern, line):
            return line, "".join(seen)
    raise AssertionError(f"no line matching {pattern!r}; output was:\n{''.join(seen)}")


def wait_until_served(url: str, seconds: float = 60) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)      # Ctrl+C, as a person stops it
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_anxin_app_serves_the_client_offline_against_a_remote_server(stack, browser, tmp_path):
    world = stack[0]
    port = free_port()
    process = start(["app", "--server", world.api, "--port", str(port), "--no-browser",
                     "--data-dir", str(tmp_path)])
    try:
        line, _ = wait_for_line(process, r"Anxin Wallet app: http://127\.0\.0\.1:\d+")
        assert f"http://127.0.0.1:{port}" in line
        index = wait_until_served(f"http://127.0.0.1:{port}/")
        assert index.status_code == 200 and "Content-Security-Policy" in index.text
        font = httpx.get(f"http://127.0.0.1:{port}/fonts/wqy-microhei.ttc", timeout=10)
        assert font.status_code == 200 and len(font.content) > 1_000_000
        page = browser.new_context(viewport=PHONE).new_page()
        try:
            app = App(page, f"http://127.0.0.1:{port}/")
            app.open()
            app.sign_in("jianguo", PASSWORD)
            app.tap("setup-skip")                # a new device: the short setup first
            assert app.wait_for_words("home-balance", "CN¥").startswith("Your balance is CN¥")
        finally:
            page.context.close()
    finally:
        stop(process)


def test_anxin_demo_serves_api_and_app_and_prints_the_logins(tmp_path):
    api_port, app_port = free_port(), free_port()
    process = start(["demo", "--port", str(api_port), "--app-port", str(app_port), "--no-browser",
                     "--data-dir", str(tmp_path)])
    try:
        line, output = wait_for_line(process, r"Anxin Wallet app: http://127\.0\.0\.1:\d+", seconds=240)
        assert "nainai" in output and "anxin-demo-2026" in output and "135790" in output
        assert f"http://127.0.0.1:{app_port}" in line
        assert wait_until_served(f"http://127.0.0.1:{app_port}/").status_code == 200
        health = httpx.get(f"http://127.0.0.1:{api_port}/healthz", timeout=10)
        assert health.status_code == 200
    finally:
        stop(process)
