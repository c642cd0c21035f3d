"""Verified savings where people meet them: ``decarb-verify`` on the shipped meter file (text in
English and Chinese, JSON, a bad row, a stored outcome, the chart and the PDF),
``POST /v1/verifications`` over a real HTTP server, and the ``/verify`` page in real Chromium with
the network closed."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from typer.testing import CliRunner

from features.i18n import has_chinese, human
from features.sources.outcome_store import OutcomeStore
from features.verification import verify
from features.verification.meters import read_meters
from features.verification.schema import Verification
from serving.pages.verify_view import limit_percent
from serving.settings import hash_key
from serving.verify import (
    EXAMPLE_FACTORY,
    EXAMPLE_INSTALLED,
    EXAMPLE_MEASURE,
    EXAMPLE_REGION,
    VerificationResponse,
    request_of,
)
from serving.verify_cli import verify_app
from tests.conftest import REPO_ROOT
from tests.serving.conftest import READ_KEY
from tests.serving.live import live_server
from tests.serving.poppler import pdf_text
from tests.serving.test_browser import CHROMIUM, CHROMIUM_ARGS

METERS = REPO_ROOT / "features" / "data" / "meters_example.csv"
ARGS = [str(METERS), "--measure", EXAMPLE_MEASURE, "--installed", EXAMPLE_INSTALLED,
        "--region", EXAMPLE_REGION, "--factory-id", EXAMPLE_FACTORY]  # fmt: skip
WRITE_KEY = "verify-write-key"


@pytest.fixture(scope="module")
def expected() -> Verification:
    """The engine's own answer for the shipped file, to compare what people read against."""
    readings = read_meters(METERS.read_bytes(), METERS.name)
    request = request_of({"measure_id": EXAMPLE_MEASURE, "installed": EXAMPLE_INSTALLED,
                          "region": EXAMPLE_REGION, "factory_id": EXAMPLE_FACTORY,
                          "readings": readings})  # fmt: skip
    return verify(request, "en")


def _invoke(*args: str) -> Any:
    """``decarb-verify`` with ``args`` (``Any``: click's Result)."""
    return CliRunner().invoke(verify_app, list(args), catch_exceptions=False)


def test_the_command_prints_verdict_savings_fits_and_method_in_english_and_chinese(
    expected: Verification,
) -> None:
    en = _invoke(*ARGS)
    assert en.exit_code == 0, en.output
    out = en.stdout
    assert f"Verdict: {expected.verdict.replace('_', ' ')}" in out
    for c in expected.carriers:
        assert human(c.tco2e_per_year_location) in out
        assert human(c.saved_per_year) in out or human(c.saved_per_year / 1e4) in out
    for f in expected.fits:
        assert f"CV(RMSE) {f.cv_rmse:.1%} (limit {limit_percent(f.cv_rmse_limit)})" in out
    assert human(expected.tco2e_per_year_market) in out
    assert expected.method in out
    assert "Excluded and adjusted periods" in out
    zh = _invoke(*ARGS, "--lang", "zh")
    assert zh.exit_code == 0, zh.output
    assert "结论：" in zh.stdout
    assert "基线拟合" in zh.stdout
    assert human(expected.tco2e_per_year_location) in zh.stdout
    assert "Verdict" not in zh.stdout


def test_json_is_a_verification(expected: Verification) -> None:
    result = _invoke(*ARGS, "--json")
    assert result.exit_code == 0, result.output
    parsed = Verification.model_validate_json(result.stdout)
    assert parsed.model_dump() == expected.model_dump()


def test_a_bad_row_names_row_and_column_and_exits_2(tmp_path: Path) -> None:
    lines = METERS.read_text(encoding="utf-8").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("period"))
    columns = lines[header].split(",")
    bad_line = header + 3
    cells = lines[bad_line].split(",")
    cells[columns.index("quantity")] = "lots"
    lines[bad_line] = ",".join(cells)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _invoke(str(bad), *ARGS[1:])
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert "\n" not in message
    assert message.startswith("error: ")
    assert re.search(r"row \d+", message), message
    assert "quantity" in message
    assert "'lots'" in message
    assert "allowed" in message


