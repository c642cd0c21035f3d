"""ASGI entry for multi-worker uvicorn (``serving.main:app``); settings from DECARB_* variables."""

from __future__ import annotations

from models.pyfunc import resolve_tracking_uri
from serving.app import create_app
from serving.logs import configure_logging
from serving.settings import get_settings

_settings = get_settings()
configure_logging(
    _settings.log_level, [resolve_tracking_uri(_settings.tracking_uri), _settings.database_url]
)
app = create_app()
