"""Fonts for Chinese, Korean and the few symbols the app shows, found on this machine.

Flet's web client bundles only Roboto: without a CJK font, 安心 and 안심 render as empty boxes
offline. We use WenQuanYi Micro Hei (Debian `fonts-wqy-microhei`: 5 MB, Apache-2.0 or GPLv3
with the font exception; Latin, CJK, Hangul, arrows and ✓ in one file) and fall back to
other CJK fonts an OS may already have. The browser loads the font from our own web server,
so it is copied into the web assets folder the client serves.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

FONT_FAMILY = "AnxinSans"
# Most preferred first: one file that covers Latin, CJK and Hangul.
CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",                 # Debian fonts-wqy-microhei
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",         # Debian fonts-noto-cjk
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",              # Arch, Fedora
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",      # Debian fonts-droid-fallback
    "C:/Windows/Fonts/msyh.ttc",                                      # Windows: Microsoft YaHei
    "/System/Library/Fonts/PingFang.ttc",                             # macOS
)
INSTALL_HINT = "sudo apt-get install fonts-wqy-microhei"


@dataclass(frozen=True)
class FontChoice:
    family: str
    source: Path | None
    asset_path: str | None      # relative to the web assets dir, for page.fonts

    @property
    def found(self) -> bool:
        return self.source is not None


def locate_cjk_font(candidates: tuple[str, ...] = CANDIDATES) -> Path | None:
    for candidate in candidates:
        path = Path(candidate)
        if path.is_file():
            return path
    return None


def prepare_web_assets(target: Path, source_assets: Path | None = None,
                       candidates: tuple[str, ...] = CANDIDATES) -> FontChoice:
    """Fill `target` (the folder the web client serves) with our assets and the CJK font.

    The font is copied, not linked: the static file server refuses links that leave its folder.
    """
    target.mkdir(parents=True, exist_ok=True)
    if source_assets is not None and (source_assets / "web").is_dir():
        shutil.copytree(source_assets / "web", target, dirs_exist_ok=True)
    font = locate_cjk_font(candidates)
    if font is None:
        return FontChoice(FONT_FAMILY, None, None)
    relative = f"fonts/{font.name}"
    destination = target / relative
    if not destination.exists() or destination.stat().st_size != font.stat().st_size:
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(font, destination)
    return FontChoice(FONT_FAMILY, font, relative)
