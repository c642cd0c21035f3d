"""The profile form in a real browser (Chromium, network closed), as a Chinese energy manager
meets it: every mistake at once in Chinese words, nothing typed lost when switching language or
coming back from the results to edit, broken and oversized uploads answered on the form."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from serving.pages.form import REQUIRED
from tests.serving.live import live_server
from tests.serving.test_browser import _artefacts, browser, offline_page

__all__ = ["browser", "offline_page"]  # fixtures shared with test_browser

#: Latin letters: in a Chinese message only units and ids may have them.
LATIN = re.compile(r"[A-Za-z]")
#: A small body limit, so the oversized upload stays small (DECARB_MAX_BODY_BYTES, >= 1,000).
MAX_BODY_BYTES = 200_000

TYPED = {"factory_id": "苏州-汽配-7", "region": "江苏", "reporting_year": "2024"}
TYPED_MORE = {"employees": "850", "electricity_kwh": "12000000", "energy_use.0.value": "40"}
CHOSEN = {"country": "CN", "sector": "automotive", "energy_use.0.carrier": "diesel"}


@pytest.fixture(scope="module")
def server(model_store: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("form-server")
    env = {"DECARB_AUTH_ENABLED": "false", "DECARB_MAX_BODY_BYTES": str(MAX_BODY_BYTES)}
    with live_server(model_store, workdir, **env) as url:
        yield url


def _fill(page: Any, typed: dict[str, str], chosen: dict[str, str]) -> None:
    for name, value in chosen.items():
        page.select_option(f"[id='{name}']", value)
    for name, value in typed.items():
        page.fill(f"[id='{name}']", value)


def _assert_kept(page: Any, typed: dict[str, str], chosen: dict[str, str]) -> None:
    for name, value in {**typed, **chosen}.items():
        assert page.input_value(f"[id='{name}']") == value, name


def test_an_empty_form_in_chinese_flags_every_required_field_at_once(
    server: str, offline_page: tuple[Any, list[str]]
) -> None:
    page, outside = offline_page
    page.goto(f"{server}/?lang=zh")
    page.click("#submit")
    page.wait_for_selector("#form-errors:not([hidden])")
    assert page.locator("#form-errors li").count() == len(REQUIRED)
    for name in REQUIRED:
        message = page.inner_text(f"#error-{name}")
        assert message.startswith("请填写"), message
        assert not LATIN.search(message), message
        assert page.get_attribute(f"[id='{name}']", "aria-invalid") == "true"
    assert "工厂编号" in page.inner_text("#form-errors")
    page.screenshot(path=str(_artefacts() / "form-errors-zh.png"))
    assert outside == []


def test_nothing_typed_is_lost_switching_language_or_editing_the_results(
    server: str, offline_page: tuple[Any, list[str]]
) -> None:
    page, outside = offline_page
    page.goto(f"{server}/?lang=en")
    _fill(page, TYPED_MORE, {"energy_use.0.carrier": "diesel"})
    page.fill("[id='energy_use.0.unit']", "t")
    page.click("#lang-switch")
    page.wait_for_selector("html[lang='zh-CN']")
    _assert_kept(page, TYPED_MORE, {"energy_use.0.carrier": "diesel"})

    _fill(page, TYPED, {"country": "CN", "sector": "automotive"})
    page.click("#submit")
    page.wait_for_selector("#cards")
    page.click("#lang-switch")  # the results in English, then back to the form to edit
    page.wait_for_selector("html[lang='en'] #cards")
    page.click("#edit")
    page.wait_for_selector("#profile-form")
    assert page.get_attribute("html", "lang") == "en"
    _assert_kept(page, TYPED, {"country": "CN", "sector": "automotive"})
    for name, value in TYPED_MORE.items():
        # Numbers come back as the profile holds them (12000000 -> 12000000.0).
        assert float(page.input_value(f"[id='{name}']")) == float(value), name
    assert page.input_value("[id='energy_use.0.carrier']") == "diesel"
    assert outside == []


def test_broken_and_oversized_uploads_are_answered_on_the_form_in_chinese(
    server: str, offline_page: tuple[Any, list[str]]
) -> None:
    page, outside = offline_page
    page.goto(f"{server}/?lang=zh")
    _fill(page, TYPED, CHOSEN)
    broken = {"name": "工厂.json", "mimeType": "application/json", "buffer": b"{factory"}
    page.set_input_files("#profile_file", broken)
    page.click("#submit")
    page.wait_for_selector("#form-errors:not([hidden])")
    message = page.inner_text("#error-profile_file")
    assert "不是有效的JSON" in message
    assert "Expecting" not in page.content()
    _assert_kept(page, TYPED, CHOSEN)

    at = page.url
    padding = " " * (2 * MAX_BODY_BYTES)
    large = json.dumps({"factory_id": "big", "note": padding}).encode()
    page.set_input_files(
        "#profile_file", {"name": "大.json", "mimeType": "text/plain", "buffer": large}
    )
    page.click("#submit")
    page.wait_for_selector("#error-profile_file:has-text('最大可上传')")
    assert page.inner_text("#error-profile_file") == "文件大小为0.4 MB，最大可上传0.2 MB。"
    assert "最大可上传" in page.inner_text("#form-errors")
    assert page.url == at  # nothing was sent: no raw JSON answer replaced the form
    _assert_kept(page, TYPED, CHOSEN)
    assert outside == []
