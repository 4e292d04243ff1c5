"""Serving the client as a web app with flet-web, entirely offline (no CDN) on 127.0.0.1."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import flet as ft
from keyring.backend import KeyringBackend

from app.fonts import INSTALL_HINT, prepare_web_assets
from ui.app import ClientConfig, make_main

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def web_assets_dir(data_dir: Path | None) -> Path:
    return (data_dir / "web-assets") if data_dir else Path(tempfile.gettempdir()) / "anxin-web-assets"


def prepare(server_url: str, data_dir: Path | None,
            keychain: KeyringBackend | None = None) -> tuple[ClientConfig, Path]:
    assets = web_assets_dir(data_dir)
    font = prepare_web_assets(assets, ASSETS)
    if not font.found:
        print(f"Note: no Chinese/Korean font found; such text will show as boxes. Install one: {INSTALL_HINT}",
              flush=True)
    return ClientConfig(server_url, data_dir, font, keychain), assets


def asgi_app(server_url: str, data_dir: Path | None = None, keychain: KeyringBackend | None = None):
    """The client as an ASGI app (for tests and benchmarks that run their own uvicorn)."""
    config, assets = prepare(server_url, data_dir, keychain)
    return ft.run(make_main(config), export_asgi_app=True, assets_dir=str(assets), no_cdn=True)


def serve(server_url: str, *, port: int, data_dir: Path | None = None, open_browser: bool = True) -> None:
    """Serve until Ctrl+C. Opens the browser when there is a display (Flet decides) unless told not to."""
    config, assets = prepare(server_url, data_dir)
    if not open_browser:
        os.environ["FLET_FORCE_WEB_SERVER"] = "1"     # Flet's switch for "serve only, open nothing"
    ft.run(make_main(config), name="", view=ft.AppView.WEB_BROWSER, host="127.0.0.1", port=port,
           assets_dir=str(assets), no_cdn=True)
