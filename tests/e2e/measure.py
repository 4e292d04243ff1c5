"""Measure what was rendered, from the semantics tree Flutter puts in the DOM: every text's
line box and every tappable thing's size, in CSS pixels (= Flutter logical pixels at scale 1)."""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Page

from app.state import CARE_MIN_BODY_PT, CARE_MIN_HEADING_PT, CARE_MIN_LINE_HEIGHT, CARE_MIN_TARGET_DP

_JS = """
() => {
  const out = {texts: [], targets: [], headings: []};
  // Only what is wholly on screen: Flutter clips a node at the window's edge to its visible part.
  // A node touching the top or bottom edge may be cut there, so it is left for another scroll position.
  const visible = r => r.width > 0 && r.height > 0 && r.top > 1 && r.left >= 0
                       && r.bottom < window.innerHeight - 1 && r.right <= window.innerWidth + 0.5;
  // Flutter renders a header node as <h1>..<h6> rather than <flt-semantics>.
  const nodes = document.querySelectorAll('flt-semantics, flt-semantics-host :is(h1, h2, h3, h4, h5, h6)');
  for (const el of nodes) {
    const r = el.getBoundingClientRect();
    if (!visible(r)) continue;
    const role = el.getAttribute('role') || '';
    const name = (el.getAttribute('aria-label') || el.innerText || '').trim().slice(0, 60);
    const input = el.querySelector(':scope > input, :scope > textarea');
    if (role === 'button' || role === 'switch' || role === 'checkbox' || el.hasAttribute('flt-tappable') || input) {
      out.targets.push({name, w: r.width, h: r.height});
    } else if (role === 'heading' || /^H[1-6]$/.test(el.tagName)) {
      out.headings.push({name, h: r.height});
    } else if (el.querySelector(':scope > span') && !el.querySelector('flt-semantics')) {
      out.texts.push({name, h: r.height});
    }
  }
  return out;
}
"""


@dataclass(frozen=True)
class Rendered:
    texts: list[dict]
    targets: list[dict]
    headings: list[dict]

    @property
    def smallest_text_line(self) -> float:
        return min((t["h"] for t in self.texts), default=float("nan"))

    @property
    def smallest_heading_line(self) -> float:
        return min((h["h"] for h in self.headings), default=float("nan"))

    @property
    def smallest_target(self) -> tuple[float, float]:
        return (min((t["w"] for t in self.targets), default=float("nan")),
                min((t["h"] for t in self.targets), default=float("nan")))


def measure(page: Page) -> Rendered:
    return Rendered(**page.evaluate(_JS))


def care_mode_shortfalls(r: Rendered) -> list[str]:
    """Everything on screen below the care-mode numbers. A line of text is at least its font size
    times the line height, so one line of 18 pt text at 1.3 is at least 23.4 px tall."""
    min_line = CARE_MIN_BODY_PT * CARE_MIN_LINE_HEIGHT
    min_heading = CARE_MIN_HEADING_PT * CARE_MIN_LINE_HEIGHT
    problems = [f"text {t['name']!r} is {t['h']:.1f} px tall (< {min_line:.1f})" for t in r.texts
                if t["h"] < min_line - 0.5]
    problems += [f"heading {h['name']!r} is {h['h']:.1f} px tall (< {min_heading:.1f})" for h in r.headings
                 if h["h"] < min_heading - 0.5]
    problems += [f"target {t['name']!r} is {t['w']:.0f} x {t['h']:.0f} (< {CARE_MIN_TARGET_DP})" for t in r.targets
                 if min(t["w"], t["h"]) < CARE_MIN_TARGET_DP - 0.5]
    return problems
