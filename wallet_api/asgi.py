"""The ASGI entry point for uvicorn workers: settings come from the environment."""

from wallet_api.main import create_app

app = create_app()
