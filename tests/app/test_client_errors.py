"""Problem bodies (and bodies that are not problems) become the exception the UI branches on."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from tests.app.client_fakes import problem

from app.errors import (
    ERRORS_BY_CODE, ApiError, BankError, Conflict, ConnectionLost, InsufficientFunds, NotAuthenticated, NotFound,
    PinIncorrect, PinLocked, PinRequired, ServerUnavailable, ValidationError, error_from_response,
)


@pytest.mark.parametrize(("status", "code", "cls"), [
    (401, "not_authenticated", NotAuthenticated),
    (401, "token_invalid", NotAuthenticated),
    (401, "token_expired", NotAuthenticated),
    (401, "refresh_token_reused", NotAuthenticated),
    (401, "bad_credentials", NotAuthenticated),
    (409, "insufficient_funds", InsufficientFunds),
    (403, "pin_required", PinRequired),
    (403, "pin_not_set", PinRequired),
    (403, "pin_incorrect", PinIncorrect),
    (423, "pin_locked", PinLocked),
    (422, "validation_error", ValidationError),
    (422, "invalid_amount", ValidationError),
    (422, "invalid_qr", ValidationError),
    (422, "self_payment", ValidationError),
    (409, "username_taken", Conflict),
    (409, "idempotency_key_reused", Conflict),
    (409, "refund_exceeds_payment", Conflict),
    (404, "not_found", NotFound),
    (404, "merchant_not_found", NotFound),
    (404, "payee_not_found", NotFound),
    (402, "bank_declined", BankError),
    (504, "bank_timeout", BankError),
    (503, "service_unavailable", ServerUnavailable),
])
def test_problem_code_picks_the_class(status, code, cls):
    error = error_from_response(problem(status, code, "English words"))
    assert type(error) is cls
    assert (error.status, error.code, error.message_key, error.detail) == (status, code, f"error.{code}",
                                                                          "English words")
    assert code in str(error)


def test_registry_maps_codes_to_classes():
    assert ERRORS_BY_CODE["pin_locked"] is PinLocked
    assert ERRORS_BY_CODE["bad_credentials"] is NotAuthenticated
    assert all(issubclass(cls, ApiError) for cls in ERRORS_BY_CODE.values())


def test_extra_members_are_kept_and_standard_ones_are_not():
    error = error_from_response(problem(409, "insufficient_funds", balance_fen=120, needed_fen=500))
    assert error.extra == {"balance_fen": 120, "needed_fen": 500}
    assert error.title == "Insufficient funds"


def test_pin_incorrect_exposes_attempts_left():
    assert error_from_response(problem(403, "pin_incorrect", attempts_left=2)).attempts_left == 2
    assert error_from_response(problem(403, "pin_incorrect")).attempts_left is None


def test_pin_locked_exposes_locked_until_as_aware_datetime():
    error = error_from_response(problem(423, "pin_locked", locked_until="2026-11-22T11:15:00+00:00"))
    assert error.locked_until == datetime(2026, 11, 22, 11, 15, tzinfo=UTC)
    assert error_from_response(problem(423, "pin_locked", locked_until="soon")).locked_until is None


def test_validation_error_exposes_field_errors():
    errors = [{"loc": ["body", "amount_fen"], "msg": "must be positive"}]
    error = error_from_response(problem(422, "validation_error", errors=errors))
    assert error.errors == errors
    assert error_from_response(problem(422, "invalid_qr")).errors == []


def test_unknown_code_falls_back_on_status():
    assert type(error_from_response(problem(409, "brand_new_conflict"))) is Conflict
    assert type(error_from_response(problem(404, "campus_not_found"))) is NotFound
    assert type(error_from_response(problem(418, "teapot"))) is ApiError


def test_non_problem_gateway_page_is_server_unavailable():
    error = error_from_response(httpx.Response(502, text="<html>Bad Gateway</html>"))
    assert isinstance(error, ServerUnavailable)
    assert (error.status, error.code, error.message_key) == (502, "service_unavailable", "error.service_unavailable")


def test_framework_default_422_keeps_its_field_list():
    detail = [{"loc": ["query", "limit"], "msg": "Input should be a valid integer"}]
    error = error_from_response(httpx.Response(422, json={"detail": detail}))
    assert isinstance(error, ValidationError)
    assert error.errors == detail


def test_plain_500_is_a_generic_api_error():
    error = error_from_response(httpx.Response(500, text="oops"))
    assert type(error) is ApiError
    assert (error.status, error.code) == (500, "http_error")


def test_connection_lost_is_a_server_unavailable_without_status():
    error = ConnectionLost.from_exception(httpx.ConnectError("refused"))
    assert isinstance(error, ServerUnavailable)
    assert (error.status, error.code, error.message_key) == (0, "connection_lost", "error.connection_lost")
    assert "ConnectError" in error.detail
