"""The shop shows its QR on the till; a customer photographs it and pays by choosing the picture."""

from __future__ import annotations

from app.qr import decode_qr_image
from tests.e2e.conftest import App
from tests.e2e.world import PASSWORD


def test_customer_pays_by_a_photo_of_the_qr_shown_on_the_till(app_in_browser, world, browser, tmp_path):
    till = App(browser.new_context(viewport=app_in_browser.page.viewport_size).new_page(), app_in_browser.url)
    try:
        till.open()
        till.sign_in_home("lotus", PASSWORD, care=False)
        till.tap("home-cashier")
        till.tap("cashier-show-qr")
        till.wait("cashier-qr")
        till.settle()
        photo = tmp_path / "photo-of-the-till.png"
        till.page.screenshot(path=str(photo))
    finally:
        till.page.context.close()
    # The picture on screen really is the shop's payment code.
    assert decode_qr_image(photo.read_bytes()) == world.shops["lotus"].qr_payload

    app = app_in_browser
    app.page.bring_to_front()
    app.open()
    app.sign_in_home("meili", PASSWORD, care=False)
    app.tap("home-pay")
    app.wait("pay-scan-picture")
    app.idle()
    with app.page.expect_file_chooser(timeout=30_000) as chooser:
        app.hook("pay-scan-picture").click()
    chooser.value.set_files(str(photo))
    assert app.wait_for_words("pay-payee", "Lotus") == "Paying Lotus Noodles (莲花面馆)"
    for key in ("2", "5"):
        app.tap(f"key-{key}")
    app.wait_for_words("pay-amount", "CN¥25.00")
    app.tap("pay-continue")
    app.tap("pay-confirm")
    assert "Done. You paid 莲花面馆 CN¥25.00." in app.wait_for_words("receipt", "Done.")