def test_post_stores_one_outcome_with_the_fit(tmp_path: Path, expected: Verification) -> None:
    url = f"sqlite:///{tmp_path / 'outcomes.db'}"
    profile = json.loads((REPO_ROOT / "features/data/example_factory.json").read_text("utf-8"))
    profile["factory_id"] = EXAMPLE_FACTORY
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(profile), encoding="utf-8")
    result = _invoke(*ARGS, "--post", "--profile", str(path), "--database-url", url)
    assert result.exit_code == 0, result.output
    assert "stored as outcome 1" in result.stdout
    store = OutcomeStore(url)
    try:
        items, total = store.page()
    finally:
        store.close()
    assert total == 1
    stored = items[0]
    assert stored.status == "implemented"
    assert stored.measure_id == EXAMPLE_MEASURE
    assert stored.factory_id == profile["factory_id"]
    for c in expected.carriers:
        assert stored.annual_savings[c.carrier.value] == pytest.approx(c.saved_per_year, rel=0.02)
    kept = {f.carrier: f for f in stored.verification.carriers} if stored.verification else {}
    for f in expected.fits:
        assert kept[f.carrier].cv_rmse == pytest.approx(f.cv_rmse)
        assert kept[f.carrier].form == f.form
    again = _invoke(*ARGS, "--post", "--profile", str(path), "--database-url", url)
    assert again.exit_code == 0
    assert "stored before" in again.stdout


def test_chart_and_pdf_in_both_languages(tmp_path: Path, expected: Verification) -> None:
    if shutil.which("pdftotext") is None:
        message = "needs pdftotext (poppler-utils): `make browser` installs it"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    svg, png, pdf = tmp_path / "c.svg", tmp_path / "c.png", tmp_path / "v.pdf"
    result = _invoke(*ARGS, "--chart", str(svg), "--pdf", str(pdf))
    assert result.exit_code == 0, result.output
    drawing = svg.read_text(encoding="utf-8")
    assert drawing.startswith("<svg")
    assert drawing.count("<svg") == 1 + len(expected.carriers)
    words = re.sub(r"\s+", " ", pdf_text(pdf))
    assert f"Verdict: {expected.verdict.replace('_', ' ')}" in words
    assert human(expected.tco2e_per_year_location) in words
    assert "CV(RMSE)" in words
    zh_pdf = tmp_path / "v-zh.pdf"
    result = _invoke(*ARGS, "--lang", "zh", "--chart", str(png), "--pdf", str(zh_pdf))
    assert result.exit_code == 0, result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    words_zh = pdf_text(zh_pdf)
    assert has_chinese(words_zh)
    flat = re.sub(r"\s+", "", words_zh)
    assert "结论" in flat
    assert "基线拟合" in flat
    assert human(expected.tco2e_per_year_location) in flat


def test_options_that_do_not_fit_exit_2(tmp_path: Path) -> None:
    result = _invoke(*ARGS, "--post")
    assert result.exit_code == 2
    assert "--profile" in result.stderr
    profile = tmp_path / "other.json"
    profile.write_text((REPO_ROOT / "features/data/example_factory.json").read_text("utf-8"))
    url = f"sqlite:///{tmp_path / 'outcomes.db'}"
    result = _invoke(*ARGS, "--post", "--profile", str(profile), "--database-url", url)
    assert result.exit_code == 2
    assert "profile.factory_id" in result.stderr
    assert EXAMPLE_FACTORY in result.stderr
    result = _invoke(*ARGS, "--lang", "fr")
    assert result.exit_code == 2
    assert "allowed: en, zh" in result.stderr
    result = _invoke(str(METERS), "--measure", "gold_plating", "--installed", "2024-01")
    assert result.exit_code == 2
    assert "measure_id: invalid value 'gold_plating'" in result.stderr
    assert EXAMPLE_MEASURE in result.stderr


# --- the API and the page over a real server ---------------------------------------------------


