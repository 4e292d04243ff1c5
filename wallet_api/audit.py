"""`anxin audit verify` = the ledger's own checks + every domain's invariants.

A domain registers a function that inspects the database and returns findings (e.g. "escrow
for merchant 7 is below its required share"). They run after the journal checks, read-only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from wallet_api.ledger.verify import Finding, LedgerReport, verify_ledger

Invariant = Callable[[Session], list[Finding]]
_INVARIANTS: dict[str, Invariant] = {}


def invariant(name: str) -> Callable[[Invariant], Invariant]:
    """Decorator: register a domain invariant under a short name."""
    def register(check: Invariant) -> Invariant:
        _INVARIANTS[name] = check
        return check
    return register


@dataclass
class AuditReport:
    ledger: LedgerReport
    invariants_checked: list[str]
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return not self.findings


def full_audit(session: Session, public_key_hex: str) -> AuditReport:
    import wallet_api.models  # noqa: F401  (importing the domains registers their invariants)

    ledger = verify_ledger(session, public_key_hex)
    findings = list(ledger.findings)
    for check in _INVARIANTS.values():
        findings.extend(check(session))
    return AuditReport(ledger=ledger, invariants_checked=sorted(_INVARIANTS), findings=findings)
