"""Parts of the Family screen (ui/views/family.py), each drawing its own section and handling its taps:
inviting and accepting relatives, and family money (family cards, the guardian, waiting payments)."""

from __future__ import annotations

from typing import Any

import flet as ft

from app.family import InviteQr, reason_in_words, waiting_in_words
from app.qr import decode_qr_image
from ui.views.family_card import FamilyCardScreen

# The server's FamilyCardOut and PendingPaymentOut (ui never imports the server's package).
FamilyCardOut = PendingPaymentOut = Any


class _Part:
    def __init__(self, screen) -> None:
        self.screen = screen

    @property
    def ui(self):
        return self.screen.ui

    @property
    def kit(self):
        return self.screen.kit

    @property
    def t(self):
        return self.screen.t

    @property
    def overview(self):
        return self.screen.overview

    def section(self, key: str, identifier: str) -> ft.Control:
        return self.screen._section(key, identifier)

    def run(self, work, busy_key: str = "busy.working", then=None) -> None:
        self.ui.run(work, then or self.screen.reload, busy_key=busy_key)


class InviteParts(_Part):
    """The elder invites by name or shows a one-time QR; the relative accepts by its code or a picture."""

    def __init__(self, screen) -> None:
        super().__init__(screen)
        self.relative = ""
        self.code = ""
        self.qr: InviteQr | None = None

    def controls(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        controls = [self.section("family.invite_title", "family-invite-title"), kit.muted(t("family.invite_hint")),
                    kit.field(t("family.invite_name"), "family-invite-name", value=self.relative,
                              on_change=lambda e: setattr(self, "relative", e.control.value)),
                    kit.button(t("family.invite_send"), self.send, "family-invite-send", icon=ft.Icons.SEND,
                               primary=False),
                    kit.button(t("family.invite_qr"), self.show_qr, "family-invite-qr", icon=ft.Icons.QR_CODE_2,
                               primary=False)]
        if self.qr is not None:
            image = ft.Image(src=self.qr.png, width=240, height=240, fit=ft.BoxFit.CONTAIN)
            words = t("family.invite_qr_words", time=t.datetime(self.qr.expires_at))
            controls += [ft.Semantics(identifier="family-qr", label=words, image=True, content=image),
                         kit.body(words), kit.muted(t("family.invite_qr_code", code=self.qr.payload),
                                                    identifier="family-qr-code")]
        controls += [self.section("family.join_title", "family-join-title"),
                     kit.field(t("family.join_code"), "family-join-code", value=self.code,
                               on_change=lambda e: setattr(self, "code", e.control.value)),
                     kit.button(t("family.join_send"), self.join, "family-join-send", icon=ft.Icons.LOGIN,
                                primary=False),
                     kit.button(t("family.join_picture"), self.pick_picture, "family-join-picture",
                                icon=ft.Icons.IMAGE_SEARCH, primary=False)]
        return controls

    def send(self, _event=None) -> None:
        name, family = self.relative.strip(), self.ui.session.family
        if not name:
            self.ui.error = self.t("family.invite_name_missing")
            self.ui.render()
            return
        self.run(lambda: family.invite(name), then=self._invited)

    def _invited(self, link) -> None:
        self.relative = ""
        self.ui.announce(self.t("family.invited_now", name=link.relative.display_name))
        self.screen.reload()

    def show_qr(self, _event=None) -> None:
        family = self.ui.session.family
        self.run(family.invite_qr, then=lambda qr: setattr(self, "qr", qr))

    def join(self, _event=None) -> None:
        code = self.code.strip()
        if not code:
            self.ui.error = self.t("family.join_code_missing")
            self.ui.render()
            return
        self._accept(lambda: code)

    async def pick_picture(self, _event=None) -> None:
        files = await ft.FilePicker().pick_files(dialog_title=self.t("family.join_picture"),
                                                 file_type=ft.FilePickerFileType.IMAGE, with_data=True)
        if files and files[0].bytes:
            self.join_from_picture(files[0].bytes)

    def join_from_picture(self, image: bytes) -> None:
        self._accept(lambda: decode_qr_image(image))

    def _accept(self, scanned) -> None:
        family = self.ui.session.family
        self.run(lambda: family.accept_qr(scanned()), then=self._joined, busy_key="busy.reading_qr")

    def _joined(self, link) -> None:
        self.code = ""
        self.ui.announce(self.t("family.joined_now", name=link.elder.display_name))
        self.screen.reload()


class FamilyMoneyParts(_Part):
    """Family cards, the guardian's approvals (read back before approving), and waiting payments."""

    def __init__(self, screen) -> None:
        super().__init__(screen)
        self.holder = ""
        self.cap = ""
        self.approving: PendingPaymentOut | None = None
        self.guardian_name = ""

    # ---- my waiting payments ------------------------------------------------------------------

    def waiting(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        controls: list[ft.Control] = []
        for p in self.overview.waiting:
            head = t("family.waiting_head", amount=t.money(p.amount_fen), payee=p.payee)
            lines = waiting_in_words(p, t)
            controls.append(kit.card([kit.text(head, weight=ft.FontWeight.BOLD), *[kit.body(x) for x in lines]],
                                     identifier=f"family-waiting-{p.id}", label=" ".join([head, *lines])))
            controls.append(kit.button(t("family.take_back", amount=t.money(p.amount_fen)),
                                       lambda e, x=p: self.take_back(x), f"family-take-back-{p.id}",
                                       icon=ft.Icons.UNDO))
        return controls

    def take_back(self, pending: PendingPaymentOut) -> None:
        session = self.ui.session
        self.run(lambda: session.revoke(pending.id), then=self._taken_back)

    def _taken_back(self, pending: PendingPaymentOut) -> None:
        self.ui.announce(self.t("family.taken_back", amount=self.t.money(pending.amount_fen)))
        self.screen.reload()

    # ---- the guardian -------------------------------------------------------------------------

    def approvals(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        if self.approving is not None:
            p = self.approving
            return [kit.notice(self.approve_readback(p), "family-approve-readback", icon=ft.Icons.RECORD_VOICE_OVER),
                    kit.button(t("family.approve_confirm", amount=t.money(p.amount_fen)), self.approve,
                               "family-approve-confirm", icon=ft.Icons.CHECK),
                    kit.button(t("family.approve_cancel"), self.cancel_approval, "family-approve-cancel",
                               primary=False)]
        if not self.overview.approvals:
            return []
        controls: list[ft.Control] = [self.section("family.approvals", "family-approvals")]
        for p in self.overview.approvals:
            head = t("family.approval_head", payer=p.payer, amount=t.money(p.amount_fen), payee=p.payee)
            lines = [reason_in_words(r, p, t) for r in p.reasons]
            controls.append(kit.card([kit.text(head, weight=ft.FontWeight.BOLD), *[kit.body(x) for x in lines]],
                                     identifier=f"family-approval-{p.id}", label=" ".join([head, *lines])))
            controls.append(kit.button(t("family.approve"), lambda e, x=p: self.ask_approve(x),
                                       f"family-approve-{p.id}", icon=ft.Icons.CHECK))
            controls.append(kit.button(t("family.decline_payment"), lambda e, x=p: self.decline(x),
                                       f"family-decline-payment-{p.id}", icon=ft.Icons.CLOSE, primary=False))
        return controls

    def approve_readback(self, p: PendingPaymentOut) -> str:
        return self.t("family.approve_readback", payer=p.payer, payee=p.payee, amount=self.t.money(p.amount_fen))

    def ask_approve(self, pending: PendingPaymentOut) -> None:
        self.approving = pending
        self.ui.announce(self.approve_readback(pending))
        self.ui.render()

    def cancel_approval(self, _event=None) -> None:
        self.approving = None
        self.ui.render()

    def approve(self, _event=None) -> None:
        pending, session = self.approving, self.ui.session
        self.approving = None
        self.run(lambda: session.approve(pending.id), then=self._decided)

    def decline(self, pending: PendingPaymentOut) -> None:
        session = self.ui.session
        self.run(lambda: session.decline(pending.id), then=self._decided)

    def _decided(self, pending: PendingPaymentOut) -> None:
        self.ui.announce(self.t(f"family.decided.{pending.status}", payee=pending.payee,
                                amount=self.t.money(pending.amount_fen)))
        self.screen.reload()

    def guardian(self) -> list[ft.Control]:
        """Invitations to be someone's guardian, and who guards me."""
        kit, t = self.kit, self.t
        g = self.overview.guardian
        controls: list[ft.Control] = []
        for invite in g.i_guard:
            if invite.status == "invited":
                words = t("family.guardian_invited", elder=invite.elder)
                controls += [kit.body(words, identifier=f"family-guardian-invite-{invite.id}"),
                             kit.button(t("family.accept", name=invite.elder),
                                        lambda e, x=invite: self.answer_guardian(x.id, True),
                                        f"family-guardian-accept-{invite.id}", icon=ft.Icons.CHECK)]
            elif invite.status == "active":
                controls.append(kit.muted(t("family.i_guard", elder=invite.elder),
                                          identifier=f"family-i-guard-{invite.id}"))
        if g.my_guardian is not None:
            key = "family.my_guardian" if g.my_guardian.status == "active" else "family.my_guardian_invited"
            controls.append(kit.muted(t(key, guardian=g.my_guardian.guardian), identifier="family-my-guardian"))
        else:
            controls += [kit.muted(t("family.guardian_hint")),
                         kit.field(t("family.invite_name"), "family-guardian-name", value=self.guardian_name,
                                   on_change=lambda e: setattr(self, "guardian_name", e.control.value)),
                         kit.button(t("family.guardian_name"), self.name_guardian, "family-guardian-send",
                                    icon=ft.Icons.SHIELD, primary=False)]
        return controls

    def name_guardian(self, _event=None) -> None:
        name, session = self.guardian_name.strip(), self.ui.session
        if not name:
            self.ui.error = self.t("family.invite_name_missing")
            self.ui.render()
            return
        self.guardian_name = ""
        self.run(lambda: session.name_guardian(name))

    def answer_guardian(self, guardianship_id: int, accept: bool) -> None:
        session = self.ui.session
        self.run(lambda: session.answer_guardian_invitation(guardianship_id, accept))

    # ---- family cards -------------------------------------------------------------------------

    def _card_words(self, card: FamilyCardOut, *, held: bool) -> str:
        t = self.t
        if card.status == "offered":
            key = "family.card_offered_held" if held else "family.card_offered_given"
        elif card.status == "paused":
            key = "family.card_paused_held" if held else "family.card_paused_given"
        else:
            key = "family.card_held" if held else "family.card_given"
        return t(key, giver=card.giver, holder=card.holder, cap=t.money(card.monthly_cap_fen),
                 left=t.money(card.left_this_month_fen), spent=t.money(card.spent_this_month_fen))

    def held_cards(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        controls: list[ft.Control] = []
        for card in self.overview.cards.held:
            if card.status in ("closed", "declined"):
                continue
            controls.append(kit.card([kit.body(self._card_words(card, held=True))],
                                     identifier=f"family-card-held-{card.id}", label=self._card_words(card, held=True)))
            if card.status == "offered":
                controls += [kit.button(t("family.card_accept"), lambda e, c=card: self.answer_card(c, True),
                                        f"family-card-accept-{card.id}", icon=ft.Icons.CHECK),
                             kit.button(t("family.card_decline"), lambda e, c=card: self.answer_card(c, False),
                                        f"family-card-decline-{card.id}", primary=False)]
        return controls

    def cards(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        controls: list[ft.Control] = [self.section("family.cards", "family-cards"), *self.held_cards()]
        for card in self.overview.cards.given:
            if card.status in ("closed", "declined"):
                continue
            words = self._card_words(card, held=False)
            controls.append(kit.card([kit.body(words)], identifier=f"family-card-given-{card.id}", label=words))
            if card.status in ("active", "paused"):
                pause = card.status == "active"
                controls.append(kit.button(t("family.card_pause" if pause else "family.card_resume"),
                                           lambda e, c=card, p=pause: self.pause(c, p),
                                           f"family-card-{'pause' if pause else 'resume'}-{card.id}",
                                           icon=ft.Icons.PAUSE if pause else ft.Icons.PLAY_ARROW, primary=False))
            controls.append(kit.button(t("family.card_manage", holder=card.holder), lambda e, c=card: self.manage(c),
                                       f"family-card-manage-{card.id}", icon=ft.Icons.TUNE, primary=False))
        cards = self.overview.cards
        controls += [kit.muted(t("family.card_give_hint")),
                     kit.muted(t("family.card_give_range", low=t.money(cards.cap_min_fen),
                                 high=t.money(cards.cap_max_fen)), identifier="family-card-give-range"),
                     kit.field(t("family.card_holder"), "family-card-holder", value=self.holder,
                               on_change=lambda e: setattr(self, "holder", e.control.value)),
                     kit.field(t("family.card_cap"), "family-card-cap", value=self.cap,
                               keyboard=ft.KeyboardType.NUMBER, on_change=lambda e: setattr(self, "cap", e.control.value)),
                     kit.button(t("family.card_give"), self.give, "family-card-give", icon=ft.Icons.CARD_GIFTCARD,
                                primary=False)]
        return controls

    def give(self, _event=None) -> None:
        holder, session = self.holder.strip(), self.ui.session
        cap = self.screen.amount_or_error(self.cap)
        if not cap:
            return
        if not holder:
            self.ui.error = self.t("family.invite_name_missing")
            self.ui.render()
            return
        self.run(lambda: session.give_family_card(holder, cap), then=self._given)

    def _given(self, card: FamilyCardOut) -> None:
        self.holder = self.cap = ""
        self.ui.announce(self._card_words(card, held=False))
        self.screen.reload()

    def manage(self, card: FamilyCardOut) -> None:
        """Change the cap or close the card, on a screen of its own (ui/views/family_card.py)."""
        cards = self.overview.cards
        self.ui.open(FamilyCardScreen(self.ui, card, cards.cap_min_fen, cards.cap_max_fen))

    def pause(self, card: FamilyCardOut, paused: bool) -> None:
        session = self.ui.session
        self.run(lambda: session.pause_family_card(card.id, paused))

    def answer_card(self, card: FamilyCardOut, accept: bool) -> None:
        session = self.ui.session
        self.run(lambda: session.answer_family_card(card.id, accept))

