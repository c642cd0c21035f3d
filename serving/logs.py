"""Structured logs: one JSON object per line with every field a record carries (request id,
route, status, latency, model version, error class), never keys, bodies or store passwords."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Sequence

from models.redact import redact

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """A log record as one JSON line: time, level, logger, message and its ``extra`` fields,
    with the passwords of any URI, and of ``uris`` (the stores in use) wherever they occur,
    masked (:func:`models.redact.redact`), whichever library wrote the record."""

    def __init__(self, uris: Sequence[str | None] = ()) -> None:
        super().__init__()
        self.uris = tuple(uris)

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        out.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info and record.exc_info[0] is not None:
            out["error_class"] = record.exc_info[0].__name__
            out["traceback"] = self.formatException(record.exc_info)
        safe = {k: redact(v, *self.uris) if isinstance(v, str) else v for k, v in out.items()}
        line = json.dumps(safe, default=lambda v: redact(v, *self.uris), ensure_ascii=False)
        return redact(line, *self.uris)  # values nested in lists and dicts too


def configure_logging(level: str, uris: Sequence[str | None] = ()) -> None:
    """JSON lines on stdout for the service and the libraries it runs on; uvicorn's own access
    log is off (the service logs each request itself, without the query string). The
    passwords of ``uris`` (the stores in use) never reach a line."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(uris))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
