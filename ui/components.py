"""Building blocks every screen uses, styled from ui/theme.py.

Each interactive control carries an accessible name that says what it does (its visible
words, or a semantics label where there are none) and a stable `Semantics(identifier=...)`
hook for tests. Nothing here knows about the network or the wallet.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from ui.theme import MAX_CONTENT_WIDTH, Style

Handler = Callable[[Any], Any]


def hook(identifier: str, control: ft.Control, *, label: str | None = None) -> ft.Semantics:
    """A stable handle for tests and assistive tech: becomes `flt-semantics-identifier` on the web."""
    return ft.Semantics(identifier=identifier, label=label, content=control)


class Kit:
    """Controls in the current style. Made anew whenever the style changes (mode, scale, contrast)."""

    def __init__(self, style: Style) -> None:
        self.style = style
        self.p = style.palette
        self.s = style.sizes

    # ---- text --------------------------------------------------------------------------------

    def text(self, value: str, *, size: float | None = None, weight: ft.FontWeight | None = None,
             color: str | None = None, identifier: str | None = None, align: ft.TextAlign | None = None,
             selectable: bool = False) -> ft.Control:
        control = ft.Text(value, style=self.style.text_style(size or self.s.body, weight=weight, color=color),
                          text_align=align or ft.TextAlign.START, selectable=selectable)
        return hook(identifier, control) if identifier else control

    def heading(self, value: str, identifier: str | None = None) -> ft.Control:
        control = ft.Semantics(header=True, heading_level=1, identifier=identifier,
                               content=ft.Text(value, style=self.style.text_style(self.s.heading,
                                                                                  weight=ft.FontWeight.BOLD)))
        return control

    def body(self, value: str, identifier: str | None = None) -> ft.Control:
        return self.text(value, identifier=identifier)

    def muted(self, value: str, identifier: str | None = None) -> ft.Control:
        return self.text(value, size=self.s.small, color=self.p.muted, identifier=identifier)

    def amount(self, value: str, identifier: str | None = None, label: str | None = None) -> ft.Control:
        control = ft.Text(value, style=self.style.text_style(self.s.amount, weight=ft.FontWeight.BOLD))
        if not (identifier or label):
            return control
        # With a label, the label is what is said (e.g. "Your balance is ¥12.00"), not the label and the number.
        return ft.Semantics(identifier=identifier, label=label, exclude_semantics=label is not None, content=control)

    # ---- actions -----------------------------------------------------------------------------

    def _button_style(self, primary: bool) -> ft.ButtonStyle:
        p, s = self.p, self.s
        return ft.ButtonStyle(
            bgcolor=p.primary if primary else p.surface, color=p.on_primary if primary else p.secondary,
            text_style=self.style.text_style(s.button_text, weight=ft.FontWeight.W_600,
                                             color=p.on_primary if primary else p.secondary),
            shape=ft.RoundedRectangleBorder(radius=s.radius),
            side=None if primary else ft.BorderSide(s.border_width + 1, p.secondary),
            padding=ft.Padding.symmetric(horizontal=s.padding, vertical=8), icon_size=s.icon,
            elevation=0, icon_color=p.on_primary if primary else p.secondary)

    def button(self, label: str, on_click: Handler | None, identifier: str, *, icon: ft.IconData | None = None,
               primary: bool = True, expand: bool = True, disabled: bool = False) -> ft.Control:
        """A full-width (by default) labelled button at least the mode's target size tall."""
        control = ft.Button(content=label, icon=icon, on_click=on_click, style=self._button_style(primary),
                            height=self.s.target, width=None if expand else max(self.s.target, 0),
                            expand=expand, disabled=disabled)
        row = ft.Row([control], expand=False) if expand else control
        return hook(identifier, row)

    def button_pair(self, actions: list[tuple[str, ft.IconData, Handler, str]]) -> ft.Control:
        """Two secondary actions side by side (the care home's Family and Settings): outlined, each a full
        touch target tall with the mode's button words; each named by its words."""
        s = self.s
        style = self._button_style(False)
        style.padding = ft.Padding.symmetric(horizontal=8, vertical=8)
        # Like a list row: one node, named by its words, acting as a button.
        cells = [ft.Semantics(identifier=identifier, button=True, label=label, exclude_semantics=True,
                              on_tap=on_click, expand=True,
                              content=ft.Button(content=label, icon=icon, on_click=on_click, style=style,
                                                height=s.target, expand=True))
                 for label, icon, on_click, identifier in actions]
        return ft.Row(cells, spacing=s.gap // 2)

    def voice_button(self, label: str, on_click: Handler, *, listening: bool,
                     identifier: str = "voice-button") -> ft.Control:
        """The big push-to-talk button: full width, taller than any other target, a microphone and
        words. Outlined, so it never looks like the screen's main action; filled while it listens.
        Pressed again while listening, it stops; its words say which it will do."""
        s = self.s
        button = ft.Button(content=label, icon=ft.Icons.STOP_CIRCLE if listening else ft.Icons.MIC,
                           on_click=on_click, style=self._button_style(listening),
                           height=max(s.target + 16, 72), expand=True)
        return hook(identifier, ft.Row([button], expand=False))   # its words are its accessible name

    def list_action(self, label: str, icon: ft.IconData, on_click: Handler, identifier: str,
                    detail: str | None = None, *, snug: bool = False) -> ft.Control:
        """One row of a simple list (the care home): big icon, big words, the whole row tappable. `snug`
        rows are exactly one touch target tall (the care home, which must fit a phone's screen)."""
        p, s = self.p, self.s
        words = [ft.Text(label, style=self.style.text_style(s.button_text, weight=ft.FontWeight.BOLD))]
        if detail:
            words.append(ft.Text(detail, style=self.style.text_style(s.small, color=p.muted)))
        row = ft.Container(
            content=ft.Row([ft.Icon(icon, size=s.icon * 1.2, color=p.secondary),
                            ft.Column(words, spacing=2, expand=True, alignment=ft.MainAxisAlignment.CENTER),
                            ft.Icon(ft.Icons.CHEVRON_RIGHT, size=s.icon, color=p.secondary)],
                           spacing=s.gap, vertical_alignment=ft.CrossAxisAlignment.CENTER),
            padding=ft.Padding.symmetric(horizontal=s.padding, vertical=6 if snug else 10), bgcolor=p.surface,
            border=ft.Border.all(s.border_width, p.border), border_radius=s.radius,
            height=s.target if snug else s.target + 8, on_click=on_click, ink=True)
        # One node, named by its words, acting as a button.
        return ft.Semantics(identifier=identifier, button=True, label=label if not detail else f"{label}. {detail}",
                            exclude_semantics=True, on_tap=on_click, content=row)

    def tile_action(self, label: str, icon: ft.IconData, on_click: Handler, identifier: str) -> ft.Control:
        """A square-ish tile for the standard home's grid of actions."""
        p, s = self.p, self.s
        tile = ft.Container(
            content=ft.Column([ft.Icon(icon, size=s.icon * 1.4, color=p.on_primary),
                               ft.Text(label, style=self.style.text_style(s.button_text, weight=ft.FontWeight.W_600,
                                                                          color=p.on_primary),
                                       text_align=ft.TextAlign.CENTER)],
                              horizontal_alignment=ft.CrossAxisAlignment.CENTER,
                              alignment=ft.MainAxisAlignment.CENTER, spacing=6),
            bgcolor=p.primary, border_radius=s.radius, height=max(s.target * 2, 96), expand=True,
            on_click=on_click, ink=True, padding=8)
        return ft.Semantics(identifier=identifier, button=True, label=label, exclude_semantics=True,
                            on_tap=on_click, content=tile, expand=True)

    def icon_button(self, icon: ft.IconData, label: str, on_click: Handler, identifier: str) -> ft.Control:
        """An icon with its words: the label is its accessible name (never a tooltip)."""
        return self.button(label, on_click, identifier, icon=icon, primary=False, expand=False)

    def toggle(self, label: str, value: bool, on_toggle: Callable[[bool], Any], identifier: str,
               detail: str | None = None, on_words: str = "on", off_words: str = "off") -> ft.Control:
        """A switch on a whole tappable row; its state is said in words, not only shown."""
        p, s = self.p, self.s
        switch = ft.Switch(value=value, on_change=lambda e: on_toggle(bool(e.control.value)),
                           active_color=p.primary, scale=1.4 if self.style.care else 1.0)
        words = [ft.Text(f"{label}: {on_words if value else off_words}",
                         style=self.style.text_style(s.body, weight=ft.FontWeight.W_600))]
        if detail:
            words.append(ft.Text(detail, style=self.style.text_style(s.small, color=p.muted)))
        # The zero-width strut keeps the row at least one touch target tall, however short the words.
        row = ft.Container(ft.Row([ft.Container(width=0, height=s.target), ft.Column(words, spacing=2, expand=True),
                                   switch], vertical_alignment=ft.CrossAxisAlignment.CENTER),
                           padding=ft.Padding.symmetric(horizontal=4, vertical=6),
                           on_click=lambda e: on_toggle(not value))
        return ft.Semantics(identifier=identifier, toggled=value, button=True,
                            label=f"{label}: {on_words if value else off_words}", exclude_semantics=True,
                            on_tap=lambda e: on_toggle(not value), content=row)

    def choice_row(self, options: list[tuple[str, str]], selected: str, on_pick: Callable[[str], Any],
                   identifier_prefix: str, columns: int = 1) -> ft.Control:
        """Mutually exclusive big buttons (language, text size); the chosen one says so in words
        (a check mark and its accessible name), not by colour alone."""
        buttons = []
        for value, label in options:
            chosen = value == selected
            text = f"✓ {label}" if chosen else label
            button = ft.Button(content=text, on_click=lambda e, v=value: on_pick(v), style=self._button_style(chosen),
                               height=self.s.target, expand=True)
            buttons.append(hook(f"{identifier_prefix}-{value}", button))
        rows = [ft.Row([ft.Container(b, expand=True) for b in buttons[i:i + columns]], spacing=self.s.gap // 2)
                for i in range(0, len(buttons), columns)]
        return ft.Column(rows, spacing=self.s.gap // 2)

    # ---- input -------------------------------------------------------------------------------

    def field(self, label: str, identifier: str, *, value: str = "", password: bool = False,
              on_change: Handler | None = None, on_submit: Handler | None = None,
              keyboard: ft.KeyboardType = ft.KeyboardType.TEXT, autofocus: bool = False) -> ft.Control:
        s, p = self.s, self.p
        control = ft.TextField(label=label, value=value, password=password,
                               on_change=on_change, on_submit=on_submit, keyboard_type=keyboard,
                               autofocus=autofocus, text_style=self.style.text_style(s.body),
                               label_style=self.style.text_style(s.body, color=p.muted),
                               border={ft.ControlState.DEFAULT: ft.OutlineInputBorder(
                                           side=ft.BorderSide(s.border_width, p.border), border_radius=s.radius / 2),
                                       ft.ControlState.FOCUSED: ft.OutlineInputBorder(
                                           side=ft.BorderSide(s.border_width + 1, p.primary),
                                           border_radius=s.radius / 2)},
                               # vertical padding that makes the field at least one touch target tall
                               content_padding=ft.Padding.symmetric(
                                   horizontal=12, vertical=max(12, (s.target - s.body * s.line_height) / 2)),
                               autocorrect=False, enable_suggestions=False, color=p.text, bgcolor=p.surface)
        return hook(identifier, control)

    def keypad(self, on_key: Callable[[str], Any], identifier_prefix: str, *, with_dot: bool,
               labels: dict[str, str]) -> ft.Control:
        """A big 3 x 4 keypad. `labels` names the dot and the delete keys in the person's language."""
        s, p = self.s, self.p
        keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "." if with_dot else "", "0", "back"]
        rows = []
        for start in range(0, 12, 3):
            cells: list[ft.Control] = []
            for key in keys[start:start + 3]:
                if not key:
                    cells.append(ft.Container(expand=True, height=s.keypad_key))
                    continue
                name = labels.get(key, key)
                face: ft.Control = (ft.Icon(ft.Icons.BACKSPACE_OUTLINED, size=s.icon, color=p.secondary)
                                    if key == "back" else
                                    ft.Text(key, style=self.style.text_style(s.amount * 0.8, weight=ft.FontWeight.BOLD,
                                                                             color=p.secondary)))
                cell = ft.Container(face, alignment=ft.Alignment.CENTER, height=s.keypad_key, expand=True,
                                    border=ft.Border.all(s.border_width, p.border), border_radius=s.radius,
                                    bgcolor=p.surface, on_click=lambda e, k=key: on_key(k), ink=True)
                ident = f"{identifier_prefix}-{'dot' if key == '.' else key}"
                cells.append(ft.Semantics(identifier=ident, button=True, label=name, exclude_semantics=True,
                                          on_tap=lambda e, k=key: on_key(k), content=cell, expand=True))
            rows.append(ft.Row(cells, spacing=s.gap // 2))
        return ft.Column(rows, spacing=s.gap // 2)

    # ---- feedback ----------------------------------------------------------------------------

    def error(self, message: str, identifier: str = "error-message") -> ft.Control:
        """An error in words with an icon — never colour alone — announced to screen readers."""
        p, s = self.p, self.s
        box = ft.Container(
            ft.Row([ft.Icon(ft.Icons.ERROR_OUTLINE, color=p.danger, size=s.icon),
                    ft.Text(message, style=self.style.text_style(s.body, color=p.danger), expand=True)],
                   vertical_alignment=ft.CrossAxisAlignment.START),
            padding=s.padding / 1.5, border=ft.Border.all(s.border_width + 1, p.danger), border_radius=s.radius,
            bgcolor=p.surface)
        return ft.Semantics(identifier=identifier, live_region=True, label=message, exclude_semantics=True,
                            content=box)

    def notice(self, message: str, identifier: str, *, icon: ft.IconData = ft.Icons.INFO_OUTLINE) -> ft.Control:
        p, s = self.p, self.s
        box = ft.Container(ft.Row([ft.Icon(icon, color=p.secondary, size=s.icon),
                                   ft.Text(message, style=self.style.text_style(s.body), expand=True)],
                                  vertical_alignment=ft.CrossAxisAlignment.START),
                           padding=s.padding / 1.5, border=ft.Border.all(s.border_width, p.border),
                           border_radius=s.radius, bgcolor=p.surface)
        return ft.Semantics(identifier=identifier, live_region=True, label=message, exclude_semantics=True,
                            content=box)

    def confirmation(self, question: str, identifier: str, yes: tuple[str, Handler, str],
                     no: tuple[str, Handler, str], *, yes_icon: ft.IconData | None = None,
                     busy: bool = False) -> list[ft.Control]:
        """A question that states the consequences (a warning, read out), then Yes and No: each is
        (label, handler, identifier). Yes is disabled while `busy`, so a second tap starts nothing."""
        (yes_label, on_yes, yes_id), (no_label, on_no, no_id) = yes, no
        return [self.notice(question, identifier, icon=ft.Icons.WARNING_AMBER),
                self.button(yes_label, on_yes, yes_id, icon=yes_icon, disabled=busy),
                self.button(no_label, on_no, no_id, primary=False)]

    def busy(self, message: str) -> ft.Control:
        return ft.Semantics(identifier="busy", live_region=True, label=message, content=ft.Row(
            [ft.ProgressRing(width=self.s.icon, height=self.s.icon, color=self.p.primary),
             ft.Text(message, style=self.style.text_style(self.s.body))], spacing=self.s.gap))

    def card(self, controls: list[ft.Control], identifier: str | None = None, label: str | None = None,
             on_click: Handler | None = None) -> ft.Control:
        p, s = self.p, self.s
        box = ft.Container(ft.Column(controls, spacing=s.gap / 2), padding=s.padding, bgcolor=p.surface,
                           border=ft.Border.all(s.border_width, p.border), border_radius=s.radius,
                           on_click=on_click, ink=on_click is not None)
        if identifier is None:
            return box
        return ft.Semantics(identifier=identifier, label=label, button=on_click is not None,
                            exclude_semantics=label is not None, on_tap=on_click, content=box)

    def page_column(self, controls: list[ft.Control]) -> ft.Control:
        """The screen's content as a phone-width column, centred on wide screens."""
        return ft.Container(ft.Column(controls, spacing=self.s.gap, horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
                            width=MAX_CONTENT_WIDTH, padding=self.s.padding)
