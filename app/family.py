"""Family: the actions behind the Family screens (docs/family.md), and a grant in plain words.

An elder invites a relative (by name, or with a QR the relative scans), edits what the relative may
do, and can end it at any time. A relative accepts, sees whom they look after, and switches to
acting for one of them: from then on every call of the session carries `Acting-For` until they
switch back. A relative can also set an elder up from scratch on the elder's phone; the elder
finishes it with their own password and PIN, and the relative's sign-in leaves that phone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from app.family_client import FamilyClient
from app.i18n import Translator
from app.qr import qr_png
from app.state import AppState, Preferences
from wallet_api.schemas import HistoryItem, Receipt
from wallet_api.schemas.family_card import FamilyCardOut, FamilyCardsOut
from wallet_api.schemas.guardian import GuardianOverview, PendingPaymentOut, WaitReason
from wallet_api.schemas.family import (
    DelegatedActionOut, ElderSetupIn, ElderSetupOut, GrantIn, GrantOut, InviteCodeAcceptIn, InviteCodeIn, InviteIn,
    LinkOut, LinksOut, LinkStatus, PersonOut, Scope, SetupFinishIn, SetupPreviewIn,
)

if TYPE_CHECKING:
    from app.anxin_client import AnxinClient

# The order a person reads the scopes in: seeing first, then money, then the rest.
SCOPE_ORDER = (Scope.VIEW, Scope.PAY_BILLS, Scope.PAY_MERCHANTS, Scope.TOP_UP, Scope.MANAGE_CARDS,
               Scope.MANAGE_SETTINGS, Scope.CLAIM_COUPONS)
# A sensible first grant for a son or daughter: see everything, pay bills and shops, top up, settings.
SUGGESTED_SCOPES = (Scope.VIEW, Scope.PAY_BILLS, Scope.PAY_MERCHANTS, Scope.TOP_UP, Scope.MANAGE_SETTINGS)
# Setting an elder up from scratch also means linking her bank card.
SETUP_SCOPES = (*SUGGESTED_SCOPES, Scope.MANAGE_CARDS)


def suggested_grant(per_payment_fen: int = 20_000, per_day_fen: int = 50_000, expires_at: datetime | None = None,
                    scopes: tuple[Scope, ...] = SUGGESTED_SCOPES) -> GrantIn:
    return GrantIn(scopes=list(scopes), per_payment_limit_fen=per_payment_fen, per_day_limit_fen=per_day_fen,
                   expires_at=expires_at)


def grant_in_words(grant: GrantOut, t: Translator, *, relative: str | None = None,
                   elder: str | None = None) -> list[str]:
    """The grant as lines a person reads (or hears): who may do what, up to how much, until when, and
    what is never allowed. Name `relative` for the elder's view, `elder` for the relative's."""
    lines = []
    if relative is not None:
        lines.append(t("family.grant.intro_elder", relative=relative))
    elif elder is not None:
        lines.append(t("family.grant.intro_relative", elder=elder))
    lines += [t(f"family.scope.{scope.value}") for scope in SCOPE_ORDER if scope in grant.scopes]
    if {Scope.PAY_BILLS, Scope.PAY_MERCHANTS} & set(grant.scopes):
        lines.append(t("family.grant.per_payment", amount=t.money(grant.per_payment_limit_fen)))
        lines.append(t("family.grant.per_day", amount=t.money(grant.per_day_limit_fen),
                       spent=t.money(grant.spent_today_fen)))
    lines.append(t("family.grant.until", date=t.date(grant.expires_at)) if grant.expires_at
                 else t("family.grant.until_ended"))
    lines.append(t("family.grant.never"))
    return lines


def status_in_words(link: LinkOut, t: Translator) -> str:
    return t(f"family.status.{link.status.value}")


def invite_expiry_in_words(link: LinkOut, t: Translator) -> str | None:
    """"Can be accepted until 7 December" for an invitation still waiting; None otherwise (an expired one
    says so in its status)."""
    if link.status != LinkStatus.INVITED or link.invite_expires_at is None:
        return None
    return t("family.invite_until", date=t.date(link.invite_expires_at))


def done_by_in_words(item: HistoryItem | Receipt, t: Translator) -> str | None:
    """"Done by Jianguo for you" for a history line or a receipt a relative caused; None for one's own."""
    return t("family.done_by", name=item.done_by) if item.done_by else None


@dataclass(frozen=True)
class InviteQr:
    payload: str          # what the QR holds; the relative's app sends it back to accept
    png: bytes            # the QR picture to show
    expires_at: datetime


