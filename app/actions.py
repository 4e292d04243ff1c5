"""The user's actions: what a person can do in the app, over the typed client and the app state.

Each action is a plain blocking call; the UI runs them off its event thread and renders
the result. Nothing here knows about widgets.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from keyring.backend import KeyringBackend

from app.anxin_client import AnxinClient
from app.campus_card import CampusCardSettings
from app.cards import Cards
from app.coupons import Coupons
from app.device import DeviceMemory
from app.errors import NotFound, PaymentWaiting, PinRequired
from app.family import FamilyActions
from app.journal_trust import PinnedJournalKeys
from app.payment_code import PaymentCodes
from app.till import Till
from app.qr import decode_qr_image
from app.regulator import Regulator
from app.state import AppState, MerchantChoice, PaymentDraft, Preferences, TransferDraft
from wallet_api.schemas import (HistoryPage, LoginIn, MerchantPaymentIn, NotificationCategory,
                                NotificationOut, P2PPaymentIn, PreferencesIn, QrIn, Receipt, RegisterIn, SetPinIn)
from wallet_api.schemas.family_card import FamilyCardIn, FamilyCardOut, FamilyCardsOut, FamilyCardUseOut
from wallet_api.schemas.guardian import GuardianInviteIn, GuardianOverview, GuardianshipOut, PendingPaymentOut


@dataclass(frozen=True)
class SignedIn:
    first_time_here: bool     # show the short setup (care mode) on this device


@dataclass(frozen=True)
class JournalCheck:
    ok: bool
    problems: list[str]
    checkpoint_seq: int | None
    not_yet_signed: bool = False   # the transfer is newer than the last signed checkpoint


@dataclass(frozen=True)
class FundingChoice:
    funding: str                  # "wallet" or "family_card:<id>", for draft_payment
    giver: str | None             # whose family card (None: my wallet)
    available_fen: int            # the wallet's balance, or the card's room this month
    card_id: int | None


class WalletSession:
    def __init__(self, client: AnxinClient, state: AppState, device: DeviceMemory,
                 journal_keys: PinnedJournalKeys, *, keychain: KeyringBackend | None = None) -> None:
        self.client = client
        self.state = state
        self.device = device
        self.journal_keys = journal_keys
        # The domains' actions, each over the same client and state.
        self.codes = PaymentCodes(client, state, keychain)
        self.campus = CampusCardSettings(client, self.codes)
        self.till = Till(client, state)
        self.cards = Cards(client, state)
        self.coupons = Coupons(client, state)
        self.family = FamilyActions(client, state)
        self.regulator = Regulator(client, state)

    # ---- signing in and out -------------------------------------------------------------------

    def sign_in(self, username: str, password: str) -> SignedIn:
        self.client.login(LoginIn(username=username, password=password))
        self.state.user = self.client.me()
        self.state.prefs = Preferences.from_wire(self.client.preferences())
        self.refresh_balance()
        return SignedIn(first_time_here=not self.device.setup_done(self.state.user.username))

    def register(self, username: str, password: str, display_name: str) -> SignedIn:
        self.client.register(RegisterIn(username=username, password=password, display_name=display_name))
        return self.sign_in(username, password)

    def finish_setup(self, **changes: object) -> Preferences:
        prefs = self.save_preferences(**changes) if changes else self.state.prefs
        self.device.mark_setup_done(self.state.username)
        return prefs

    def sign_out(self) -> None:
        try:
            self.client.logout()
        finally:
            self._forget_session()

    def forget_device(self) -> None:
        """Sign out and drop everything this device kept about the person."""
        username = self.state.username
        try:
            self.client.logout()
        finally:
            self.device.forget(username)
            self._forget_session()

    def _forget_session(self) -> None:
        self.state.user, self.state.balance_fen, self.state.acting_for = None, None, None
        self.state.acting_for_name = None
        self.client.acting_for = None
        # The sign-in screen keeps the way it looked (language, size, contrast): nothing personal in that.
        p = self.state.prefs
        self.state.prefs = Preferences(language=p.language, care_mode=p.care_mode,
                                       font_scale_percent=p.font_scale_percent, high_contrast=p.high_contrast)

    def set_pin(self, password: str, pin: str) -> None:
        self.client.set_pin(SetPinIn(pin=pin, password=password))

    # ---- home and preferences -----------------------------------------------------------------

    def refresh_balance(self) -> int:
        self.state.balance_fen = self.client.wallet().balance_fen
        return self.state.balance_fen

    def save_preferences(self, **changes: object) -> Preferences:
        wanted = self.state.prefs.with_changes(**changes)
        body = {name: getattr(wanted, name) for name in changes}
        if wanted.care_mode and "care_mode" in changes:
            body.pop("marketing_allowed", None)       # the server turns it off with care mode itself
        out = self.client.update_preferences(PreferencesIn(**body))
        self.state.prefs = Preferences.from_wire(out)
        return self.state.prefs

    # ---- finding whom to pay ------------------------------------------------------------------

    def merchant_from_qr_text(self, payload: str) -> MerchantChoice:
        out = self.client.parse_qr(QrIn(payload=payload.strip()))
        return MerchantChoice(out.merchant_id, out.merchant_name, out.local_name, out.amount_fen, payload.strip())

    def merchant_from_qr_image(self, image: bytes) -> MerchantChoice:
        return self.merchant_from_qr_text(decode_qr_image(image))

    def merchant_by_code(self, code: str) -> MerchantChoice:
        """The merchant code printed under a shop's QR (its number)."""
        digits = "".join(ch for ch in code if ch.isdigit())
        if not digits or len(digits) > 12:
            raise NotFound(404, "merchant_not_found", "error.merchant_not_found", f"No merchant {code!r}.")
        out = self.client.merchant(int(digits))
        return MerchantChoice(out.id, out.name, out.local_name)

    def recent_merchants(self) -> list[MerchantChoice]:
        """Shops this device remembers the person paying (instant, no network)."""
        return [MerchantChoice(m.id, m.name, m.local_name) for m in self.device.recent_merchants(self.state.username)]

    def recent_merchants_from_history(self, limit: int = 5) -> list[MerchantChoice]:
        """On a new device: the shops in the latest history, remembered here from now on."""
        found: list[MerchantChoice] = []
        for item in self.client.history(limit=30, direction="out").items:
            if item.payment_id is None or item.kind != "payment" or len(found) >= limit:
                continue
            merchant_id = self.client.payment(item.payment_id).merchant_id
            if merchant_id is None or any(m.id == merchant_id for m in found):
                continue
            out = self.client.merchant(merchant_id)
            found.append(MerchantChoice(out.id, out.name, out.local_name))
        for merchant in reversed(found):
            self.device.remember_merchant(self.state.username, merchant.recent())
        return found

    # ---- paying -------------------------------------------------------------------------------

    def draft_payment(self, merchant: MerchantChoice, amount_fen: int, funding: str | None = None) -> PaymentDraft:
        """The payment to read back, with the best city coupon for it proposed (the person may decline).
        `funding`: None (the wallet, or a family card when the wallet is short), "wallet", or one of
        `funding_choices()`; it can also be chosen on the draft before the first attempt."""
        draft = PaymentDraft(merchant, amount_fen, self.state.balance_fen, uuid.uuid4().hex, funding=funding)
        draft.coupon = self.coupons.best_for(merchant.id, amount_fen)
        return draft

    def funding_choices(self, amount_fen: int) -> list[FundingChoice]:
        """What can pay this amount: the wallet, then each held family card with room this month."""
        wallet = FundingChoice("wallet", None, self.refresh_balance(), None)
        cards = [FundingChoice(f"family_card:{c.id}", c.giver, c.left_this_month_fen, c.id)
                 for c in self.client.family_cards().held if c.status == "active"]
        return [wallet] + [c for c in cards if c.available_fen >= amount_fen]

    def pay(self, draft: PaymentDraft, pin: str | None = None) -> Receipt:
        """Pay the draft. Raises PinRequired when the server wants the PIN: ask for it and call
        again with the same draft (same idempotency key: never a second payment). Raises PaymentWaiting
        when the payment waits for the person's guardian (its `pending` says why, in words)."""
        m = draft.merchant
        body = MerchantPaymentIn(merchant_id=None if m.qr_payload else m.id, qr_payload=m.qr_payload,
                                 amount_fen=draft.amount_fen, pin=pin, coupon_id=draft.coupon_id,
                                 funding=draft.funding)
        draft.sent = True
        outcome = self.client.pay_merchant(body, idempotency_key=draft.idempotency_key)
        self.device.remember_merchant(self.state.username, m.recent())
        self._refresh_quietly()
        if isinstance(outcome, PendingPaymentOut):
            raise PaymentWaiting(outcome)
        draft.receipt = outcome
        return outcome

    def draft_transfer(self, to_username: str, to_name: str, amount_fen: int) -> TransferDraft:
        """A transfer to read back, with the balance it comes from (asked afresh: the read-back says it)."""
        return TransferDraft(to_username, to_name, amount_fen, self.refresh_balance(), uuid.uuid4().hex)

    def transfer(self, draft: TransferDraft, pin: str | None = None) -> Receipt:
        """Send the draft; again with the same draft after a lost answer or a PIN (one key: sent once)."""
        draft.receipt = self.send(draft.to_username, draft.amount_fen, draft.idempotency_key, pin)
        return draft.receipt

    def send(self, to_username: str, amount_fen: int, idempotency_key: str, pin: str | None = None) -> Receipt:
        """Send money to a person from the wallet (family cards pay shops only). Raises PaymentWaiting when it
        waits for the guardian or, for a new payee, a delay during which `revoke` takes it back."""
        outcome = self.client.pay_person(P2PPaymentIn(to_username=to_username, amount_fen=amount_fen, pin=pin),
                                         idempotency_key=idempotency_key)
        self._refresh_quietly()
        if isinstance(outcome, PendingPaymentOut):
            raise PaymentWaiting(outcome)
        return outcome

    def _refresh_quietly(self) -> None:
        try:
            self.refresh_balance()
        except Exception:   # noqa: BLE001 — the payment went through; a stale balance is not an error
            pass

    # ---- family cards -------------------------------------------------------------------------

    def family_cards(self) -> FamilyCardsOut:
        """The cards I give and the cards I hold, with this month's spend (months in Asia/Shanghai time)."""
        return self.client.family_cards()

    def give_family_card(self, holder_username: str, monthly_cap_fen: int, note: str = "") -> FamilyCardOut:
        return self.client.offer_family_card(FamilyCardIn(holder_username=holder_username,
                                                          monthly_cap_fen=monthly_cap_fen, note=note))

    def answer_family_card(self, card_id: int, accept: bool) -> FamilyCardOut:
        return self.client.answer_family_card(card_id, accept)

    def pause_family_card(self, card_id: int, paused: bool = True) -> FamilyCardOut:
        return self.client.pause_family_card(card_id, paused)

    def change_family_card_cap(self, card_id: int, monthly_cap_fen: int) -> FamilyCardOut:
        return self.client.set_family_card_cap(card_id, monthly_cap_fen)

    def close_family_card(self, card_id: int) -> FamilyCardOut:
        return self.client.close_family_card(card_id)

    def family_card_uses(self, card_id: int) -> list[FamilyCardUseOut]:
        return self.client.family_card_uses(card_id)

    # ---- the safety guardian ------------------------------------------------------------------

    def guardian_overview(self) -> GuardianOverview:
        return self.client.guardian_overview()

    def name_guardian(self, guardian_username: str, delay_new_payee_transfers: bool = True) -> GuardianshipOut:
        return self.client.invite_guardian(GuardianInviteIn(guardian_username=guardian_username,
                                                            delay_new_payee_transfers=delay_new_payee_transfers))

    def answer_guardian_invitation(self, guardianship_id: int, accept: bool) -> GuardianshipOut:
        return self.client.answer_guardianship(guardianship_id, accept)

    def end_guardianship(self, guardianship_id: int) -> GuardianshipOut:
        return self.client.end_guardianship(guardianship_id)

    def approvals(self) -> list[PendingPaymentOut]:
        """Payments waiting for my approval as someone's guardian."""
        return self.client.pending_payments(role="guardian", open_only=True)

    def approve(self, pending_id: int) -> PendingPaymentOut:
        return self.client.decide_pending_payment(pending_id, "approve")

    def decline(self, pending_id: int) -> PendingPaymentOut:
        return self.client.decide_pending_payment(pending_id, "decline")

    def waiting_payments(self, open_only: bool = True) -> list[PendingPaymentOut]:
        """My own payments waiting for my guardian or a delay."""
        return self.client.pending_payments(role="payer", open_only=open_only)

    def revoke(self, pending_id: int) -> PendingPaymentOut:
        """Take back a waiting payment: a delayed transfer only before its delay is over."""
        result = self.client.decide_pending_payment(pending_id, "revoke")
        self._refresh_quietly()
        return result

    @staticmethod
    def needs_pin(error: Exception) -> bool:
        return isinstance(error, PinRequired) and error.code == "pin_required"

    # ---- history, receipts and the journal ----------------------------------------------------

    def history(self, cursor: int | None = None, limit: int = 20) -> HistoryPage:
        return self.client.history(limit=limit, cursor=cursor)

    def receipt(self, payment_id: int) -> Receipt:
        return self.client.payment(payment_id)

    def check_in_journal(self, transfer_id: int) -> JournalCheck:
        """Is this transfer in the server's signed journal, checked here with the key we pinned?"""
        try:
            proof = self.client.transfer_proof(transfer_id)
        except NotFound:
            # Proofs exist once a checkpoint covers the transfer (the server signs one every minute).
            return JournalCheck(False, [], None, not_yet_signed=True)
        key = self.client.journal_key().public_key
        problems = self.journal_keys.check(self.state.server_url, proof, key)
        return JournalCheck(not problems, problems, proof.checkpoint.seq)

    # ---- messages -----------------------------------------------------------------------------

    def messages(self) -> list[NotificationOut]:
        notes = self.client.notifications()
        if not self.state.prefs.marketing_allowed:
            # The server already keeps them away; an old one from before the switch stays hidden too.
            notes = [n for n in notes if n.category != NotificationCategory.MARKETING]
        return notes

    def mark_read(self, notification_id: int) -> None:
        self.client.mark_notification_read(notification_id)
