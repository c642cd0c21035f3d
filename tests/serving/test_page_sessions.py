"""The pages' session cookie (a signed token, never the key), cross-site form posts, the key on
/metrics and oversized form posts answered as a page."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from serving.app import create_app
from serving.auth import SESSION_COOKIE, session_key_id, session_token
from serving.settings import Settings, hash_key
from tests.serving.conftest import ADMIN_KEY, READ_KEY, settings_for

SECRET = "s" * 40


def _client(store: str, **overrides: object) -> TestClient:
    return TestClient(create_app(settings_for(store, session_secret=SECRET, **overrides)))


def _settings(**overrides: object) -> Settings:
    values: dict[str, object] = {"read_key_hashes": [hash_key(READ_KEY)], "session_secret": SECRET}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]  # validated by pydantic


def test_the_cookie_holds_a_signed_session_never_the_key(model_store: str) -> None:
    with _client(model_store) as client:
        # the form's language switch keeps a typed key's session
        typed = client.post("/form", data={"lang": "en", "api_key": READ_KEY})
        assert typed.status_code == 200
        cookie = typed.headers["set-cookie"]
        assert cookie.startswith(f"{SESSION_COOKIE}=")
        assert READ_KEY not in cookie
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie
        assert "Secure" not in cookie
        assert "Max-Age=43200" in cookie  # 12 hours
        # the session alone lets the next form through (to its check of an empty form: 422);
        # without it the key is asked for
        assert client.post("/results", data={"lang": "en"}).status_code == 422
        client.cookies.clear()
        assert client.post("/results", data={"lang": "en"}).status_code == 401
        # the key itself in the cookie is no session
        client.cookies.set(SESSION_COOKIE, READ_KEY)
        assert client.post("/results", data={"lang": "en"}).status_code == 401
        # an unknown typed key sets no cookie
        client.cookies.clear()
        unknown = client.post("/form", data={"lang": "en", "api_key": "nope"})
        assert "set-cookie" not in unknown.headers
    with _client(model_store, cookie_secure=True) as client:
        typed = client.post("/form", data={"lang": "en", "api_key": READ_KEY})
        assert "Secure" in typed.headers["set-cookie"]


def test_a_session_expires_is_bound_to_its_secret_and_ends_with_its_key() -> None:
    settings = _settings(admin_key_hashes=[hash_key(ADMIN_KEY)])
    token = session_token(READ_KEY, settings)
    assert token is not None
    assert session_key_id(token, settings) == hash_key(READ_KEY)
    assert session_token("not-a-key", settings) is None
    # expired
    old = session_token(READ_KEY, settings, now=time.time() - 13 * 3600)
    assert session_key_id(old, settings) is None
    # another secret, a changed expiry or another key's name: refused
    assert session_key_id(token, _settings(session_secret="t" * 40)) is None
    digest, expires, signature = token.split(".")
    assert session_key_id(f"{digest}.{int(expires) + 9999}.{signature}", settings) is None
    assert session_key_id(f"{hash_key(ADMIN_KEY)}.{expires}.{signature}", settings) is None
    # the key removed from the settings ends its sessions
    assert session_key_id(token, _settings(read_key_hashes=[hash_key("other")])) is None


def test_workers_of_a_host_share_one_session_secret_made_once(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    code = (
        "from serving.auth import session_secret; from serving.settings import Settings;"
        f"print(session_secret(Settings(auth_enabled=False, session_secret_file={str(path)!r}))"
        ".decode())"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECARB_")}
    started = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(4)
    ]
    secrets = {p.communicate(timeout=60)[0].strip() for p in started}
    assert len(secrets) == 1
    (secret,) = secrets
    assert len(secret) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == secret


@pytest.mark.parametrize(
    ("headers", "refused"),
    [
        ({"Sec-Fetch-Site": "cross-site"}, True),
        ({"Sec-Fetch-Site": "same-site"}, True),
        ({"Origin": "https://elsewhere.example"}, True),
        ({"Origin": "null"}, True),
        ({"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}, False),
        ({"Origin": "http://testserver"}, False),
        ({}, False),
    ],
)
def test_form_posts_from_another_site_are_refused(
    model_store: str, headers: dict[str, str], refused: bool
) -> None:
    with _client(model_store) as client:
        for path in ("/results", "/report", "/form", "/verify/results"):
            r = client.post(path, data={"lang": "en", "api_key": READ_KEY}, headers=headers)
            if refused:
                assert r.status_code == 403, (path, r.status_code)
                assert r.headers["content-type"].startswith("text/html")
                assert "another site" in r.text
                assert "set-cookie" not in r.headers
            else:
                assert r.status_code != 403, (path, r.text[:200])
        # the API is not a form: its key travels in a header no other site can set
        api = client.post("/v1/footprint", json={}, headers={**headers, "X-API-Key": READ_KEY})
        assert api.status_code != 403


def test_metrics_need_a_key_unless_opened(model_store: str) -> None:
    with _client(model_store) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"X-API-Key": "wrong"}).status_code == 401
        assert client.get("/metrics", headers={"X-API-Key": READ_KEY}).status_code == 200
        bearer = client.get("/metrics", headers={"Authorization": f"Bearer {READ_KEY}"})
        assert bearer.status_code == 200
        assert "decarb_requests_total" in bearer.text
    with _client(model_store, metrics_open=True) as client:
        assert client.get("/metrics").status_code == 200


@pytest.mark.parametrize(
    ("query", "language", "words"),
    [
        ("", "en-GB,en;q=0.9", "over the limit of 0.002 MB"),
        ("", "zh-CN,zh;q=0.9", "0.002 MB 的上限"),
        ("?lang=zh", "en", "0.002 MB 的上限"),
    ],
)
def test_an_oversized_form_post_is_answered_as_a_page_in_its_language(
    model_store: str, query: str, language: str, words: str
) -> None:
    with _client(model_store, max_body_bytes=2_000) as client:
        big = {"lang": "en", "notes": "x" * 5_000}
        for path in ("/results", "/report", "/verify/results"):
            r = client.post(path + query, data=big, headers={"Accept-Language": language})
            assert r.status_code == 413
            assert r.headers["content-type"].startswith("text/html")
            assert words in r.text
            assert "history.back()" in r.text
        # chunked, without a Content-Length: refused while it arrives, the same page
        chunks = (b"notes=" + b"x" * 1_000 for _ in range(5))
        form_type = {
            "Accept-Language": language,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        r = client.post("/results" + query, content=chunks, headers=form_type)
        assert r.status_code == 413
        assert words in r.text
        # the API keeps its JSON error body
        json_key = {"X-API-Key": READ_KEY, "Content-Type": "application/json"}
        api = client.post("/v1/footprint", content=b"{" * 3_000, headers=json_key)
        assert api.status_code == 413
        assert api.json()["error"] == "body_too_large"
