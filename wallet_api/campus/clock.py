"""The campus domain's clock, in one place so that tests can set it (codes depend on time)."""

from __future__ import annotations

from datetime import datetime

from wallet_api.types import utcnow


def now() -> datetime:
    return utcnow()
