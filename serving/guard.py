"""Limits applied before any work: the API key before the body is read, the body size, a
per-key rate limit and a cap on requests in flight. Each refusal is the service's one error
body, sent at once, with ``Retry-After`` where waiting helps."""

from __future__ import annotations

import asyncio
import html
import json
import math
import time
from dataclasses import dataclass, field

from fastapi.routing import iter_route_contexts
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.auth import cross_site_post, role_of, session_key_id
from serving.body_meters import (
    MAX_JSON_DEPTH,
    BatchCounter,
    DepthMeter,
    too_deep_detail,
)
from serving.settings import Settings, hash_key

#: Page routes that score: rate-limited like the API, by the key in the page's cookie (or the
#: X-API-Key header), else by the client's address; the key typed into a form is in the body,
#: which is not read before the limit is applied.
PAGE_SCORING_PATHS = ("/results", "/report", "/verify/results", "/verify/report")
#: The pages' session cookie: a signed token naming a key (serving.auth.SESSION_COOKIE).
PAGE_SESSION_COOKIE = b"decarb_session"
#: The batch endpoint: its factories are counted while the body arrives.
BATCH_PATH = "/v1/recommendations/batch"


@dataclass(frozen=True)
class Refusal:
    """A request refused before its body is read."""

    status: int
    error: str
    detail: str
    headers: dict[str, str] = field(default_factory=dict)


class _BodyTooLargeError(Exception):
    """The body grew past the limit while it was being read."""


class _BatchTooLargeError(Exception):
    """The batch's ``factories`` array grew past the item limit while it was being read."""


class _TooDeepError(Exception):
    """The JSON body nested deeper than :data:`MAX_JSON_DEPTH` while it was being read."""


class _TooSlowError(Exception):
    """The body did not arrive within ``body_read_timeout_s``."""


class _OverloadedError(Exception):
    """The body arrived when every scoring slot was taken."""


@dataclass
class _Bucket:
    """Token bucket of one key: ``rate`` tokens per second, at most ``burst`` saved."""

    tokens: float
    stamp: float


@dataclass
class RateLimiter:
    """Per-key token buckets (requests per minute, bursts up to one minute's worth)."""

    per_minute: float
    buckets: dict[str, _Bucket] = field(default_factory=dict)

    def wait_seconds(self, key: str, now: float) -> float:
        """0 when the request may go now (and takes a token), else seconds until it may."""
        rate = self.per_minute / 60.0
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = _Bucket(self.per_minute, now)
        bucket.tokens = min(self.per_minute, bucket.tokens + (now - bucket.stamp) * rate)
        bucket.stamp = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / rate


