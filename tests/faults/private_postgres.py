"""A throwaway PostgreSQL cluster of our own (initdb in a temp dir, its own port), so a test can
stop and start the database without disturbing the shared server other tests use."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.live_server import free_port

BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(*args: str) -> list[str]:
    # initdb and postgres refuse to run as root.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)


def available() -> bool:
    return (BIN / "initdb").exists() and shutil.which("runuser") is not None


class PrivatePostgres:
    def __init__(self, root: Path) -> None:
        self.data = root / "pgdata"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(root, "postgres")
        subprocess.run(_as_postgres(str(BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"),
                       check=True, capture_output=True)

    def start(self) -> None:
        subprocess.run(_as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-w", "-l", str(self.data / "log"),
                                    "-o", f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1", "start"),
                       check=True, capture_output=True)

    def stop(self) -> None:
        subprocess.run(_as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-w", "-m", "immediate", "stop"),
                       check=False, capture_output=True)
