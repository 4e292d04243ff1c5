def test_pay_a_merchant_end_to_end(api, backend):
    alice = api.funded("alice", 10_000)
    owner, shop = api.merchant()
    r = api.pay(alice, shop["id"], 1_250)
    assert r.status_code == 201, r.text
    assert r.json()["amount_fen"] == 1_250
    assert api.balance(alice) == 8_750