def error_response(status: int, error: str, detail: object, request_id: str,
                   headers: dict[str, str] | None = None) -> tuple[Message, Message]:  # fmt: skip
    """The start and body messages of an error response in the service's error body."""
    body = json.dumps({"error": error, "detail": detail, "request_id": request_id}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return (
        {"type": "http.response.start", "status": status, "headers": raw},
        {"type": "http.response.body", "body": body},
    )


def _cookie(header: bytes, name: bytes) -> str | None:
    """The value of cookie ``name`` in a Cookie header, or None."""
    for part in header.split(b";"):
        k, sep, v = part.strip().partition(b"=")
        if sep and k == name:
            return v.decode("latin-1")
    return None


class Guard:
    """ASGI middleware enforcing :class:`Settings` limits before the app sees a request."""

    def __init__(self, app: ASGIApp, settings: Settings, scoring_paths: frozenset[str]) -> None:
        self.app = app
        self.settings = settings
        #: Routes that score models, the ones the in-flight cap protects: each endpoint marks
        #: itself (serving.routes.endpoint.scoring) and create_app passes their paths.
        self.scoring_paths = scoring_paths
        self.in_flight = 0
        limit = settings.rate_limit_per_minute
        self.limiter = RateLimiter(limit) if limit else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _whole_allow(scope, send)
        if scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        request_id = str(scope.get("state", {}).get("request_id", ""))
        headers = dict(scope["headers"])
        path: str = scope["path"]
        # A form post to a page (anything posted outside /v1/): answered as a page when refused
        page_post = scope["method"] == "POST" and not path.startswith("/v1/")
        if await self._refused_before_body(scope, send, request_id, page_post):
            return
        scoring = scope["method"] == "POST" and path in self.scoring_paths
        page_lang = request_lang(scope) if page_post else None
        # A scoring slot is taken once the body has arrived (see _limited): a client that
        # dribbles its body never holds one.
        state = {"started": False, "overflow": False, "batch": False, "deep": False,
                 "slow": False, "slow_rate": False, "overloaded": False, "slot": False,
                 "scoring": scoring}  # fmt: skip

        async def tracked_send(message: Message) -> None:
            # A body that grew past the limit while being read ends as a 413, whatever the
            # app made of the cut-off read (FastAPI turns it into a 400).
            if state["overflow"]:
                if message["type"] == "http.response.start" and not state["started"]:
                    state["started"] = True
                    await _send(send, *self._refusal(request_id, state, page_lang))
                return
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            batch = scoring and path == BATCH_PATH
            content_type = headers.get(b"content-type", b"application/json").lower()
            json_body = b"json" in content_type  # forms and uploads: checked where parsed
            await self.app(scope, self._limited(receive, state, batch, json_body), tracked_send)
        except (_BodyTooLargeError, _BatchTooLargeError, _TooDeepError, _TooSlowError,
                _OverloadedError):  # fmt: skip
            if not state["started"]:
                state["started"] = True
                await _send(send, *self._refusal(request_id, state, page_lang))
        finally:
            if state["slot"]:
                self.in_flight -= 1

    async def _refused_before_body(
        self, scope: Scope, send: Send, request_id: str, page_post: bool
    ) -> bool:
        """Send the refusal of a request refused before its body is read (the key, the rate,
        a cross-site form post, a declared size over the limit); False when it may go on."""
        headers = dict(scope["headers"])
        client = scope.get("client")
        refusal = self._refuse(scope["path"], headers, str(client[0]) if client else "unknown")
        if refusal is None and page_post:
            why = cross_site_post(headers)
            if why is not None:
                refusal = Refusal(
                    403,
                    "cross_site_post",
                    f"a form posted from another site is "
                    f"refused ({why}); open the page on this site and send it "
                    "from there",
                )
        if refusal is None:
            return False
        if page_post and refusal.status in (403, 413):
            lang = request_lang(scope)
            await _send(send, *page_refusal(refusal, lang, self.settings.max_body_bytes))
        else:
            await _send(
                send,
                *error_response(
                    refusal.status, refusal.error, refusal.detail, request_id, refusal.headers
                ),
            )
        return True

    def _refuse(self, path: str, headers: dict[bytes, bytes], client: str) -> Refusal | None:
        """Why the request is refused before its body is read, or None; ``client`` is the
        peer's address (the rate-limit bucket of a page request without a key)."""
        s = self.settings
        key_bytes = headers.get(b"x-api-key")
        key = key_bytes.decode("latin-1") if key_bytes is not None else None
        if s.auth_enabled and path == "/metrics" and not s.metrics_open:
            bearer = headers.get(b"authorization", b"")
            token = bearer[7:] if bearer[:7].lower() == b"bearer " else None
            metrics_key = key or (token.decode("latin-1") if token else None)
            if role_of(metrics_key, s) is None:
                return Refusal(
                    401,
                    "unauthorized",
                    "/metrics needs a configured API key (header "
                    "X-API-Key or Authorization: Bearer; DECARB_METRICS_OPEN=true "
                    "opens it)",
                    {"WWW-Authenticate": "APIKey"},
                )
        if s.auth_enabled and path.startswith("/v1/"):
            role = role_of(key, s)
            if role is None:
                return Refusal(
                    401,
                    "unauthorized",
                    "missing or unknown API key (header X-API-Key)",
                    {"WWW-Authenticate": "APIKey"},
                )
            if path.startswith("/v1/admin/") and role != "admin":
                return Refusal(403, "forbidden", "this endpoint needs an admin key")
        length = headers.get(b"content-length")
        if length is not None:
            try:
                size = int(length)
            except ValueError:
                return Refusal(400, "bad_request", "Content-Length is not a number")
            if size > s.max_body_bytes:
                return Refusal(413, "body_too_large", self._too_large_text(size))
        page = path in PAGE_SCORING_PATHS
        if self.limiter is not None and (path.startswith("/v1/") or page):
            if page and key is None:
                # A session counts as its key only when its token is valid: made-up cookies
                # would otherwise each get a fresh budget.
                cookie = _cookie(headers.get(b"cookie", b""), PAGE_SESSION_COOKIE)
                digest = session_key_id(cookie, s) if s.auth_enabled else None
                who = f"key {digest}" if digest is not None else f"page client {client}"
            else:
                # by the key's hash: one bucket per key across the API and the pages
                who = f"key {hash_key(key)}" if key is not None else "anonymous"
            wait = self.limiter.wait_seconds(who, time.monotonic())
            if wait > 0:
                return Refusal(
                    429,
                    "rate_limited",
                    f"more than {s.rate_limit_per_minute:g} requests per minute for this key "
                    f"(DECARB_RATE_LIMIT_PER_MINUTE); retry in {math.ceil(wait)} s",
                    {"Retry-After": str(math.ceil(wait))},
                )
        return None

    def _limited(
        self, receive: Receive, state: dict[str, bool], batch: bool, json_body: bool
    ) -> Receive:
        limit = self.settings.max_body_bytes
        most = self.settings.batch_max_factories
        counter = BatchCounter() if batch else None
        meter = DepthMeter() if json_body else None
        seen = 0
        deadline: float | None = None
        timeout = self.settings.body_read_timeout_s
        rate = self.settings.body_min_bytes_per_s
        grace = self.settings.body_rate_grace_s
        begun = 0.0

        async def counting() -> Message:
            nonlocal seen, deadline, begun
            loop = asyncio.get_running_loop()
            if deadline is None:
                begun = loop.time()
                deadline = begun + timeout
            # the body must average ``rate`` bytes/s after the grace: the next piece is due
            # by the time the bytes so far fall below that
            due = begun + grace + seen / rate if rate > 0 and deadline != math.inf else math.inf
            wait = min(deadline, due) - loop.time()
            try:
                message = await asyncio.wait_for(receive(), max(wait, 0.0))
            except TimeoutError:
                state["overflow"] = True
                state["slow"] = True
                state["slow_rate"] = due < deadline
                raise _TooSlowError from None
            if message["type"] == "http.request" and not message.get("more_body", False):
                deadline = math.inf  # the body is complete: what follows is no upload
                if state["scoring"] and not state["slot"]:
                    if self.in_flight >= self.settings.max_in_flight:
                        state["overflow"] = True
                        state["overloaded"] = True
                        raise _OverloadedError
                    self.in_flight += 1
                    state["slot"] = True
            if message["type"] == "http.request":
                body = message.get("body", b"")
                seen += len(body)
                if seen > limit:
                    state["overflow"] = True
                    raise _BodyTooLargeError
                if meter is not None and meter.feed(body) > MAX_JSON_DEPTH:
                    state["overflow"] = True
                    state["deep"] = True
                    raise _TooDeepError
                if counter is not None and counter.feed(body) > most:
                    state["overflow"] = True
                    state["batch"] = True
                    raise _BatchTooLargeError
            return message

        return counting

    def _too_large_text(self, size: int | None = None) -> str:
        got = f"{size:,} bytes" if size is not None else "the body"
        return (
            f"{got} is over the limit of {self.settings.max_body_bytes:,} bytes "
            "(DECARB_MAX_BODY_BYTES)"
        )

    def _refusal(
        self, request_id: str, state: dict[str, bool], page_lang: str | None = None
    ) -> tuple[Message, Message]:
        """The answer to a body refused while it arrived: too slow, every slot taken, too deep,
        too many items, too big (a page in ``page_lang`` for a form post)."""
        if state["slow"]:
            s = self.settings
            why = (
                f"the body arrived slower than {s.body_min_bytes_per_s:g} bytes/s after its "
                f"first {s.body_rate_grace_s:g} s (DECARB_BODY_MIN_BYTES_PER_S)"
                if state.get("slow_rate")
                else f"the body did not arrive within {s.body_read_timeout_s:g} s "
                "(DECARB_BODY_READ_TIMEOUT_S)"
            )
            return error_response(408, "request_timeout", why, request_id, {"Connection": "close"})
        if state["overloaded"]:
            return error_response(
                503,
                "overloaded",
                f"{self.in_flight} requests in flight, at most {self.settings.max_in_flight} "
                "(DECARB_MAX_IN_FLIGHT); retry shortly",
                request_id,
                {"Retry-After": "1"},
            )
        if state["deep"]:
            detail = [too_deep_detail("body", 0)]
            return error_response(422, "invalid_request", detail, request_id)
        if state["batch"]:
            most = self.settings.batch_max_factories
            return error_response(
                413,
                "batch_too_large",
                f"more than {most} factories; at most {most} per request "
                "(DECARB_BATCH_MAX_FACTORIES), refused while the body was arriving",
                request_id,
            )
        if page_lang is not None:
            refused = Refusal(413, "body_too_large", self._too_large_text())
            return page_refusal(refused, page_lang, self.settings.max_body_bytes)
        return error_response(413, "body_too_large", self._too_large_text(), request_id)


#: What a refused form post says, per language: a title and the reason, {mb} the body limit.
_PAGE_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "body_too_large": ("The upload is too large",
                           "What was sent is over the limit of {mb} MB. Go back, choose a smaller "
                           "file (or type the values into the form instead) and send it again."),
        "cross_site_post": ("Sent from another site",
                            "This form was sent from a page of another site, so it was refused. "
                            "Open the form on this site and send it from there."),
        "back": ("Back to the form (what you typed is kept)", ""),
    },
    "zh": {
        "body_too_large": ("上传的内容过大",
                           "提交的内容超过了 {mb} MB 的上限。请返回，选择更小的文件"
                           "（或直接在表单中填写），然后重新提交。"),
        "cross_site_post": ("来自其他网站的提交",
                            "此表单是从其他网站的页面提交的，已被拒绝。"
                            "请在本网站打开表单并从这里提交。"),
        "back": ("返回表单（已填写的内容会保留）", ""),
    },
}  # fmt: skip


