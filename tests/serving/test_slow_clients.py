"""Clients that send their headers or bodies too slowly, against a real server: they are closed
with a 408 while legitimate requests keep getting answers."""

from __future__ import annotations

import contextlib
import json
import select
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.serving.conftest import READ_KEY
from tests.serving.live import live_server

pytestmark = pytest.mark.slow


class _Dribbler:
    """A raw connection that sends what it is given a byte at a time and notes when, and what,
    the server answered (or that it closed the connection)."""

    def __init__(self, host: str, port: int, start: bytes) -> None:
        self.sock = socket.create_connection((host, port), timeout=10)
        self.answer: bytes | None = None
        self.closed_after: float | None = None
        self.started = time.monotonic()
        if start:
            self.sock.sendall(start)

    def poll(self) -> None:
        """Read whatever the server sent, without blocking."""
        if self.answer is not None:
            return
        readable, _, _ = select.select([self.sock], [], [], 0)
        if readable:
            try:
                self.answer = self.sock.recv(4096)
            except OSError:
                self.answer = b""
            self.closed_after = time.monotonic() - self.started

    def drip(self, byte: bytes) -> None:
        self.poll()
        if self.answer is None:
            with contextlib.suppress(OSError):
                self.sock.sendall(byte)

    def close(self) -> None:
        self.sock.close()


def test_header_and_body_dribblers_are_closed_while_real_requests_get_200(
    model_store: str, tmp_path: Path, example_profile: dict[str, Any]
) -> None:
    env = {"DECARB_HEADER_READ_TIMEOUT_S": "1", "DECARB_BODY_MIN_BYTES_PER_S": "200",
           "DECARB_BODY_RATE_GRACE_S": "1", "DECARB_BODY_READ_TIMEOUT_S": "60",
           "DECARB_MAX_IN_FLIGHT": "2", "DECARB_COMPILED_TREES": "false"}  # fmt: skip
    with live_server(model_store, tmp_path, **env) as url:
        host, port_text = url.removeprefix("http://").split(":")
        port = int(port_text)
        # 16 clients begin a request and dribble its headers; one connects and says nothing
        headers = [
            _Dribbler(host, port, b"POST /v1/recommendations HTTP/1.1\r\nHost: x\r\n")
            for _ in range(16)
        ]
        silent = _Dribbler(host, port, b"")
        # 4 clients send whole headers and then a body at ~4 bytes/s (to the API and a page)
        bodies = []
        for i in range(4):
            path, kind = (
                ("/results", "application/x-www-form-urlencoded")
                if i % 2
                else ("/v1/recommendations", "application/json")
            )
            start = (
                f"POST {path} HTTP/1.1\r\nHost: {host}\r\nX-API-Key: {READ_KEY}\r\n"
                f"Content-Type: {kind}\r\nContent-Length: 5000\r\n\r\n"
            ).encode()
            bodies.append(_Dribbler(host, port, start))
        codes = []
        began = time.monotonic()
        while time.monotonic() - began < 4.5:
            for d in headers:
                d.drip(b"X")  # a header name that never ends
            for d in bodies:
                d.drip(b" ")
            silent.poll()
            r = httpx.post(f"{url}/v1/recommendations", json={"profile": example_profile},
                           headers={"X-API-Key": READ_KEY}, timeout=30)  # fmt: skip
            codes.append(r.status_code)
            time.sleep(0.25)
        for d in [*headers, *bodies, silent]:
            d.poll()
            d.close()
        assert codes
        assert set(codes) == {200}, codes
        for d in [*headers, silent]:
            assert d.answer is not None, "a client dribbling headers was never closed"
            assert d.answer.startswith(b"HTTP/1.1 408"), d.answer[:80]
            assert d.closed_after is not None
            assert d.closed_after < 3.0
        for d in bodies:
            assert d.answer is not None, "a client dribbling a body was not cut off"
            assert d.answer.startswith(b"HTTP/1.1 408"), d.answer[:80]
            assert b"bytes/s" in d.answer  # the minimum rate, not the 60 s deadline
            assert d.closed_after is not None
            assert d.closed_after < 4.0

        # a body that pauses within the grace still counts; keep-alive keeps working
        body = json.dumps({"profile": example_profile}).encode()
        with socket.create_connection((host, port), timeout=30) as sock:
            sock.sendall(
                f"POST /v1/recommendations HTTP/1.1\r\nHost: {host}\r\nX-API-Key: "
                f"{READ_KEY}\r\nContent-Type: application/json\r\nContent-Length: "
                f"{len(body)}\r\n\r\n".encode()
                + body[:100]
            )
            time.sleep(0.6)
            sock.sendall(body[100:])
            answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
