"""ASGI entry for multi-worker uvicorn (``serving.main:app``); settings from DECARB_* variables."""

from __future__ import annotations

from serving.app import create_app
from serving.logs import configure_logging
from serving.settings import get_settings

configure_logging(get_settings().log_level)
app = create_app()