class FamilyActions:
    def __init__(self, client: FamilyClient, state: AppState) -> None:
        self.client = client
        self.state = state

    # ---- both sides ---------------------------------------------------------------------------

    def links(self) -> LinksOut:
        return self.client.family_links()

    def relatives(self) -> list[PersonOut]:
        """The people who help me (my active links): whom care mode offers to send money to or call."""
        return [link.relative for link in self.links().looked_after_by if link.status == LinkStatus.ACTIVE]

    def end(self, link: LinkOut) -> None:
        """End (or decline) a link. Ending the one being acted on switches back to oneself."""
        self.client.end_link(link.id)
        if self.state.acting_for == link.elder.username:
            self.stop_acting()

    def actions(self, link: LinkOut) -> list[DelegatedActionOut]:
        return self.client.link_actions(link.id)

    # ---- the elder ----------------------------------------------------------------------------

    def invite(self, relative: str, grant: GrantIn | None = None) -> LinkOut:
        return self.client.invite_relative(InviteIn(relative=relative, grant=grant or suggested_grant()))

    def invite_qr(self, grant: GrantIn | None = None) -> InviteQr:
        code = self.client.invite_code(InviteCodeIn(grant=grant or suggested_grant()))
        return InviteQr(code.qr_payload, qr_png(code.qr_payload), code.expires_at)

    def edit_grant(self, link: LinkOut, grant: GrantIn) -> LinkOut:
        return self.client.set_grant(link.id, grant)

    # ---- the relative -------------------------------------------------------------------------

    def accept(self, link: LinkOut) -> LinkOut:
        return self.client.accept_link(link.id)

    def accept_qr(self, scanned: str) -> LinkOut:
        return self.client.accept_invite_code(InviteCodeAcceptIn(token=scanned.strip()))

    def act_for(self, link: LinkOut) -> int:
        """From now on every call acts for this elder (their balance, history, payments). Returns
        the elder's balance, read acting for them, which also proves the grant works."""
        if link.status != LinkStatus.ACTIVE:
            raise ValueError(f"link {link.id} is {link.status}, not active")
        self.client.acting_for = self.state.acting_for = link.elder.username
        self.state.acting_for_name = link.elder.display_name
        try:
            return self._refresh_balance()
        except Exception:
            self.stop_acting()      # refused (ended a moment ago, no view): stay oneself
            raise

    def stop_acting(self) -> None:
        self.client.acting_for = self.state.acting_for = None
        self.state.acting_for_name = None
        if self.state.signed_in:
            self._refresh_balance()

    def _refresh_balance(self) -> int:
        self.state.balance_fen = self.client.wallet().balance_fen
        return self.state.balance_fen

    def set_up_elder(self, username: str, display_name: str, *, grant: GrantIn | None = None,
                     phone: str | None = None, language: str = "zh-CN", care_mode: bool = True) -> ElderSetupOut:
        """Step 1, the relative signed in on the elder's phone: make the account (care mode on)."""
        return self.client.create_elder(ElderSetupIn(username=username, display_name=display_name, phone=phone,
                                                     language=language, care_mode=care_mode,
                                                     grant=grant or suggested_grant(scopes=SETUP_SCOPES)))

    def preview_setup(self, setup_token: str) -> LinkOut:
        """Step 2, the phone handed to the elder: what finishing agrees to, to read (or hear) first."""
        return self.client.setup_preview(SetupPreviewIn(setup_token=setup_token)).link

    def finish_elder_setup(self, setup_token: str, password: str, pin: str) -> None:
        """Step 3, the elder: their own password and PIN. The relative is signed out of this phone
        first, then the elder is signed in; the PIN goes only to the server, as its hash."""
        try:
            self.client.logout()
        finally:
            self.state.user, self.state.acting_for, self.state.acting_for_name = None, None, None
        self.client.finish_setup(SetupFinishIn(setup_token=setup_token, password=password, pin=pin))
        self.state.user = self.client.me()
        self.state.prefs = Preferences.from_wire(self.client.preferences())
        self._refresh_balance()


# ---- what the Family screen shows, and words for it -------------------------------------------

@dataclass(frozen=True)
class FamilyOverview:
    """Everything the Family screen shows, read in one go (every call personal, never acting)."""

    links: LinksOut
    cards: FamilyCardsOut
    guardian: GuardianOverview
    approvals: list[PendingPaymentOut]     # payments waiting for me, as someone's guardian
    waiting: list[PendingPaymentOut]       # my own payments waiting for my guardian or a delay


def read_overview(client: AnxinClient) -> FamilyOverview:
    return FamilyOverview(client.family_links(), client.family_cards(), client.guardian_overview(),
                          client.pending_payments(role="guardian", open_only=True),
                          client.pending_payments(role="payer", open_only=True))


def room_with_cap(card: FamilyCardOut, monthly_cap_fen: int) -> int:
    """What the card could still pay this month under a new cap (the server's rule: a lower cap applies at
    once, and if the month already spent more, the card pays nothing more until the next month)."""
    return max(0, monthly_cap_fen - card.spent_this_month_fen)


def yuan_to_fen(text: str) -> int | None:
    """'12.5' / '¥12.50' typed in a field -> 1250 fen; None when it is not an amount."""
    match = re.fullmatch(r"\s*[¥￥]?\s*(\d{1,7})(?:[.,](\d{1,2}))?\s*", text or "")
    if not match:
        return None
    return int(match.group(1)) * 100 + int((match.group(2) or "").ljust(2, "0"))


def reason_in_words(reason: WaitReason, pending: PendingPaymentOut, t: Translator) -> str:
    """One reason a payment waits, in the person's language (the server's English for an unknown one)."""
    if not t.has(reason.message_key):
        return reason.text
    params: dict[str, object] = {"payee": pending.payee, "amount": t.money(pending.amount_fen)}
    for name, value in reason.params.items():
        params[name.removesuffix("_fen")] = t.money(value) if name.endswith("_fen") else value
    return t(reason.message_key, **params)


def waiting_in_words(pending: PendingPaymentOut, t: Translator) -> list[str]:
    """Why my payment waits and what happens next."""
    lines = [reason_in_words(reason, pending, t) for reason in pending.reasons]
    if pending.reason == "guardian":
        lines.append(t("guardian.waiting_for_guardian", guardian=pending.guardian or "—"))
    else:
        lines.append(t("guardian.waiting_for_delay", payee=pending.payee, time=t.datetime(pending.due_at)))
    return lines
