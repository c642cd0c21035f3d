"""uvicorn's HTTP protocol with a deadline on request headers.

uvicorn closes a connection that stays idle between requests (``timeout_keep_alive``) but not
one that has begun a request and sends its headers a byte at a time: the first byte cancels the
idle timer and nothing replaces it, so a few hundred such clients hold as many connections (and
file descriptors) for as long as they like. Here a connection must deliver a request's whole
header block within ``header_read_timeout_s`` of its first byte (and a fresh connection must
start one within that time); otherwise it gets a 408 and is closed. Bodies have their own
deadline and minimum rate, applied by :class:`serving.guard.Guard` as the app reads them.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 40\r\nconnection: close\r\n\r\n"
    b"request headers did not arrive in time\r\n"
)
assert len(_TIMED_OUT.split(b"\r\n\r\n", 1)[1]) == 40


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """:class:`HttpToolsProtocol` closing connections whose request headers arrive too slowly
    (uvicorn builds one per connection through :func:`protocol_class`)."""

    def __init__(self, *args: Any, header_read_timeout_s: float, **kwargs: Any) -> None:
        # Any: uvicorn's own arguments, passed through
        super().__init__(*args, **kwargs)
        self.header_read_timeout_s = header_read_timeout_s
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()  # a connection that never sends a request is closed too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm_header_timer()

    def on_headers_complete(self) -> None:
        self._disarm_header_timer()
        super().on_headers_complete()

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(
                self.header_read_timeout_s, self._headers_too_slow
            )

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:
            # no response of an earlier request on this connection is under way: say why
            self.transport.write(_TIMED_OUT)
        self.transport.close()


def protocol_class(header_read_timeout_s: float) -> type[asyncio.Protocol]:
    """What uvicorn is given as ``http=`` for a header deadline in seconds: a partial of the
    class, which uvicorn calls like one and which pickles into spawned workers."""
    made = functools.partial(HeaderDeadlineProtocol, header_read_timeout_s=header_read_timeout_s)
    return cast(type[asyncio.Protocol], made)  # called exactly like the class
