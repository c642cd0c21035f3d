"""What the routes are handed: one home for their dependencies, as ``Annotated`` aliases.

A route names what it needs in its signature (``holder: Holder``, ``service: Wired``,
``request_id: RequestId``, ``_: ReadAccess``); each is read from the app the request reached,
which :func:`serving.app.create_app` fills in. All are ``async`` and cheap, so FastAPI runs
them on the event loop instead of handing each to the threadpool.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from serving.auth import AdminAccess, ReadAccess, WriteAccess
from serving.metrics import ServiceMetrics
from serving.model_state import ModelHolder
from serving.outcomes import StoreHolder
from serving.settings import Settings

__all__ = [
    "AdminAccess", "Holder", "ReadAccess", "RequestId", "Service", "Wired", "WriteAccess",
]  # fmt: skip


@dataclass(frozen=True)
class Service:
    """What one app's routes share: its settings, its metrics, the scoring slots (one per
    core: scoring threads beyond the cores only fight over the GIL, and the event loop that
    admits and refuses requests loses that fight) and the outcomes store, opened on first use."""

    settings: Settings
    metrics: ServiceMetrics
    cores: threading.BoundedSemaphore
    store: StoreHolder


async def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


async def _holder(request: Request) -> ModelHolder:
    holder: ModelHolder = request.app.state.holder
    return holder


async def _request_id(request: Request) -> str:
    return str(request.state.request_id)


#: The app's shared parts (:class:`Service`).
Wired = Annotated[Service, Depends(_service)]
#: The model holder (``holder.current`` is the model serving now, 503 while none is loaded).
Holder = Annotated[ModelHolder, Depends(_holder)]
#: The request's id (from ``X-Request-Id`` or new; set by the observing middleware).
RequestId = Annotated[str, Depends(_request_id)]
