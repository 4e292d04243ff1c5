"""The guardian's risk rules: pure functions of the payment and the payer's recent payments, no database.

A payment by an elder who has a guardian waits for the guardian when any rule fires (thresholds are
Settings, `ANXIN_GUARDIAN_*`, defaults in brackets):
- new_payee: the first payment to this shop or person, above `new_payee_threshold_fen` [50000 = 500 CNY];
- unusual_amount: above `unusual_factor` [5] x the median of the last `usual_history` [20] payments, and
  above `unusual_min_fen` [20000 = 200 CNY]; judged only once there are MIN_HISTORY [3] payments to go by;
- rapid_repeats: `rapid_count` [3] payments already left in the last `rapid_window_minutes` [10].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from statistics import median_low

from wallet_api.config import Settings
from wallet_api.payments.service import yuan

MIN_HISTORY = 3


@dataclass(frozen=True)
class RiskPolicy:
    new_payee_threshold_fen: int = 50_000
    unusual_factor: int = 5
    unusual_min_fen: int = 20_000
    usual_history: int = 20
    rapid_count: int = 3
    rapid_window: timedelta = timedelta(minutes=10)

    @classmethod
    def from_settings(cls, s: Settings) -> RiskPolicy:
        return cls(s.guardian_new_payee_threshold_fen, s.guardian_unusual_factor, s.guardian_unusual_min_fen,
                   s.guardian_usual_history, s.guardian_rapid_count, timedelta(minutes=s.guardian_rapid_window_minutes))


@dataclass(frozen=True)
class PayerHistory:
    paid_payee_before: bool
    recent_amounts: list[int] = field(default_factory=list)  # the last `usual_history` payments, any order
    sent_in_window: int = 0                                 # payments (waiting ones too) in the rapid window


@dataclass(frozen=True)
class Risk:
    code: str              # new_payee | unusual_amount | rapid_repeats
    params: dict[str, int]


def assess(amount: int, history: PayerHistory, policy: RiskPolicy) -> list[Risk]:
    risks = []
    if not history.paid_payee_before and amount > policy.new_payee_threshold_fen:
        risks.append(Risk("new_payee", {"threshold_fen": policy.new_payee_threshold_fen}))
    if len(history.recent_amounts) >= MIN_HISTORY:
        usual = median_low(history.recent_amounts)
        if amount > policy.unusual_min_fen and amount > policy.unusual_factor * usual:
            risks.append(Risk("unusual_amount", {"usual_fen": usual}))
    if history.sent_in_window >= policy.rapid_count:
        risks.append(Risk("rapid_repeats", {"count": history.sent_in_window,
                                            "minutes": int(policy.rapid_window.total_seconds() // 60)}))
    return risks


def explain(risk: Risk, amount: int, payee: str) -> str:
    """The reason in plain words (English; clients translate the message key `guardian.risk.<code>`)."""
    p = risk.params
    if risk.code == "new_payee":
        return f"This is your first payment to {payee}, and it is more than {yuan(p['threshold_fen'])} CNY."
    if risk.code == "unusual_amount":
        return f"{yuan(amount)} CNY is much more than you usually pay (about {yuan(p['usual_fen'])} CNY)."
    return f"You have already made {p['count']} payments in the last {p['minutes']} minutes."