def request_lang(scope: Scope) -> str:
    """The language of a page request: ``lang`` in its query, else the first of its
    Accept-Language, else English."""
    query = bytes(scope.get("query_string", b"")).decode("latin-1")
    for part in query.split("&"):
        name, _, value = part.partition("=")
        if name == "lang" and value in ("en", "zh"):
            return value
    for name, value in scope["headers"]:
        if name == b"accept-language":
            first = value.decode("latin-1").split(",")[0].strip().lower()
            return "zh" if first.startswith("zh") else "en"
    return "en"


def page_refusal(refusal: Refusal, lang: str, max_body_bytes: int) -> tuple[Message, Message]:
    """A refused form post answered as a page in ``lang``: what happened, the limit in MB where
    there is one, and a way back to the form that keeps what was typed (the browser's history,
    which restores the form's inputs)."""
    words = _PAGE_WORDS["zh" if lang == "zh" else "en"]
    title, message = words.get(refusal.error, (refusal.error, refusal.detail))
    back = words["back"][0]
    mb = f"{max_body_bytes / 1e6:g}"
    page = (
        f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
        '<meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        f"<title>{html.escape(title)}</title></head><body><main>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(message.format(mb=mb))}</p>"
        f'<p><a href="/" onclick="history.back(); return false;">{html.escape(back)}</a></p>'
        "</main></body></html>"
    ).encode()
    raw = [(b"content-type", b"text/html; charset=utf-8"),
           (b"content-length", str(len(page)).encode())]  # fmt: skip
    raw += [(k.lower().encode(), v.encode()) for k, v in refusal.headers.items()]
    return (
        {"type": "http.response.start", "status": refusal.status, "headers": raw},
        {"type": "http.response.body", "body": page},
    )


def _route_methods(scope: Scope) -> dict[str, str]:
    """Every method the app answers per route path (one Allow value per path), kept on the app:
    Starlette's 405 names only the methods of the first route of the path it tried."""
    app = scope.get("app")
    state = getattr(app, "state", None)
    known: dict[str, str] | None = getattr(state, "route_methods", None)
    if known is None:
        methods: dict[str, set[str]] = {}
        for context in iter_route_contexts(list(getattr(app, "routes", []))):
            if context.path is not None and context.methods:
                methods.setdefault(context.path, set()).update(context.methods - {"HEAD"})
        known = {path: ", ".join(sorted(m)) for path, m in methods.items()}
        if state is not None:
            state.route_methods = known
    return known


def _whole_allow(scope: Scope, send: Send) -> Send:
    """``send`` with the Allow header of a 405 listing every method of the path."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 405:
            allow = _route_methods(scope).get(scope["path"])
            if allow is not None:
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
                message = {**message, "headers": [*headers, (b"allow", allow.encode())]}
        await send(message)

    return sending


async def _send(send: Send, start: Message, body: Message) -> None:
    await send(start)
    await send(body)
