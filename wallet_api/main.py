"""The app factory: settings in, a FastAPI app out. Nothing is created at import time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

import wallet_api.models  # noqa: F401  (registers every table)
from wallet_api.api import auth, journal, merchants, notifications, payments, wallet
from wallet_api.api import campus
from wallet_api.api import coupons
from wallet_api.api import prepaid
from wallet_api.api import family
from wallet_api.api.deps import acting_for_guard
from wallet_api.api import family_cards, guardian
from wallet_api.api.docs import install_offline_docs
from wallet_api.auth.secrets import Hasher
from wallet_api.config import Settings, get_settings
from wallet_api.db import make_engine, make_session_factory, transaction
from wallet_api.errors import InvalidAmount, PayloadTooLarge, Problem, ServiceUnavailable, ValidationFailed
from wallet_api.funding.bank import BankGateway, SandboxBank
from wallet_api.guardian import service as guardian_service
from wallet_api.ledger.checkpoints import cut_checkpoint
from wallet_api.ledger.signing import load_or_create_signer
from wallet_api.types import utcnow

log = logging.getLogger("anxin")
# The largest request body the API reads (the biggest real one, a prepaid plan or a campaign, is a few KiB).
MAX_BODY_BYTES = 64 * 1024
PROBLEM_JSON = "application/problem+json"
# Every refusal, on every route, is a problem document: documented once as the default response so the
# OpenAPI description matches what the server answers (schemathesis checks it: tests/wallet_api/test_schemathesis.py).
PROBLEM_RESPONSE = {"description": "A refusal: an RFC 9457 problem with a stable `code` (docs/errors.md).",
                    "content": {PROBLEM_JSON: {"schema": {
                        "type": "object", "required": ["type", "title", "status", "detail", "code", "message_key"],
                        "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                                       "status": {"type": "integer"}, "detail": {"type": "string"},
                                       "code": {"type": "string"}, "message_key": {"type": "string"},
                                       "instance": {"type": "string"}},
                        "additionalProperties": True}}}}


def problem_response(problem: Problem, request: Request) -> JSONResponse:
    headers = dict(problem.headers)
    if problem.status == 401:  # RFC 9110 §15.5.2: say how to authenticate
        headers.setdefault("WWW-Authenticate", f'Bearer error="invalid_token", error_description="{problem.code}"')
    return JSONResponse(problem.body(instance=request.url.path), status_code=problem.status,
                        headers=headers, media_type=PROBLEM_JSON)


def _validation_problem(exc: RequestValidationError) -> Problem:
    errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
    if errors and all("amount_fen" in e["loc"] for e in errors):
        return InvalidAmount("Amounts are whole numbers of fen (1 CNY = 100 fen), greater than 0 and at most "
                             "100000000 (1,000,000 CNY). Enter the amount again.", errors=errors)
    fields = ", ".join(".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]) for e in errors)
    return ValidationFailed(f"Some fields are missing or wrong: {fields}. Correct them and send again.",
                            errors=errors)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(_validation_problem(exc), request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc.__cause__, Problem):  # FastAPI wraps what reading the body raised (BodyLimit's 413)
            return problem_response(exc.__cause__, request)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        # Keep the exception's headers: a 405 must carry Allow (RFC 9110 §15.5.6).
        return problem_response(Problem(str(exc.detail), status=exc.status_code, code=code, headers=exc.headers),
                                request)

    async def _unstorable(request: Request, exc: Exception) -> JSONResponse:
        # A number beyond 64 bits (an id like 2**70 in a path or body) cannot name any row: SQLite's driver
        # refuses to bind it (OverflowError), PostgreSQL says "bigint out of range" (DataError). The
        # transaction rolled back, so nothing was written; it is the request's mistake, not the server's.
        log.info("refused a value the database cannot hold on %s: %s", request.url.path, exc)
        return problem_response(ValidationFailed("A number in this request is too large to be an id or an "
                                                 "amount. Check it and send again."), request)

    app.add_exception_handler(OverflowError, _unstorable)
    app.add_exception_handler(DataError, _unstorable)

    @app.exception_handler(OperationalError)
    async def _db_down(request: Request, exc: DBAPIError) -> JSONResponse:
        log.warning("database unavailable: %s", exc.orig)
        return problem_response(ServiceUnavailable("The wallet cannot reach its database right now. Nothing was "
                                                   "changed; try again shortly.", headers={"Retry-After": "2"}),
                                request)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return problem_response(Problem("Something went wrong on our side. Nothing was charged twice; "
                                        "try again.", status=500, code="internal_error"), request)


class BodyLimit:
    """Refuse a request body over `limit` bytes with a 413 problem, whether it says its length or not.

    The refusal is raised while the route reads the body, so the problem handlers answer it."""

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit or (declared.isdigit() and int(declared) > self.limit):
                raise PayloadTooLarge(f"The request body is larger than {self.limit // 1024} KiB; no request "
                                      "to this API needs that much.")
            return message

        await self.app(scope, limited_receive, send)


async def _every(every_seconds: float, job: Callable[[], object], name: str) -> None:
    while True:
        await asyncio.sleep(every_seconds)
        try:
            await asyncio.to_thread(job)
        except Exception:  # keep going later even if one round fails (e.g. database restarting)
            log.exception("%s failed", name)


def _cut(app: FastAPI) -> None:
    with transaction(app.state.db) as session:
        cut_checkpoint(session, app.state.signer)


def _settle_waiting_payments(app: FastAPI) -> None:
    """Delayed transfers whose delay is over are paid, holds nobody decided in time go back."""
    guardian_service.sweep(app.state.db, getattr(app.state, "clock", utcnow)())


def create_app(settings: Settings | None = None, *, bank: BankGateway | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks = []
        if settings.checkpoint_interval_seconds > 0:
            tasks.append(asyncio.create_task(_every(settings.checkpoint_interval_seconds, lambda: _cut(app),
                                                    "checkpoint")))
        if settings.guardian_sweep_seconds > 0:
            tasks.append(asyncio.create_task(_every(settings.guardian_sweep_seconds,
                                                    lambda: _settle_waiting_payments(app), "waiting payments")))
        yield
        for task in tasks:
            task.cancel()
        app.state.engine.dispose()

    app = FastAPI(title="Anxin Wallet API", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Amounts are integers in fen. Errors are RFC 9457 problem details.",
                  responses={"default": PROBLEM_RESPONSE})
    # PostgreSQL connections: about 40 per server in all (pool plus overflow), shared out between its workers.
    engine = make_engine(settings.sqlalchemy_url, pool_size=max(5, 20 // settings.worker_count))
    app.state.settings = settings
    app.state.engine = engine
    app.state.db = make_session_factory(engine)
    app.state.hasher = Hasher(settings)
    app.state.bank = bank or SandboxBank(app.state.db)
    app.state.signer = load_or_create_signer(settings.signing_key_file)
    install_problem_handlers(app)
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    install_offline_docs(app)
    for module in (auth, wallet, payments, merchants, notifications, journal, campus, coupons, prepaid, family,
                   family_cards, guardian):
        # The guard refuses `Acting-For` on routes never delegated (wallet_api/family/scopes.py).
        app.include_router(module.router, dependencies=[Depends(acting_for_guard)])
    if settings.bench_endpoints:  # the benchmark's baseline, on the same stack (the same guard too)
        from wallet_api.api import bench
        app.include_router(bench.router, dependencies=[Depends(acting_for_guard)])

    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
