"""The real app in headless Chromium, driven through Flutter's semantics tree.

One backend (uvicorn, SQLite, the small world of tests/e2e/world.py), one client (flet-web,
offline) and one browser for the whole session; each test gets a fresh browser context.
Debian's chromium is used directly (`playwright install` is never run: it downloads).
Every test fails if the page asks any host but 127.0.0.1 for anything.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e.domain_world import Domains, build_domains
from tests.e2e.family_world import Family, build_family
from tests.e2e.world import World, build_world
from tests.fakes import FakeOsKeychain
from tests.live_server import serve_in_thread
from wallet_api.config import Settings
from wallet_api.db import make_engine
from wallet_api.main import create_app
from wallet_api.migrate import upgrade

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 412, "height": 915}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
FAILURES = Path(__file__).resolve().parents[2] / "var" / "e2e-failures"
# The one outside request Flet's web client makes (a rive animation runtime from a CDN). It cannot
# be removed from the prebuilt client, so our page's Content-Security-Policy blocks it in the
# browser: it is allowed here by name and only when the browser refused it ("csp").
RIVE = "https://cdn.jsdelivr.net/npm/@rive-app/flutter-native-wasm@"
TIMEOUT_MS = 30_000
# The first load compiles CanvasKit (wasm) and lays out a 5 MB font on the page's one thread; on a
# busy 2-core machine that alone has taken over 30 s. Patience there, not in every interaction.
FIRST_LOAD_MS = 120_000


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[tuple[World, str, Domains]]:
    home = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{home / 'wallet.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    settings = Settings(data_dir=home, database_url=url, secret_key="e2e-secret-not-for-production",
                        argon2_time_cost=1, argon2_memory_kib=1024, checkpoint_interval_seconds=2)
    from ui.web import asgi_app
    from wallet_api import admin
    with serve_in_thread(create_app(settings)) as api:
        world = build_world(api)
        with httpx.Client(base_url=api, timeout=30) as http:
            domains = build_domains(http, world, lambda username, role: admin.grant(settings, username, role))
        # The app's device keys (payment codes) go to a stand-in OS keychain: this machine has none.
        with serve_in_thread(asgi_app(api, home / "client", keychain=FakeOsKeychain())) as client_url:
            yield world, client_url, domains


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@dataclass
class Outside:
    """Requests for anything not on this machine."""

    seen: list[str] = field(default_factory=list)
    blocked: dict[str, str] = field(default_factory=dict)

    def offences(self) -> list[str]:
        return [u for u in self.seen if not (u.startswith(RIVE) and self.blocked.get(u) == "csp")]


def _local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("blob", "data") or parts.hostname == "127.0.0.1"


class App:
    """A person's view of the app: find things by their stable hooks or accessible names, tap, type."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        self.url = url

    def open(self) -> float:
        """Load the app and switch on its semantics tree; returns seconds to the first usable screen."""
        start = time.perf_counter()
        with self.page.expect_response(lambda r: "/fonts/" in r.url and r.ok, timeout=FIRST_LOAD_MS):
            self.page.goto(self.url, timeout=FIRST_LOAD_MS)
        self.page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=FIRST_LOAD_MS)
        self.page.locator("flt-semantics-placeholder").evaluate("e => e.click()", timeout=FIRST_LOAD_MS)
        self.hook("signin-submit").wait_for(timeout=FIRST_LOAD_MS)
        return time.perf_counter() - start

    def hook(self, identifier: str) -> Locator:
        return self.page.locator(f'[flt-semantics-identifier="{identifier}"]').first

    def idle(self) -> None:
        """Wait while the app shows it is busy (a person waits for the "Loading…" line too): a
        screen being redrawn replaces its controls, and a tap on a control being replaced is lost."""
        self.page.locator('[flt-semantics-identifier="busy"]').wait_for(state="detached", timeout=TIMEOUT_MS)

    def tap(self, identifier: str) -> None:
        self.hook(identifier).wait_for(timeout=TIMEOUT_MS)
        self.idle()
        self.into_view(identifier)
        self.hook(identifier).click()

    def into_view(self, identifier: str) -> None:
        """Scroll with the mouse wheel over the app, as a person would, until the control lies inside the
        window (only when it does not already), and wait until it stops moving. Playwright cannot scroll
        for us: the app is one Flutter canvas, and the semantics nodes over it are in no scrollable element.
        A tap is a pointer event at a place on the canvas, so it must land where the control is now."""
        node, window = self.hook(identifier), self.page.viewport_size
        last = None
        for _attempt in range(40):
            box = node.bounding_box()
            if box is None:                     # being replaced (a redraw): look again in a moment
                last = None
                self.page.wait_for_timeout(100)
                continue
            top, bottom = box["y"], box["y"] + box["height"]
            inside = (0 <= top and bottom <= window["height"]) or (
                box["height"] > window["height"] and top < window["height"] / 2 < bottom)
            if not inside:
                self.page.mouse.move(window["width"] / 2, window["height"] / 2)
                self.page.mouse.wheel(0, (top + bottom) / 2 - window["height"] / 2)
                last = None
                self.page.wait_for_timeout(250)     # the scroll lands and the semantics nodes move with it
                continue
            if box == last:
                return                          # on screen, and where it was a frame ago
            last = box
            self.page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        raise AssertionError(f"could not bring {identifier!r} into view; on screen: {self.on_screen()}")

    def type(self, identifier: str, text: str) -> None:
        """Tap a text field and type, as a person would: only once the field has the keyboard (Flutter
        focuses its editing <input> a frame after the tap; keys sent before that are lost), and
        again if the tap gave it no keyboard, what arrived is not what was typed, or a redraw then
        emptied the field again."""
        for _attempt in range(3):
            self.tap(identifier)
            try:
                self.page.wait_for_function(
                    "() => ['INPUT', 'TEXTAREA'].includes(document.activeElement?.tagName)", timeout=TIMEOUT_MS / 3)
            except PlaywrightTimeout:
                continue        # the tap landed while the screen was being redrawn (a new screen): tap again
            self.page.keyboard.type(text)
            if self.page.evaluate("() => document.activeElement?.value ?? ''") == text:
                # A redraw already on its way (a load finishing as the screen opened) can still set the field
                # back to what the app had before the keys reached it; a person would see that and type again.
                self.page.wait_for_timeout(300)
                self.idle()
                if self.hook(identifier).evaluate(
                        "e => (e.querySelector('input, textarea') ?? document.activeElement)?.value ?? ''") == text:
                    return
                continue
            self.page.keyboard.press("Control+A")
            self.page.keyboard.press("Backspace")
        raise AssertionError(f"could not type into {identifier!r}; on screen: {self.on_screen()}")

    def wait(self, identifier: str) -> Locator:
        try:
            self.hook(identifier).wait_for(timeout=TIMEOUT_MS)
        except PlaywrightTimeout:
            raise AssertionError(f"{identifier!r} never appeared; on screen: {self.on_screen()}") from None
        return self.hook(identifier)

    def on_screen(self) -> str:
        """For a failure message: every semantics hook and label showing now, and a screenshot."""
        FAILURES.mkdir(parents=True, exist_ok=True)
        shot = FAILURES / f"{time.strftime('%H%M%S')}-{id(self.page)}.png"
        self.page.screenshot(path=str(shot))
        labels = self.page.evaluate(
            "() => [...document.querySelectorAll('[flt-semantics-identifier],[aria-label]')].map(e => "
            "(e.getAttribute('flt-semantics-identifier') || '') + ':' + (e.getAttribute('aria-label') || '')"
            ".slice(0, 60))")
        return f"{labels} (screenshot {shot})"

    def words(self, identifier: str) -> str:
        """What a screen reader says for that control: its label, else its text."""
        node = self.wait(identifier)
        return node.evaluate("e => (e.getAttribute('aria-label') || e.querySelector('[aria-label]')"
                             "?.getAttribute('aria-label') || e.innerText || '').trim()")

    def wait_for_words(self, identifier: str, expected: str) -> str:
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while True:
            said = self.words(identifier)
            if expected in said or time.monotonic() > deadline:
                return said
            self.page.wait_for_timeout(100)

    def settle(self) -> None:
        """Let the last change paint (before a screenshot)."""
        self.page.wait_for_timeout(700)

    def screenshot(self, name: str) -> Path:
        self.settle()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def sign_in(self, username: str, password: str) -> None:
        self.type("signin-username", username)
        self.type("signin-password", password)
        self.tap("signin-submit")

    def sign_in_home(self, username: str, password: str, *, care: bool) -> None:
        """Sign in and reach home, answering the first-run question if this device asks it (the app's
        device memory is shared by the whole session, so only the first test to sign someone in sees it)."""
        self.sign_in(username, password)
        arrived = self.hook("setup-care-on").or_(self.hook("home-balance"))
        try:
            arrived.wait_for(timeout=TIMEOUT_MS)
        except PlaywrightTimeout:
            if not self.hook("signin-submit").count():
                raise AssertionError(f"signing in {username} led nowhere; on screen: {self.on_screen()}") from None
            self.tap("signin-submit")      # the tap landed while the page was redrawing: a person taps again
            arrived.wait_for(timeout=TIMEOUT_MS)
        if self.hook("setup-care-on").count():
            self.tap("setup-care-on" if care else "setup-care-off")
        self.wait("home-balance")


@pytest.fixture
def app_in_browser(stack, browser) -> Iterator[App]:
    _world, url, _domains = stack
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, locale="en-US",
                                  timezone_id="Asia/Shanghai")
    page = context.new_page()
    outside = Outside()
    page.on("request", lambda r: None if _local(r.url) else outside.seen.append(r.url))
    page.on("requestfailed", lambda r: outside.blocked.__setitem__(r.url, r.failure or ""))
    app = App(page, url + "/")
    yield app
    page.wait_for_timeout(200)      # a request fired at the end still gets its verdict
    context.close()
    assert outside.offences() == [], f"the page asked hosts other than 127.0.0.1: {outside.offences()}"


@pytest.fixture
def world(stack) -> World:
    return stack[0]


@pytest.fixture
def domains(stack) -> Domains:
    return stack[2]


@pytest.fixture(scope="session")
def family(stack) -> Family:
    """Liu Guilan and her son Zhou Dawei (tests/e2e/family_world.py), built once for every test that needs them."""
    with httpx.Client(base_url=stack[0].api, timeout=30) as http:
        return build_family(http)
