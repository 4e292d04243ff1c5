"""Client-core pieces without a server: the keypad's arithmetic, the care rule, what the device
remembers, errors as sentences, fonts and QR codes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.device import DeviceMemory, RecentMerchant
from app.errors import ConnectionLost, PinIncorrect, PinLocked, error_from_problem
from app.fonts import prepare_web_assets
from app.i18n import Translator
from app.problems import explain
from app.qr import QrNotFound, decode_qr_image, qr_png
from app.state import MerchantChoice, Preferences
from ui.views.amount_entry import MAX_AMOUNT_FEN, amount_from_keys, press


def typed(keys: str) -> str:
    shown = ""
    for key in keys:
        shown = press(shown, key)
    return shown


def test_keypad_amounts():
    assert amount_from_keys(typed("12.5")) == 1250
    assert amount_from_keys(typed("0.05")) == 5
    assert typed("12.345") == "12.34"
    assert typed("1..2") == "1.2"
    assert typed("007") == "7"
    assert typed(".5") == "0.5"
    assert amount_from_keys(typed("")) is None and amount_from_keys(".") is None
    assert typed("12") + "" == press(typed("123"), "back")


@given(st.lists(st.sampled_from(list("0123456789.") + ["back"]), max_size=30))
def test_any_key_sequence_gives_a_valid_amount(keys):
    shown = ""
    for key in keys:
        shown = press(shown, key)
        amount = amount_from_keys(shown)
        assert amount is None or 0 <= amount <= MAX_AMOUNT_FEN
        assert shown.count(".") <= 1 and len(shown.partition(".")[2]) <= 2


def test_care_mode_always_means_no_marketing():
    prefs = Preferences(marketing_allowed=True).with_changes(care_mode=True)
    assert (prefs.care_mode, prefs.marketing_allowed) == (True, False)
    assert Preferences(care_mode=True).with_changes(marketing_allowed=True).marketing_allowed is False


def test_device_memory_keeps_five_recent_shops_and_forgets(tmp_path):
    memory = DeviceMemory(tmp_path / "device.json")
    for i in range(7):
        memory.remember_merchant("nainai", RecentMerchant(i, f"Shop {i}"))
    memory.remember_merchant("nainai", RecentMerchant(3, "Shop 3"))
    assert [m.id for m in memory.recent_merchants("nainai")] == [3, 6, 5, 4, 2]
    memory.mark_setup_done("nainai")
    assert memory.setup_done("nainai") and not memory.setup_done("jianguo")
    memory.forget("nainai")
    assert memory.recent_merchants("nainai") == [] and not memory.setup_done("nainai")
    (tmp_path / "device.json").write_text("{not json")
    assert DeviceMemory(tmp_path / "device.json").recent_merchants("nainai") == []


def test_errors_become_sentences_with_what_to_do():
    t = Translator("en")
    wrong = error_from_problem({"code": "pin_incorrect", "message_key": "error.pin_incorrect", "detail": "x",
                                "attempts_left": 2}, 403)
    assert isinstance(wrong, PinIncorrect)
    assert explain(wrong, t).sentence(t) == "That PIN is wrong. You can try 2 more times."
    locked = error_from_problem({"code": "pin_locked", "message_key": "error.pin_locked", "detail": "x",
                                 "locked_until": "2026-11-22T03:05:00+00:00"}, 423)
    assert isinstance(locked, PinLocked) and "You can try again after" in explain(locked, t).sentence(t)
    lost = ConnectionLost.from_exception(OSError("down"))
    assert explain(lost, Translator("zh-CN")).sentence(Translator("zh-CN")) == \
        "连不上安心钱包。 请检查网络后再试。重试绝不会重复付款。"
    unknown = error_from_problem({"code": "prepaid_something_new", "message_key": "error.prepaid_something_new",
                                  "detail": "x"}, 409)
    assert explain(unknown, t).key == "error.conflict"          # a new code still reads as a sentence
    assert explain(RuntimeError("boom"), t).key == "error.unexpected"
    assert explain(QrNotFound(), t).key == "error.qr_not_found"
    cap = error_from_problem({"code": "family_card_cap_out_of_range", "message_key": "error.family_card_cap_out_of_range",
                              "detail": "x", "min_fen": 100, "max_fen": 50_000}, 422)
    assert explain(cap, t).sentence(t) == ("That monthly cap is outside the allowed range. Choose an amount between "
                                           "CN¥1.00 and CN¥500.00.")      # the server's range, not a fixed one


def test_qr_round_trip_and_refusals():
    payload = "00020101021126170008CN.ANXIN0101152045812530315658 莲花面馆"
    assert decode_qr_image(qr_png(payload)) == payload
    for junk in (b"", b"not an image", qr_png("x")[:40]):
        try:
            decode_qr_image(junk)
        except QrNotFound:
            continue
        raise AssertionError("junk decoded")


def test_merchant_names_put_the_local_name_first_for_chinese_and_korean_readers():
    m = MerchantChoice(1, "Lotus Noodles", "莲花面馆")
    assert m.display_name("en") == "Lotus Noodles (莲花面馆)"
    assert m.display_name("zh-CN") == "莲花面馆 (Lotus Noodles)"


def test_fonts_are_copied_into_the_web_assets(tmp_path):
    font = tmp_path / "some-cjk.ttc"
    font.write_bytes(b"\x00" * 64)
    choice = prepare_web_assets(tmp_path / "web", candidates=(str(tmp_path / "missing.ttf"), str(font)))
    assert choice.found and choice.asset_path == "fonts/some-cjk.ttc"
    assert (tmp_path / "web" / "fonts" / "some-cjk.ttc").read_bytes() == font.read_bytes()
    none = prepare_web_assets(tmp_path / "web2", candidates=(str(tmp_path / "missing.ttf"),))
    assert not none.found and none.asset_path is None