@pytest.fixture(scope="module")
def server(model_store: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("verify-server")
    env = {
        "DECARB_WRITE_KEY_HASHES": json.dumps([hash_key(WRITE_KEY)]),
        "DECARB_DATABASE_URL": f"sqlite:///{workdir / 'outcomes.db'}",
    }
    with live_server(model_store, workdir, **env) as url:
        yield url


def _body() -> dict[str, Any]:
    readings = read_meters(METERS.read_bytes(), METERS.name)
    request = request_of({"measure_id": EXAMPLE_MEASURE, "installed": EXAMPLE_INSTALLED,
                          "region": EXAMPLE_REGION, "factory_id": EXAMPLE_FACTORY,
                          "readings": readings})  # fmt: skip
    body: dict[str, Any] = request.model_dump(mode="json", exclude_none=True)
    return body


def test_the_api_verifies_refuses_bad_readings_and_records(
    server: str, expected: Verification
) -> None:
    body = _body()
    url = f"{server}/v1/verifications"
    assert httpx.post(url, json=body, timeout=30).status_code == 401
    ok = httpx.post(url, json=body, headers={"X-API-Key": READ_KEY}, timeout=60)
    assert ok.status_code == 200, ok.text
    answer = VerificationResponse.model_validate(ok.json())
    assert answer.result.model_dump() == expected.model_dump()
    assert answer.outcome_id is None
    zh = httpx.post(url, json={**body, "lang": "zh"}, headers={"X-API-Key": READ_KEY}, timeout=60)
    assert any(has_chinese(m) for m in zh.json()["result"]["messages"])

    bad = json.loads(json.dumps(body))
    bad["readings"][3]["quantity"] = -5
    refused = httpx.post(url, json=bad, headers={"X-API-Key": READ_KEY}, timeout=30)
    assert refused.status_code == 422
    detail = refused.json()["detail"][0]
    assert detail["field"] == "readings.3.quantity"
    assert detail["value"] == -5

    profile = json.loads((REPO_ROOT / "features/data/example_factory.json").read_text("utf-8"))
    other = {**body, "record": {"profile": profile}}
    mismatch = httpx.post(url, json=other, headers={"X-API-Key": WRITE_KEY}, timeout=60)
    assert mismatch.status_code == 422
    assert mismatch.json()["detail"][0]["field"] == "record.profile.factory_id"
    record = {**body, "record": {"profile": {**profile, "factory_id": EXAMPLE_FACTORY}}}
    forbidden = httpx.post(url, json=record, headers={"X-API-Key": READ_KEY}, timeout=30)
    assert forbidden.status_code == 403
    stored = httpx.post(url, json=record, headers={"X-API-Key": WRITE_KEY}, timeout=60)
    assert stored.status_code == 200, stored.text
    assert isinstance(stored.json()["outcome_id"], int)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium through Playwright (``Any``: Playwright's objects are untyped at our edge)."""
    missing = [] if Path(CHROMIUM).exists() else [CHROMIUM]
    missing += [t for t in ("pdftotext",) if shutil.which(t) is None]
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415 (optional until set up)
    except ImportError:
        missing.append("playwright")
    if missing:
        message = f"browser test needs {missing}: `make browser` installs them"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def test_a_person_verifies_savings_in_a_real_browser(
    server: str, browser: Any, tmp_path: Path, expected: Verification
) -> None:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1200, "height": 900})
    outside: list[str] = []

    def guard(route: Any) -> None:
        if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    try:
        page.goto(f"{server}/")
        page.click("#nav-verify")
        page.wait_for_selector("#verify-form")
        page.fill("#api_key", READ_KEY)
        page.set_input_files("#meter_file", str(METERS))
        page.select_option("#measure_id", EXAMPLE_MEASURE)
        page.fill("#installed", EXAMPLE_INSTALLED)
        page.fill("#region", EXAMPLE_REGION)
        page.fill("#factory_id", EXAMPLE_FACTORY)
        page.click("#submit")
        page.wait_for_selector("#verdict")
        assert page.get_attribute("#verdict", "data-verdict") == expected.verdict
        assert page.inner_text("#verdict-word") == expected.verdict.replace("_", " ")
        charts = page.locator("#charts svg")
        assert charts.count() == len(expected.carriers)
        assert page.locator("#charts svg line").count() > 10
        table = page.inner_text("#savings")
        for c in expected.carriers:
            assert human(c.tco2e_per_year_location) in table
        assert "CV(RMSE)" in page.inner_text("#fits")
        assert expected.method in page.inner_text("#method")

        page.click("#lang-switch")
        page.wait_for_selector("#verdict")
        assert has_chinese(page.inner_text("#title"))
        for selector in ("#verdict", "#savings tr:first-child", "#fits tr:first-child"):
            assert has_chinese(page.inner_text(selector)), selector
        assert human(expected.tco2e_per_year_location) in page.inner_text("#savings")

        with page.expect_download() as download:
            page.click("#pdf")
        pdf = tmp_path / "verification.pdf"
        download.value.save_as(pdf)
        assert "结论" in re.sub(r"\s+", "", pdf_text(pdf))
    finally:
        context.close()
    assert outside == []
