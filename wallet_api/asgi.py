"""The ASGI entry point for uvicorn workers: settings come from the environment."""

import gc

from wallet_api.main import create_app

app = create_app()

# Everything imported so far (FastAPI, SQLAlchemy, pydantic models, the app) lives as long as the worker:
# freeze it out of the collector's sight, and collect less often, so a full collection no longer walks it
# in the middle of a request (server CPU per payment on PostgreSQL 4.6 -> 3.8 ms; BENCHMARKS.md).
gc.collect()
gc.freeze()
gc.set_threshold(10_000, 50, 100)
