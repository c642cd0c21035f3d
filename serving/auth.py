"""API keys (header ``X-API-Key``), stored as SHA-256 hashes and compared in constant time.

Three roles, each allowing what the one before allows: ``read`` (queries), ``write`` (also report
outcomes) and ``admin`` (also reload and read the outcomes store). Auth can be switched off
explicitly for local use (``DECARB_AUTH_ENABLED=false``).

The pages keep a browser's key in a session cookie holding a signed token, never the key: the
SHA-256 of the key, an expiry and an HMAC of both with the service's session secret
(:func:`session_token`). The token names a configured key, so removing the key from the
settings ends its sessions too. Cross-site form posts are refused (:func:`cross_site_post`).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response, Security
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
    return _role_of_digest(hash_key(key), settings)


def _role_of_digest(digest: str, settings: Settings) -> Role | None:
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


#: The pages' session cookie (its value is a :func:`session_token`, never a key).
SESSION_COOKIE = "decarb_session"


def session_secret(settings: Settings) -> bytes:
    """The key of the session tokens' HMAC: ``DECARB_SESSION_SECRET`` when set, else a random
    secret made once per host and kept in ``session_secret_file`` (mode 0600), so every worker
    of this host, and its restarts, sign and check with the same one. Several hosts behind one
    address need the setting (a token signed on one host must pass on the others)."""
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value().encode("utf-8")
    return _host_secret(settings.session_secret_file)


@functools.cache
def _host_secret(path_text: str | None) -> bytes:
    path = Path(path_text or "~/.cache/decarb-recommender/session-secret").expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # O_EXCL: of workers starting at once, exactly one writes it
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # the writer may not have written yet
            secret = path.read_bytes().strip()
            if len(secret) >= 32:
                return secret
            time.sleep(0.02)
        raise RuntimeError(f"the session secret file {path} is empty or short") from None
    secret = secrets.token_urlsafe(48).encode("ascii")
    with os.fdopen(fd, "wb") as out:
        out.write(secret)
    return secret


def _signature(payload: str, settings: Settings) -> str:
    mac = hmac.new(session_secret(settings), payload.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def session_token(key: str, settings: Settings, now: float | None = None) -> str | None:
    """A signed token naming ``key`` (by its SHA-256) until ``session_hours`` from now, or None
    when the key is not a configured one."""
    if role_of(key, settings) is None:
        return None
    expires = int((time.time() if now is None else now) + settings.session_hours * 3600)
    payload = f"{hash_key(key)}.{expires}"
    return f"{payload}.{_signature(payload, settings)}"


def session_key_id(token: str | None, settings: Settings, now: float | None = None) -> str | None:
    """The SHA-256 of the key a valid, unexpired token names (still configured), or None."""
    if not token or token.count(".") != 2:
        return None
    digest, expires, signature = token.split(".")
    payload = f"{digest}.{expires}"
    if not hmac.compare_digest(signature, _signature(payload, settings)):
        return None
    if not expires.isdigit() or int(expires) < (time.time() if now is None else now):
        return None
    return digest if _role_of_digest(digest, settings) is not None else None


def page_role(typed_key: str | None, token: str | None, settings: Settings) -> Role | None:
    """The role of a page request: the key typed into its form, else its session token."""
    if typed_key:
        return role_of(typed_key, settings)
    digest = session_key_id(token, settings)
    return None if digest is None else _role_of_digest(digest, settings)


def keep_session(response: Response, key: str | None, settings: Settings) -> None:
    """Set the session cookie for a key the user typed (when it is a configured key): HttpOnly,
    SameSite=Strict, ``Secure`` when ``cookie_secure`` (behind TLS), for ``session_hours``."""
    token = session_token(key, settings) if key else None
    if token is not None:
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=int(settings.session_hours * 3600),
            httponly=True,
            samesite="strict",
            secure=settings.cookie_secure,
        )


def cross_site_post(headers: Mapping[bytes, bytes]) -> str | None:
    """Why a form post comes from another site, or None. A browser says where a request comes
    from in ``Sec-Fetch-Site`` (all current ones) or ``Origin``; a post from another site is
    refused whatever cookies it carries. Requests with neither (scripts, curl) are no browser's
    and carry no session a page opened elsewhere could borrow."""
    site = headers.get(b"sec-fetch-site")
    if site is not None:
        if site.lower() in (b"same-origin", b"none"):
            return None
        return f"Sec-Fetch-Site is {site.decode('latin-1')!r}"
    origin = headers.get(b"origin")
    if origin is None:
        return None
    host = headers.get(b"x-forwarded-host") or headers.get(b"host") or b""
    origin_text = origin.decode("latin-1")
    if urlsplit(origin_text).netloc.lower() == host.decode("latin-1").lower() and host:
        return None
    return f"Origin {origin_text!r} is not this site ({host.decode('latin-1')})"
