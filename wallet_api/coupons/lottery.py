"""The verifiable lottery as pure functions: no database, so anyone can re-run them
(`anxin coupons verify-draw`) or re-implement them from these four rules (algorithm "anxin-draw-v1"):

- commitment       = SHA-256 of the seed's text (lower-case hex), published before registration closes;
- registrants_hash = SHA-256 of the sorted tickets, each followed by a newline
                     (`printf '%s\\n' $TICKETS | sha256sum`);
- rank(ticket)     = SHA-256 of seed + ":" + ticket, as hex;
- winners          = the k tickets of smallest rank (equal ranks ordered by ticket), in rank order.

The seed is fixed (by its commitment) before the registrant list is final, and the list is fixed
(registration closed, its hash published) before the seed is revealed, so neither side can steer
the result, and a changed list or seed changes what anyone recomputes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ALGORITHM = "anxin-draw-v1"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def commitment_of(seed: str) -> str:
    return _sha256(seed.strip().lower())


def registrants_hash(tickets: Iterable[str]) -> str:
    return _sha256("".join(f"{t}\n" for t in sorted(tickets)))


def rank(seed: str, ticket: str) -> str:
    return _sha256(f"{seed.strip().lower()}:{ticket}")


def winners(seed: str, tickets: Iterable[str], k: int) -> list[str]:
    return sorted(tickets, key=lambda t: (rank(seed, t), t))[:max(0, k)]


@dataclass
class DrawCheck:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def verify_record(record: Mapping[str, Any], *, commitment: str | None = None,
                  registrants_hash_expected: str | None = None, ticket: str | None = None) -> DrawCheck:
    """Recompute a published draw record. `commitment` and `registrants_hash_expected` are what the
    checker saw published earlier (optional); `ticket` is the checker's own entry (optional)."""
    check = DrawCheck()
    bad = check.problems.append
    if record.get("algorithm") != ALGORITHM:
        bad(f"unknown algorithm {record.get('algorithm')!r} (this checker knows {ALGORITHM})")
        return check
    seed, tickets, published = record.get("seed"), record.get("registrants"), record.get("winners")
    if not seed or tickets is None or published is None:
        bad("the round has not been drawn yet (no seed, registrant list or winners in the record)")
        return check
    if commitment is not None and commitment.lower() != str(record.get("commitment", "")).lower():
        bad("the record's commitment is not the one published before registration closed")
    if commitment_of(seed) != str(record.get("commitment", "")).lower():
        bad(f"the seed does not match the commitment: SHA-256(seed) = {commitment_of(seed)}, "
            f"commitment = {record.get('commitment')}")
    committed_at, closes_at = _time(record.get("committed_at")), _time(record.get("registration_closes_at"))
    if committed_at is None or closes_at is None or committed_at >= closes_at:
        bad("the commitment was not published before registration closed")
    if list(tickets) != sorted(set(tickets)):
        bad("the registrant list is not sorted and free of duplicates")
    recomputed_hash = registrants_hash(tickets)
    if recomputed_hash != record.get("registrants_hash"):
        bad(f"the registrant list does not match its published hash: recomputed {recomputed_hash}, "
            f"published {record.get('registrants_hash')}")
    if registrants_hash_expected is not None and registrants_hash_expected.lower() != recomputed_hash:
        bad("the registrant list is not the one whose hash was published when registration closed")
    k, quantity = record.get("winners_count"), record.get("quantity")
    if not isinstance(k, int) or not isinstance(quantity, int) or k != min(quantity, len(tickets)) \
            or k != len(published):
        bad(f"winners_count {k!r} should be the smaller of the coupons to win ({quantity!r}) and the registrants "
            f"({len(tickets)}), and match the winners listed ({len(published)})")
        k = len(published)
    expected = winners(seed, tickets, k)
    if expected != list(published):
        missing, extra = sorted(set(expected) - set(published)), sorted(set(published) - set(expected))
        bad(f"the winners differ from the recomputed ones (should win: {missing or 'same set'}, "
            f"should not: {extra or 'same set'}, or the order differs)")
    if ticket is not None:
        if ticket not in tickets:
            bad(f"ticket {ticket} is not in the registrant list")
        else:
            check.notes.append(f"ticket {ticket} is registered and {'WON' if ticket in expected else 'did not win'}")
    return check
