"""Anxin Wallet backend: FastAPI + SQLAlchemy. Knows nothing of its clients."""
