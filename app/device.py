"""What this device remembers between runs: whether a person has seen the first-run setup, and
the merchants they paid recently. Nothing secret lives here (tokens go to the keychain or memory);
"Forget this device" deletes a person's entry.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

import platformdirs

MAX_RECENT = 5


@dataclass(frozen=True)
class RecentMerchant:
    id: int
    name: str
    local_name: str | None = None


def default_device_file() -> Path:
    return Path(platformdirs.user_data_dir("anxin", appauthor=False)) / "device.json"


class DeviceMemory:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_device_file()
        self._lock = threading.Lock()   # several browser sessions may share one process

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"users": {}}
        return data if isinstance(data.get("users"), dict) else {"users": {}}

    def _write(self, data: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(self.path)    # a crash mid-write never leaves half a file

    def _user(self, data: dict, username: str) -> dict:
        return data["users"].setdefault(username, {})

    def setup_done(self, username: str) -> bool:
        with self._lock:
            return bool(self._read()["users"].get(username, {}).get("setup_done"))

    def mark_setup_done(self, username: str) -> None:
        with self._lock:
            data = self._read()
            self._user(data, username)["setup_done"] = True
            self._write(data)

    def recent_merchants(self, username: str) -> list[RecentMerchant]:
        with self._lock:
            rows = self._read()["users"].get(username, {}).get("recent_merchants", [])
        return [RecentMerchant(**row) for row in rows if isinstance(row, dict)][:MAX_RECENT]

    def remember_merchant(self, username: str, merchant: RecentMerchant) -> None:
        with self._lock:
            data = self._read()
            user = self._user(data, username)
            rows = [r for r in user.get("recent_merchants", []) if r.get("id") != merchant.id]
            user["recent_merchants"] = [asdict(merchant), *rows][:MAX_RECENT]
            self._write(data)

    def forget(self, username: str) -> None:
        with self._lock:
            data = self._read()
            if data["users"].pop(username, None) is not None:
                self._write(data)
