"""The app's frame: one per browser session. Holds the state, draws the current screen, runs
the person's actions off the UI thread and turns their errors into sentences.

Screens are small classes (ui/views/) with state of their own; the shell keeps them on a stack
(`open`, `back`, `home`) and rebuilds the visible one after anything changes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

import flet as ft

from app.actions import WalletSession
from app.errors import ActingRefused
from app.fonts import FontChoice
from app.i18n import Translator
from app.problems import explain
from ui.components import Kit
from ui.theme import MAX_CONTENT_WIDTH, material_theme, style_for
from ui.voice import VoiceBar


class Runner(Protocol):
    """Runs blocking work away from the UI thread, then `apply` back on it."""

    def submit(self, work: Callable[[], Any], apply: Callable[[bool, Any], None]) -> None: ...


class PageRunner:
    """Network on a worker thread; the result is applied on the page's event loop, so screen
    updates never race each other and the UI never freezes while waiting."""

    def __init__(self, page: ft.Page) -> None:
        self.page = page

    def submit(self, work: Callable[[], Any], apply: Callable[[bool, Any], None]) -> None:
        def worker() -> None:
            try:
                ok, result = True, work()
            except Exception as exc:  # noqa: BLE001 — every failure becomes a sentence on screen
                ok, result = False, exc

            async def back_on_the_loop() -> None:
                apply(ok, result)

            self.page.run_task(back_on_the_loop)

        self.page.run_thread(worker)


class Screen:
    """One screen. Subclasses set `title_key` and build their controls from their own state."""

    title_key = "app.name"
    is_home = False

    def __init__(self, ui: Shell) -> None:
        self.ui = ui

    @property
    def t(self) -> Translator:
        return self.ui.t

    @property
    def kit(self) -> Kit:
        return self.ui.kit

    def title(self) -> str:
        return self.t(self.title_key)

    def on_show(self) -> None:
        """Called each time the screen comes to the front (load what it shows here)."""

    def build(self) -> list[ft.Control]:
        raise NotImplementedError


class Shell:
    def __init__(self, page: Any, session: WalletSession, *, font: FontChoice | None = None,
                 runner: Runner | None = None, start: Callable[[Shell], Screen] | None = None,
                 voice_assistant: Callable[[WalletSession], Any] | None = None) -> None:
        self.page = page
        self.session = session
        self.state = session.state
        self.font = font
        self.runner = runner or PageRunner(page)
        self.stack: list[Screen] = []
        self.busy_key: str | None = None
        self.error: str | None = None
        self.announcement: str | None = None
        self._rendered_width: float | None = None
        self._shown = 0             # screens shown so far: keys each one's scrolling column (render)
        self._scroller: ft.Column | None = None
        self.voice = VoiceBar(self, voice_assistant)   # the push-to-talk button and spoken answers
        self.restyle()
        self._setup_page()
        from ui.views.sign_in import SignInScreen  # the views import the shell: resolve at run time
        self.replace((start or SignInScreen)(self))

    # ---- look -------------------------------------------------------------------------------

    def restyle(self) -> None:
        prefs = self.state.prefs
        self.t = Translator(prefs.language)
        self.style = style_for(prefs, self.font.family if self.font and self.font.found else None)
        self.kit = Kit(self.style)

    def _setup_page(self) -> None:
        page = self.page
        if self.font and self.font.found:
            page.fonts = {self.font.family: self.font.asset_path}
        page.padding = 0
        page.spacing = 0
        # No page-level scroll: each screen scrolls in its own keyed column (render), so a new screen starts at
        # its top and Flutter's semantics tree (what screen readers and the tests read) starts fresh with it.
        page.scroll = None
        page.theme_mode = ft.ThemeMode.LIGHT
        page.on_resize = self._resized

    def _content_width(self) -> float:
        # Mobile first: the phone's whole width, up to a phone-sized column on a desktop screen.
        return min(MAX_CONTENT_WIDTH, self.page.width or MAX_CONTENT_WIDTH)

    def _resized(self, _event: Any = None) -> None:
        # Only a change of width redraws: a phone's on-screen keyboard changes the height, and a
        # redraw then would take the focus (and the keyboard) away from the field being typed in.
        if self._content_width() != self._rendered_width:
            self.render()

    def apply_preferences(self) -> None:
        """Language, mode, size or contrast changed: redraw everything in the new style."""
        self.restyle()
        self.render()

    # ---- navigation -------------------------------------------------------------------------

    @property
    def screen(self) -> Screen:
        return self.stack[-1]

    def open(self, screen: Screen) -> None:
        self.stack.append(screen)
        self._show()

    def replace(self, screen: Screen) -> None:
        self.stack = [screen]
        self._show()

    def back(self, _event: Any = None) -> None:
        if len(self.stack) > 1:
            self.stack.pop()
        self._show()

    def home(self) -> None:
        from ui.views.home import HomeScreen
        self.replace(HomeScreen(self))

    def _show(self) -> None:
        self._shown += 1
        self.error = None
        self.announcement = None
        self.screen.on_show()
        self.voice.screen_shown(self.screen)
        self.render()

    # ---- work and its outcome ---------------------------------------------------------------

    def run(self, work: Callable[[], Any], on_done: Callable[[Any], None], *,
            on_error: Callable[[Exception], bool] | None = None, busy_key: str = "busy.working") -> None:
        """Run `work` off the UI thread with a progress line; then `on_done(result)`. A failure is
        shown as a sentence unless `on_error` handles it (returns True)."""
        self.busy_key, self.error = busy_key, None
        self.render()

        def apply(ok: bool, result: Any) -> None:
            self.busy_key = None
            if ok:
                on_done(result)
            elif not (on_error and on_error(result)):
                self.show_error(result)
            self.render()

        self.runner.submit(work, apply)

    def every(self, seconds: float, tick: Callable[[], bool]) -> None:
        """Call `tick` on the UI loop every `seconds` until it returns False (a countdown, a poll).
        A page without an event loop (the renderer-free tests) gets no ticks: tests call `tick`."""
        run_task = getattr(self.page, "run_task", None)
        if run_task is None:
            return

        async def ticking() -> None:
            while True:
                await asyncio.sleep(seconds)
                try:
                    going_on = tick()
                except Exception:  # noqa: BLE001 — the page is gone (tab closed): a ticker must not outlive it
                    return
                if not going_on:
                    return

        run_task(ticking)

    def launch_url(self, url: str) -> None:
        """Hand a link to the device (care mode's Call: `tel:` to the phone's dialler) through Flet 1.0's
        UrlLauncher service. Made in the tap's handler, so it registers with this page; its async
        `launch_url` then runs on the page's loop. A page without a loop (renderer-free tests) never runs it."""
        launcher = ft.UrlLauncher()
        run_task = getattr(self.page, "run_task", None)
        if run_task is not None:
            run_task(launcher.launch_url, url)

    def poll(self, work: Callable[[], Any], on_done: Callable[[Any], None]) -> None:
        """Like `run`, but quietly: no busy line, no redraw, and a failure is ignored (the next poll
        tries again). For background checks a person did not ask for."""
        self.runner.submit(work, lambda ok, result: on_done(result) if ok else None)

    @property
    def busy(self) -> bool:
        return self.busy_key is not None

    def show_error(self, error: Exception) -> None:
        self.error = explain(error, self.t).sentence(self.t)
        if isinstance(error, ActingRefused) and error.permission_gone and self.state.acting_for:
            # The elder ended (or never gave) the permission: back to one's own account; the sentence says why.
            self.poll(self.session.family.stop_acting, lambda _done: self.render())
        self.announce(self.error)

    def announce(self, text: str) -> None:
        """Said by screen readers (a live region), and aloud while voice is on (care mode)."""
        self.announcement = text
        self.voice.speak(text)

    # ---- drawing ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Send controls a screen changed in place (a keypad press): no rebuild, so quick taps
        never land on controls that are being replaced."""
        self.page.update()

    def render(self) -> None:
        p, s, kit = self.style.palette, self.style.sizes, self.kit
        screen = self.screen
        top: list[ft.Control] = []
        if self.state.acting_for_name:
            # Acting for someone: said on every screen, so nobody forgets whose money this is.
            top.append(kit.notice(self.t("family.acting_banner", name=self.state.acting_for_name), "acting-banner",
                                  icon=ft.Icons.SUPERVISOR_ACCOUNT))
        if not screen.is_home and len(self.stack) > 1:
            top.append(kit.button(self.t("nav.back"), self.back, "nav-back", icon=ft.Icons.ARROW_BACK,
                                  primary=False, expand=False))
        top.append(kit.heading(screen.title(), identifier="screen-title"))
        if self.busy_key:
            top.append(kit.busy(self.t(self.busy_key)))
        if self.error:
            top.append(kit.error(self.error))
        body = [*top, *self.voice.controls(), *screen.build()]
        width = self._rendered_width = self._content_width()
        column = ft.Container(ft.Column(body, spacing=s.gap, horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
                              width=width, padding=ft.Padding.all(s.padding))
        self.page.bgcolor = p.background
        self.page.theme = material_theme(self.style)
        self.page.title = self.t("app.name")
        centred = ft.Row([column], alignment=ft.MainAxisAlignment.CENTER, vertical_alignment=ft.CrossAxisAlignment.START)
        # One scrolling column per screen shown and per step, keyed so: redrawing keeps its scroll position (a
        # keypad press), showing a screen (a new one, or back) or its next step (summary -> receipt) starts at
        # the top. A page-wide scroll kept the last screen's offset, and on the web the semantics nodes then
        # stayed where that offset had put them (a tap on "Username" landed on "Create an account"). The same
        # column object is kept while its key holds: a new object with an old key would be "frozen" by Flet.
        key = f"screen-{self._shown}-{getattr(screen, 'step', '')}"
        if self._scroller is None or self._scroller.key != key:
            self._scroller = ft.Column(scroll=ft.ScrollMode.AUTO, expand=True, key=key)
        self._scroller.controls = [centred]
        self.page.controls = [self._scroller]
        self.page.update()
