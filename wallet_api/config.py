"""Settings from the environment (prefix ANXIN_), with safe local defaults."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("anxin", appauthor=False))


def usable_cores() -> int:
    """The cores this process may run on (a container's or taskset's share, not the whole host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def create_once(path: Path, content: bytes) -> bytes:
    """Write `path` with `content` unless it exists, atomically, and return what it holds: several server
    workers starting at once on a fresh data dir all end up with the one file the first of them wrote, and
    none reads it half-written (it appears under its name only once complete)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        try:
            os.link(tmp, path)  # fails if another process got there first: theirs is kept
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_bytes()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ANXIN_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    # Empty means: a SQLite file in data_dir.
    database_url: str = ""
    # Empty means: generated once and kept in data_dir/secret.key (mode 0600).
    secret_key: str = ""
    # Path of the Ed25519 key that signs journal checkpoints; empty means data_dir/journal-signing-key.pem.
    journal_key_path: str = ""

    host: str = "127.0.0.1"
    port: int = 8000
    # Server processes for `anxin serve`; 0 means the default, `worker_count`. Any number is safe on both
    # databases: every limit, lock and periodic task is in the database (docs/architecture.md, "Several workers").
    workers: int = 0

    access_token_minutes: int = 15
    refresh_token_days: int = 30

    # Argon2id cost; tests lower it, production keeps the library defaults (RFC 9106 second choice).
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536

    pin_max_attempts: int = 5
    pin_lock_minutes: int = 15
    # Payments at or below this need no PIN (fen). 50 CNY, like the small-amount rules of the big wallets.
    pin_free_limit_fen: int = 5000

    # A background task signs a checkpoint this often (seconds); 0 turns it off (tests, one-shot tools).
    # Often, so each cut is small: a cut marks every transfer it covers, and on SQLite it holds the write
    # lock meanwhile; once a minute, a busy minute's cut stalled payments for 100+ ms (BENCHMARKS.md).
    checkpoint_interval_seconds: float = 5.0

    # Family cards (docs/family-card-and-guardian.md): the range a giver may set as the monthly cap (fen).
    family_card_min_cap_fen: int = 1
    family_card_max_cap_fen: int = 300_000
    # Family invitations by name or phone (docs/family.md): not accepted within this many days, they expire.
    family_invite_days: int = Field(default=7, ge=1)

    # The safety guardian's risk rules (wallet_api/guardian/rules.py). A payment by an elder with a guardian
    # waits for the guardian when it is the first to a payee and above new_payee_threshold, or above
    # unusual_factor x the median of their last usual_history payments (and above unusual_min), or when
    # rapid_count payments already left in the last rapid_window_minutes.
    guardian_new_payee_threshold_fen: int = 50_000
    guardian_unusual_factor: int = 5
    guardian_unusual_min_fen: int = 20_000
    guardian_usual_history: int = 20
    guardian_rapid_count: int = 3
    guardian_rapid_window_minutes: int = 10
    # A held payment the guardian has not decided is released back after this long.
    guardian_hold_hours: float = 24.0
    # Transfers to a new payee wait this long (revocable) when the elder's guardianship asks for it.
    guardian_transfer_delay_minutes: int = 120
    # How often the server settles due delayed transfers and expires undecided holds (0 = only on read).
    guardian_sweep_seconds: float = 60.0

    # Mounts POST /v1/bench/bare-insert, the HTTP benchmark's baseline (wallet_api/api/bench.py). Off by default.
    bench_endpoints: bool = False

    @property
    def sqlalchemy_url(self) -> str:
        if not self.database_url:
            return f"sqlite:///{self.data_dir / 'anxin.sqlite3'}"
        # A plain postgresql:// URL means psycopg 3, the driver we ship (SQLAlchemy would pick psycopg2).
        for plain in ("postgresql://", "postgres://"):
            if self.database_url.startswith(plain):
                return "postgresql+psycopg://" + self.database_url[len(plain):]
        return self.database_url

    @property
    def worker_count(self) -> int:
        """ANXIN_WORKERS, else one per usable core on PostgreSQL (a payment is Python work, and one process runs
        Python on one core at a time) and one on SQLite (one writer at a time: more processes only queue for its
        write lock, through the busy handler's sleeps; measured in BENCHMARKS.md)."""
        if self.workers > 0:
            return self.workers
        return 1 if self.sqlalchemy_url.startswith("sqlite") else usable_cores()

    @property
    def signing_key_file(self) -> Path:
        return Path(self.journal_key_path) if self.journal_key_path else self.data_dir / "journal-signing-key.pem"

    def resolved_secret_key(self) -> str:
        """The server secret: from the environment, else from a private file made on first use."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if not path.exists():
            create_once(path, secrets.token_urlsafe(48).encode())
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
