"""UI benchmark: first render of the Anxin client in headless Chromium, cold and warm, against a
bare Flet page served the same way in the same run, plus how long a tap takes to show.

    .venv/bin/python tests/bench/bench_ui.py [--runs 5]
    .venv/bin/python -m pytest tests/bench/bench_ui.py -s -q      # the same with 3 runs

Prints one JSON document. "cold" is a fresh browser context (empty cache); "warm" reloads in the
same context. Times are to the first usable screen in the semantics tree (a button a person can
press), in seconds; medians of the runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import flet as ft  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.bench.harness import emit, machine  # noqa: E402
from tests.e2e.conftest import CHROMIUM, FLAGS, PHONE, App  # noqa: E402
from tests.e2e.world import PASSWORD, build_world  # noqa: E402
from tests.live_server import serve_in_thread  # noqa: E402


def bare_page(page: ft.Page) -> None:
    page.add(ft.Text("Hello"), ft.Semantics(identifier="ready", content=ft.Button("Press me", on_click=lambda e: None)))


def first_render(browser, url: str, ready: str, runs: int, wait_font: bool) -> dict:
    cold, warm = [], []
    for _ in range(runs):
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        for bucket in (cold, warm):
            start = time.perf_counter()
            if wait_font:
                with page.expect_response(lambda r: "/fonts/" in r.url, timeout=60_000):
                    page.goto(url)
            else:
                page.goto(url)
            page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
            page.locator("flt-semantics-placeholder").evaluate("e => e.click()")
            page.locator(f'[flt-semantics-identifier="{ready}"]').first.wait_for(timeout=60_000)
            bucket.append(time.perf_counter() - start)
        context.close()
    return {"cold_s": round(statistics.median(cold), 3), "warm_s": round(statistics.median(warm), 3),
            "cold_runs": [round(x, 3) for x in cold], "warm_runs": [round(x, 3) for x in warm]}


def tap_latency(browser, url: str, runs: int) -> dict:
    """Sign in, then time keypad taps until the amount on screen changes (the person's feedback)."""
    app = App(browser.new_context(viewport=PHONE).new_page(), url)
    app.open()
    app.sign_in("jianguo", PASSWORD)
    app.tap("setup-care-off")
    start = time.perf_counter()
    app.tap("home-pay")
    app.wait("pay-merchant-code")
    open_pay = time.perf_counter() - start
    app.type("pay-merchant-code", "1")
    app.tap("pay-find-merchant")
    app.wait("key-1")
    app.idle()
    taps, expected = [], 0
    for i in range(runs):
        expected = expected * 10 + 1
        start = time.perf_counter()
        app.hook("key-1").click()
        app.wait_for_words("pay-amount", f"{expected:,}.00")
        taps.append(time.perf_counter() - start)
    app.page.context.close()
    return {"open_pay_screen_s": round(open_pay, 3),
            "keypad_tap_to_screen_ms": round(statistics.median(taps) * 1000, 1)}


def run(runs: int) -> dict:
    from wallet_api.config import Settings
    from wallet_api.db import make_engine
    from wallet_api.main import create_app
    from wallet_api.migrate import upgrade
    from ui.web import asgi_app

    home = Path(tempfile.mkdtemp(prefix="anxin-bench-ui-"))
    url = f"sqlite:///{home / 'wallet.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    settings = Settings(data_dir=home, database_url=url, secret_key="bench-secret-not-for-production",
                        argon2_time_cost=1, argon2_memory_kib=1024, checkpoint_interval_seconds=0)
    with serve_in_thread(create_app(settings)) as api:
        build_world(api)
        bare = ft.run(bare_page, export_asgi_app=True, no_cdn=True, assets_dir=str(home / "bare-assets"))
        with serve_in_thread(asgi_app(api, home / "client")) as anxin_url, serve_in_thread(bare) as bare_url, \
                sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            result = {
                "benchmark": "ui_first_render",
                "runs": runs,
                "viewport": PHONE,
                "baseline_bare_flet_page": first_render(browser, bare_url + "/", "ready", runs, wait_font=False),
                "anxin_sign_in_screen": first_render(browser, anxin_url + "/", "signin-submit", runs, wait_font=True),
                "interaction": tap_latency(browser, anxin_url + "/", runs),
            }
            browser.close()
    base, ours = result["baseline_bare_flet_page"], result["anxin_sign_in_screen"]
    # The machines are shared and noisy: the ratio to the bare page measured in this run is the figure.
    result["ratio_to_baseline"] = {"cold": round(ours["cold_s"] / base["cold_s"], 2),
                                   "warm": round(ours["warm_s"] / base["warm_s"], 2)}
    result["anxin_minus_baseline_s"] = {"cold": round(ours["cold_s"] - base["cold_s"], 3),
                                        "warm": round(ours["warm_s"] - base["warm_s"], 3)}
    result |= {"machine": machine(), "load_average": os.getloadavg()[0]}
    emit(result)
    return result


def test_ui_first_render() -> None:
    """For `make bench`: prints the same JSON (one run at a small ANXIN_BENCH_SCALE, as CI's smoke test asks)."""
    run(1 if float(os.environ.get("ANXIN_BENCH_SCALE", "1")) < 0.1 else 3)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    run(parser.parse_args().runs)
