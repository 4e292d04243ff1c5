"""The care-mode numbers, checked on the styles themselves (the browser check measures them rendered)."""

from __future__ import annotations

import pytest

from app.state import (CARE_MIN_BODY_PT, CARE_MIN_CONTRAST, CARE_MIN_HEADING_PT, CARE_MIN_LINE_HEIGHT,
                       CARE_MIN_TARGET_DP, FONT_SCALE_STEPS, Preferences)
from ui.theme import CARE, HIGH_CONTRAST, STANDARD, contrast_ratio, style_for, text_pairs


@pytest.mark.parametrize("palette", [CARE, HIGH_CONTRAST], ids=["care", "high-contrast"])
def test_care_palettes_reach_seven_to_one_for_every_text(palette):
    ratios = {name: contrast_ratio(*pair) for name, pair in text_pairs(palette).items()}
    assert min(ratios.values()) >= CARE_MIN_CONTRAST, ratios


def test_standard_palette_meets_wcag_aa():
    assert min(contrast_ratio(*pair) for pair in text_pairs(STANDARD).values()) >= 4.5


def test_contrast_formula_matches_known_values():
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("scale", FONT_SCALE_STEPS)
@pytest.mark.parametrize("high_contrast", [False, True])
def test_care_sizes_at_every_scale(scale, high_contrast):
    style = style_for(Preferences(care_mode=True, font_scale_percent=scale, high_contrast=high_contrast))
    s = style.sizes
    assert min(s.small, s.body, s.button_text) >= CARE_MIN_BODY_PT
    assert s.heading >= CARE_MIN_HEADING_PT and s.amount >= CARE_MIN_HEADING_PT
    assert min(s.target, s.keypad_key) >= CARE_MIN_TARGET_DP
    assert s.line_height >= CARE_MIN_LINE_HEIGHT
    assert s.body == pytest.approx(20 * scale / 100)       # only upward


def test_text_scale_never_goes_below_the_default():
    assert style_for(Preferences(font_scale_percent=50)).sizes.body == style_for(Preferences()).sizes.body
