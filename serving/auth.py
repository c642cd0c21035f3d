"""API keys (header ``X-API-Key``), stored as SHA-256 hashes and compared in constant time.

Two roles: ``read`` (queries) and ``admin`` (also reload). Auth can be switched off explicitly
for local use (``DECARB_AUTH_ENABLED=false``).
"""

from __future__ import annotations

import hmac
from typing import Annotated, Literal

from fastapi import Depends, Security
from fastapi.security import APIKeyHeader

from serving.errors import ForbiddenError, UnauthorizedError
from serving.settings import Settings, get_settings, hash_key

Role = Literal["read", "admin"]
#: The key header, declared as the OpenAPI security scheme of every /v1 endpoint.
API_KEY = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An API key with the read or admin role."
)


def role_of(key: str | None, settings: Settings) -> Role | None:
    """The role a key grants, or None. Every stored hash is compared, in constant time."""
    if key is None:
        return None
    digest = hash_key(key)
    admin = False
    read = False
    for stored in settings.admin_key_hashes:
        admin |= hmac.compare_digest(digest, stored)
    for stored in settings.read_key_hashes:
        read |= hmac.compare_digest(digest, stored)
    return "admin" if admin else "read" if read else None


def _require(needed: Role):  # type: ignore[no-untyped-def]  # returns a FastAPI dependency
    # async: cheap and non-blocking, so FastAPI runs it on the event loop instead of handing
    # it to the threadpool (a thread hop per dependency per request).
    async def check(
        settings: Annotated[Settings, Depends(get_settings)],
        x_api_key: Annotated[str | None, Security(API_KEY)] = None,
    ) -> Role | None:
        if not settings.auth_enabled:
            return None
        role = role_of(x_api_key, settings)
        if role is None:
            raise UnauthorizedError("missing or unknown API key (header X-API-Key)")
        if needed == "admin" and role != "admin":
            raise ForbiddenError("this endpoint needs an admin key")
        return role

    return check


ReadAccess = Annotated[Role | None, Depends(_require("read"))]
AdminAccess = Annotated[Role | None, Depends(_require("admin"))]
