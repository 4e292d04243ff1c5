"""How the app looks, kept apart from what is on each screen.

Two modes — standard and care — each with a normal and a high-contrast palette, and a text
scale the person can raise. The care-mode numbers (app/state.py, docs/client.md) are met here:
text >= 18, headings >= 30, targets >= 60 x 60, text contrast >= 7:1, line height >= 1.3.
"""

from __future__ import annotations

from dataclasses import dataclass

import flet as ft

from app.state import Preferences


@dataclass(frozen=True)
class Palette:
    background: str
    surface: str
    text: str
    muted: str            # secondary text: still meets the mode's contrast on background and surface
    primary: str          # filled buttons
    on_primary: str
    secondary: str        # outlined/list buttons: border and text
    danger: str           # error text (always with an icon and words, never colour alone)
    success: str
    border: str


@dataclass(frozen=True)
class Sizes:
    small: float
    body: float
    heading: float        # the screen's heading
    amount: float         # the big numbers: balance, amount being paid
    button_text: float
    target: float         # minimum height and width of anything that can be tapped
    keypad_key: float
    icon: float
    line_height: float
    gap: float
    padding: float
    radius: float
    border_width: float


STANDARD = Palette(background="#F6F7F9", surface="#FFFFFF", text="#16191D", muted="#4A525C", primary="#0B57D0",
                   on_primary="#FFFFFF", secondary="#0B57D0", danger="#B3261E", success="#146C2E", border="#C4C9D0")
# Care: near-black on white, dark blue buttons; every text pair >= 7:1 (tests/ui/test_theme.py).
CARE = Palette(background="#FFFFFF", surface="#FFFFFF", text="#000000", muted="#2B2B2B", primary="#0A3A82",
               on_primary="#FFFFFF", secondary="#0A3A82", danger="#8C1D18", success="#0B4A1F", border="#1F1F1F")
# High contrast (either mode): white and yellow on black.
HIGH_CONTRAST = Palette(background="#000000", surface="#000000", text="#FFFFFF", muted="#F2F2F2", primary="#FFD60A",
                        on_primary="#000000", secondary="#FFD60A", danger="#FF9E9E", success="#8DF0A8",
                        border="#FFFFFF")

STANDARD_SIZES = Sizes(small=14, body=16, heading=24, amount=36, button_text=17, target=48, keypad_key=60, icon=24,
                       line_height=1.35, gap=12, padding=16, radius=12, border_width=1)
CARE_SIZES = Sizes(small=18, body=20, heading=30, amount=44, button_text=22, target=64, keypad_key=76, icon=32,
                   line_height=1.4, gap=16, padding=18, radius=14, border_width=2)

MAX_CONTENT_WIDTH = 480      # mobile first: a phone column, centred on a desktop screen


@dataclass(frozen=True)
class Style:
    palette: Palette
    sizes: Sizes
    care: bool
    font_family: str | None

    def text_style(self, size: float, *, weight: ft.FontWeight | None = None, color: str | None = None) -> ft.TextStyle:
        return ft.TextStyle(size=size, height=self.sizes.line_height, weight=weight, color=color or self.palette.text,
                            font_family=self.font_family)


def _scaled(sizes: Sizes, percent: int) -> Sizes:
    """Text grows with the person's scale; targets grow too (a bigger label needs a bigger button)."""
    f = max(percent, 100) / 100
    return Sizes(small=sizes.small * f, body=sizes.body * f, heading=sizes.heading * f, amount=sizes.amount * f,
                 button_text=sizes.button_text * f, target=sizes.target * max(1.0, f * 0.9),
                 keypad_key=sizes.keypad_key * max(1.0, f * 0.9), icon=sizes.icon * f,
                 line_height=sizes.line_height, gap=sizes.gap, padding=sizes.padding, radius=sizes.radius,
                 border_width=sizes.border_width)


def style_for(prefs: Preferences, font_family: str | None = None) -> Style:
    palette = HIGH_CONTRAST if prefs.high_contrast else (CARE if prefs.care_mode else STANDARD)
    sizes = _scaled(CARE_SIZES if prefs.care_mode else STANDARD_SIZES, prefs.font_scale_percent)
    return Style(palette, sizes, prefs.care_mode, font_family)


def material_theme(style: Style) -> ft.Theme:
    p = style.palette
    scheme = ft.ColorScheme(primary=p.primary, on_primary=p.on_primary, surface=p.surface, on_surface=p.text,
                            error=p.danger, outline=p.border, secondary=p.secondary)
    return ft.Theme(font_family=style.font_family, color_scheme=scheme, use_material3=True,
                    visual_density=ft.VisualDensity.COMFORTABLE)


# ---- contrast (WCAG 2.x), so the numbers are checked, not assumed ---------------------------------

def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _linear(r) + 0.7152 * _linear(g) + 0.0722 * _linear(b)


def contrast_ratio(foreground: str, background: str) -> float:
    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_pairs(p: Palette) -> dict[str, tuple[str, str]]:
    """Every (text colour, background colour) the screens use."""
    return {"text on background": (p.text, p.background), "text on surface": (p.text, p.surface),
            "muted on background": (p.muted, p.background), "muted on surface": (p.muted, p.surface),
            "button label": (p.on_primary, p.primary), "secondary on surface": (p.secondary, p.surface),
            "error": (p.danger, p.background), "success": (p.success, p.background)}
