"""What the `anxin coupons` commands do: check a lottery draw, make a seed and its commitment."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from wallet_api.config import Settings
from wallet_api.coupons import lottery
from wallet_api.db import make_engine, make_session_factory
from wallet_api.errors import Problem


def load_record(source: str | None, settings: Settings | None = None, campaign_id: int | None = None,
                round_no: int | None = None) -> dict[str, Any]:
    """A draw record from a JSON file (as GET /v1/coupons/campaigns/{id}/rounds/{n} returns it; "-" is
    stdin), or straight from the database."""
    if source is not None:
        text = Path("/dev/stdin").read_text() if source == "-" else Path(source).read_text(encoding="utf-8")
        return json.loads(text)
    from wallet_api.coupons.rounds import draw_record

    engine = make_engine(settings.sqlalchemy_url)
    try:
        with make_session_factory(engine)() as session:
            return draw_record(session, campaign_id, round_no).model_dump(mode="json")
    except Problem as exc:
        raise LookupError(exc.detail) from None
    finally:
        engine.dispose()


def report(record: dict[str, Any], *, commitment: str | None = None, registrants_hash: str | None = None,
           ticket: str | None = None) -> tuple[bool, list[str]]:
    """(ok, lines to print)."""
    check = lottery.verify_record(record, commitment=commitment, registrants_hash_expected=registrants_hash,
                                  ticket=ticket)
    head = (f"campaign {record.get('campaign_id')} round {record.get('round')}: "
            f"{len(record.get('registrants') or [])} registrants, {record.get('winners_count')} winners, "
            f"algorithm {record.get('algorithm')}")
    lines = [head, *check.notes]
    if check.ok:
        lines.append("OK: the seed matches the commitment and the winners recompute from the seed and the "
                     "sorted registrant list")
    else:
        lines += [f"FAILED: {p}" for p in check.problems]
    return check.ok, lines


def new_seed() -> tuple[str, str]:
    seed = secrets.token_hex(32)
    return seed, lottery.commitment_of(seed)
