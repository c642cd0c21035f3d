"""ASGI entry for multi-worker uvicorn (``serving.main:app``); settings from DECARB_* variables."""

from __future__ import annotations

from serving.app import create_app

app = create_app()
