"""The programme's rules: the regulator-edited policy row, and the escrow arithmetic as pure functions.

Everything that decides how much money may leave escrow lives here, without a database, so that the
service only turns these numbers into ledger legs (and the tests can check the numbers directly).
All amounts are integer fen; a required share is rounded UP to the fen, in the consumers' favour.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wallet_api.prepaid.models import PrepaidPolicy

ISSUER_TYPES = ("group", "brand", "scale")
FULL, RATIO = "full", "ratio"


@dataclass(frozen=True)
class PolicyValues:
    """Defaults from the regulations in docs/prepaid.md; the regulator may change each one."""

    anonymous_card_limit_fen: int = 100_000   # 1,000 CNY
    named_card_limit_fen: int = 500_000       # 5,000 CNY
    ratio_group_pct: int = 20
    ratio_brand_pct: int = 30
    ratio_scale_pct: int = 40
    complaint_threshold: int = 3
    complaint_window_days: int = 30
    cooling_off_days: int = 7
    closing_notice_days: int = 30
    balance_refunds_allowed: bool = True

    def card_limit(self, named: bool) -> int:
        return self.named_card_limit_fen if named else self.anonymous_card_limit_fen

    def required_pct(self, escrow_policy: str, issuer_type: str) -> int:
        """The share of outstanding card balances a merchant must keep in escrow, in percent."""
        if escrow_policy == FULL:
            return 100
        return {"group": self.ratio_group_pct, "brand": self.ratio_brand_pct,
                "scale": self.ratio_scale_pct}[issuer_type]

    def as_dict(self) -> dict:
        return asdict(self)


def current_policy(session: Session, *, for_update: bool = False) -> PolicyValues:
    stmt = select(PrepaidPolicy).where(PrepaidPolicy.id == 1)
    row = session.scalar(stmt.with_for_update() if for_update else stmt)
    if row is None:
        return PolicyValues()
    return PolicyValues(**{name: getattr(row, name) for name in PolicyValues.__dataclass_fields__})


def save_policy(session: Session, values: PolicyValues, *, by_user_id: int | None, now: datetime) -> PolicyValues:
    row = session.scalar(select(PrepaidPolicy).where(PrepaidPolicy.id == 1).with_for_update())
    if row is None:
        row = PrepaidPolicy(id=1)
        session.add(row)
    for name, value in values.as_dict().items():
        setattr(row, name, value)
    row.updated_at, row.updated_by = now, by_user_id
    session.flush()
    return values


# ---- escrow arithmetic ------------------------------------------------------------------------

def required_escrow(outstanding: int, pct: int) -> int:
    """ceil(outstanding × pct / 100): never a fen less than the share."""
    return -(-max(outstanding, 0) * pct // 100)


def shortfall(escrow: int, outstanding: int, pct: int) -> int:
    return max(0, required_escrow(outstanding, pct) - escrow)


def withdrawable(escrow: int, outstanding: int, pct: int) -> int:
    """What the merchant may take out of escrow now without going below the required share."""
    return max(0, escrow - required_escrow(outstanding, pct))


def charge_release(escrow: int, outstanding: int, amount: int, pct: int) -> int:
    """How much of a charge leaves escrow for the merchant.

    Full policy: exactly the charge. Ratio policy: the part of the charge that escrow can spare
    and still hold its share of the smaller outstanding balance; the rest of the charge was
    already paid to the merchant in advance (by an earlier withdrawal above the share). If escrow
    is short (after a stricter policy), the charge keeps money in escrow until the gap is closed.
    """
    return max(0, min(amount, escrow - required_escrow(outstanding - amount, pct)))


def holder_share(balance: int, paid: int, bonus: int) -> int:
    """The part of a card balance refunded to the holder on a voluntary refund.

    A bonus is value the merchant added on top of what the holder paid; it is consumed in
    proportion, so the bonus share of what is left goes back to the merchant (rounded down:
    a fen in doubt stays with the holder). Without a bonus this is the whole balance.
    """
    if bonus == 0:
        return balance
    return balance - balance * bonus // (paid + bonus)


@dataclass(frozen=True)
class RefundSplit:
    escrow_to_holder: int
    settlement_to_holder: int
    escrow_to_merchant: int   # the bonus share released back to the merchant's settlement


def refund_split(*, escrow: int, outstanding: int, settlement: int, balance: int, to_holder: int,
                 pct: int) -> RefundSplit | None:
    """Where a voluntary refund of a whole card balance comes from, or None if it cannot be paid.

    The holder is paid first from the part of escrow this refund frees (escrow above the share
    required of the remaining cards), then from the merchant's settlement balance (under the
    ratio policy that is where the advance went), and only then from the rest of escrow — the
    holder is made whole and the coverage alert tells the regulator that escrow dipped.
    """
    bonus_share = balance - to_holder
    free = max(0, escrow - required_escrow(outstanding - balance, pct))
    from_free = min(to_holder, free)
    from_settlement = min(to_holder - from_free, max(settlement, 0))
    beyond = to_holder - from_free - from_settlement
    if from_free + beyond > escrow:
        return None
    return RefundSplit(escrow_to_holder=from_free + beyond, settlement_to_holder=from_settlement,
                       escrow_to_merchant=min(bonus_share, free - from_free))


@dataclass(frozen=True)
class DefaultSplit:
    payouts: dict[int, int]        # card id -> paid to its holder
    unrecovered: dict[int, int]    # card id -> what neither escrow nor settlement could pay
    from_escrow: int               # all of escrow leaves it: to holders, any surplus to the merchant
    settlement_delta: int          # + escrow surplus returned, - settlement used for holders


def default_split(*, escrow: int, settlement: int, balances: dict[int, int]) -> DefaultSplit:
    """Pay every outstanding card balance of a defaulted merchant.

    Escrow first, then the merchant's settlement balance. If both together fall short (possible
    only under the ratio policy), the pool is shared pro rata to the balances, the fen left by
    rounding going to the largest remainders (ties: lower card id); the rest is recorded per card
    as unrecovered. Escrow above what is owed (ratio policy) goes back to the merchant.
    """
    owed = sum(balances.values())
    pool_escrow = min(escrow, owed)
    pool_settlement = min(max(settlement, 0), owed - pool_escrow)
    pool = pool_escrow + pool_settlement
    if pool == owed:
        payouts = dict(balances)
    else:
        payouts = {card: pool * b // owed for card, b in balances.items()}
        left = pool - sum(payouts.values())
        by_remainder = sorted(balances, key=lambda card: (-(pool * balances[card] % owed), card))
        for card in by_remainder[:left]:
            payouts[card] += 1
    return DefaultSplit(payouts=payouts, unrecovered={c: balances[c] - payouts[c] for c in balances},
                        from_escrow=escrow, settlement_delta=(escrow - pool_escrow) - pool_settlement)
