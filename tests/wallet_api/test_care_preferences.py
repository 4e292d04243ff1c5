"""Care-mode preferences live on the server, and care mode always means no marketing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from wallet_api.auth.models import Preferences
from wallet_api.notifications.models import Notification


def prefs(client, person) -> dict:
    return client.get("/v1/me/preferences", headers=person.headers).json()


def test_care_settings_are_kept_and_returned(api, client, db):
    nainai = api.register("nainai", pin=None)
    r = client.patch("/v1/me/preferences", headers=nainai.headers,
                     json={"care_mode": True, "font_scale_percent": 150, "high_contrast": True,
                           "voice_enabled": True, "speech_rate_percent": 80, "language": "zh-CN"})
    assert r.status_code == 200, r.text
    assert r.json() == prefs(client, nainai) == {
        "marketing_allowed": False, "language": "zh-CN", "care_mode": True, "font_scale_percent": 150,
        "high_contrast": True, "voice_enabled": True, "speech_rate_percent": 80}
    with db() as s:
        row = s.get(Preferences, nainai.id)
        assert (row.care_mode, row.font_scale_percent, row.speech_rate_percent) == (True, 150, 80)


def test_turning_care_mode_on_turns_marketing_off(api, client):
    nainai = api.register("nainai", pin=None)
    assert client.patch("/v1/me/preferences", json={"marketing_allowed": True},
                        headers=nainai.headers).json()["marketing_allowed"] is True
    r = client.patch("/v1/me/preferences", json={"care_mode": True}, headers=nainai.headers)
    assert (r.json()["care_mode"], r.json()["marketing_allowed"]) == (True, False)


@pytest.mark.parametrize("patch", [{"marketing_allowed": True},
                                   {"marketing_allowed": True, "care_mode": True}])
def test_marketing_cannot_be_allowed_in_care_mode(api, client, patch):
    nainai = api.register("nainai", pin=None)
    client.patch("/v1/me/preferences", json={"care_mode": True}, headers=nainai.headers)
    before = prefs(client, nainai)
    r = client.patch("/v1/me/preferences", json=patch, headers=nainai.headers)
    assert r.status_code == 422
    assert r.json()["code"] == "validation_error"
    assert r.json()["errors"][0]["type"] == "care_mode_marketing_free"
    assert prefs(client, nainai) == before          # refused: nothing changed


def test_leaving_care_mode_then_allowing_marketing_works(api, client):
    nainai = api.register("nainai", pin=None)
    client.patch("/v1/me/preferences", json={"care_mode": True}, headers=nainai.headers)
    r = client.patch("/v1/me/preferences", json={"care_mode": False, "marketing_allowed": True},
                     headers=nainai.headers)
    assert (r.json()["care_mode"], r.json()["marketing_allowed"]) == (False, True)


def test_a_care_mode_user_gets_no_marketing_message(api, client, db):
    nainai = api.register("nainai", pin=None)
    api.register("city", pin=None)
    client.patch("/v1/me/preferences", json={"marketing_allowed": True}, headers=nainai.headers)
    client.patch("/v1/me/preferences", json={"care_mode": True}, headers=nainai.headers)
    from wallet_api.notifications.service import notify
    from wallet_api.schemas import NotificationCategory
    from wallet_api.db import transaction
    with transaction(db) as s:
        assert notify(s, nainai.id, NotificationCategory.MARKETING, "notice.marketing", "Coupons!") is None
    with db() as s:
        assert s.scalars(select(Notification).where(Notification.user_id == nainai.id,
                                                    Notification.category == "marketing")).all() == []


@pytest.mark.parametrize("patch", [{"font_scale_percent": 90}, {"font_scale_percent": 201},
                                   {"font_scale_percent": 1.5}, {"speech_rate_percent": 20},
                                   {"care_mode": "yes"}, {"voice_enabled": 2}])
def test_out_of_range_care_settings_are_refused(api, client, patch):
    nainai = api.register("nainai", pin=None)
    before = prefs(client, nainai)
    r = client.patch("/v1/me/preferences", json=patch, headers=nainai.headers)
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    assert prefs(client, nainai) == before
