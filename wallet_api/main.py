"""The app factory: settings in, a FastAPI app out. Nothing is created at import time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
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
from wallet_api.errors import InvalidAmount, Problem, ServiceUnavailable, ValidationFailed
from wallet_api.funding.bank import BankGateway, SandboxBank
from wallet_api.guardian import service as guardian_service
from wallet_api.ledger.checkpoints import cut_checkpoint
from wallet_api.ledger.signing import load_or_create_signer
from wallet_api.types import utcnow

log = logging.getLogger("anxin")
PROBLEM_JSON = "application/problem+json"


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
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        # Keep the exception's headers: a 405 must carry Allow (RFC 9110 §15.5.6).
        return problem_response(Problem(str(exc.detail), status=exc.status_code, code=code, headers=exc.headers),
                                request)

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
                  description="Amounts are integers in fen. Errors are RFC 9457 problem details.")
    engine = make_engine(settings.sqlalchemy_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.db = make_session_factory(engine)
    app.state.hasher = Hasher(settings)
    app.state.bank = bank or SandboxBank(app.state.db)
    app.state.signer = load_or_create_signer(settings.signing_key_file)
    install_problem_handlers(app)
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
