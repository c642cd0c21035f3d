"""API keys (header ``X-API-Key``), stored as SHA-256 hashes and compared in constant time.

Three roles, each allowing what the one before allows: ``read`` (queries), ``write`` (also report
outcomes) and ``admin`` (also reload and read the outcomes store). Auth can be switched off
explicitly for local use (``DECARB_AUTH_ENABLED=false``).
"""

from __future__ import annotations

import hmac
from typing import Annotated, Literal

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from serving.errors import ForbiddenError, UnauthorizedError
from serving.settings import Settings, hash_key

Role = Literal["read", "write", "admin"]
RANK: dict[str, int] = {"read": 1, "write": 2, "admin": 3}
#: The key header, declared as the OpenAPI security scheme of every /v1 endpoint.
API_KEY = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An API key with the read or admin role."
)


def role_of(key: str | None, settings: Settings) -> Role | None:
    """The role a key grants, or None. Every stored hash is compared, in constant time."""
    if key is None:
        return None
    digest = hash_key(key)
    admin = write = read = False
    for stored in settings.admin_key_hashes:
        admin |= hmac.compare_digest(digest, stored)
    for stored in settings.write_key_hashes:
        write |= hmac.compare_digest(digest, stored)
    for stored in settings.read_key_hashes:
        read |= hmac.compare_digest(digest, stored)
    return "admin" if admin else "write" if write else "read" if read else None


async def app_settings(request: Request) -> Settings:
    """The settings the application was created with (``create_app`` keeps them in its state).
    Read from the app rather than swapped in by ``dependency_overrides``: with any override
    set, FastAPI rebuilds every dependency's signature on every request (measured: about a
    third of the event loop's work per request)."""
    settings: Settings = request.app.state.settings
    return settings


def _require(needed: Role):  # type: ignore[no-untyped-def]  # returns a FastAPI dependency
    # async: cheap and non-blocking, so FastAPI runs it on the event loop instead of handing
    # it to the threadpool (a thread hop per dependency per request).
    async def check(
        settings: Annotated[Settings, Depends(app_settings)],
        x_api_key: Annotated[str | None, Security(API_KEY)] = None,
    ) -> Role | None:
        if not settings.auth_enabled:
            return None
        role = role_of(x_api_key, settings)
        if role is None:
            raise UnauthorizedError("missing or unknown API key (header X-API-Key)")
        if RANK[role] < RANK[needed]:
            raise ForbiddenError(f"this endpoint needs a key with the {needed} role")
        return role

    return check


ReadAccess = Annotated[Role | None, Depends(_require("read"))]
WriteAccess = Annotated[Role | None, Depends(_require("write"))]
AdminAccess = Annotated[Role | None, Depends(_require("admin"))]
