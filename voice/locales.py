"""A voice locale's data from `assets/voice/<locale>/`: its command templates and its settings.

`locale.toml` holds what is not a command: the text-to-speech voices to try, the names that
tell a speech model is for this language, colloquial amount examples for the recogniser, and
every sentence the assistant says (`[replies]`, with `{fields}`).
"""

from __future__ import annotations

import os
import string
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from voice.templates import IntentTemplates, load_templates
from voice.tokens import SUPPORTED_LOCALES

ASSETS_DIR = Path(__file__).resolve().parents[1] / "assets" / "voice"


class LocaleError(ValueError):
    pass


def assets_dir() -> Path:
    return Path(os.environ.get("ANXIN_VOICE_ASSETS", ASSETS_DIR))


@dataclass(frozen=True)
class VoiceLocale:
    code: str
    templates: tuple[IntentTemplates, ...]
    tts_voices: tuple[str, ...]
    model_names: tuple[str, ...]
    amount_examples: tuple[str, ...]
    replies: dict[str, str]

    def reply(self, key: str, **fields: object) -> str:
        try:
            template = self.replies[key]
        except KeyError:
            raise LocaleError(f"locale {self.code} has no reply {key!r}") from None
        return template.format(**fields)

    def reply_fields(self, key: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(self.replies[key]) if name}


def available_locales(root: Path | None = None) -> list[str]:
    root = root or assets_dir()
    return sorted(p.name for p in root.iterdir() if (p / "commands.ini").is_file())


@lru_cache(maxsize=16)
def _load(code: str, root: Path) -> VoiceLocale:
    folder = root / code
    if code not in SUPPORTED_LOCALES:
        raise LocaleError(f"voice commands are not available in {code!r} (have: {', '.join(SUPPORTED_LOCALES)})")
    if not (folder / "commands.ini").is_file():
        raise LocaleError(f"no voice command templates at {folder / 'commands.ini'}")
    settings = tomllib.loads((folder / "locale.toml").read_text(encoding="utf-8"))
    return VoiceLocale(
        code=code,
        templates=tuple(load_templates(folder / "commands.ini")),
        tts_voices=tuple(settings["speech"]["voices"]),
        model_names=tuple(settings["model"]["names"]),
        amount_examples=tuple(settings["amounts"]["examples"]),
        replies=dict(settings["replies"]),
    )


def load_locale(code: str, root: Path | None = None) -> VoiceLocale:
    return _load(code, (root or assets_dir()).resolve())
