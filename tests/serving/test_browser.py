"""The pages in a real browser (Debian's Chromium driven by Playwright) against a real server,
with every request that leaves the machine blocked and recorded: a person fills the form for the
reference factory, reads the results, switches to Chinese, downloads the PDF; /docs works offline.
Screenshots go to build/artefacts (or DECARB_SCREENSHOTS_TO, e.g. docs/img for the README)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from features.i18n import has_chinese, human
from tests.conftest import REPO_ROOT
from tests.serving.conftest import READ_KEY
from tests.serving.live import live_server
from tests.serving.poppler import pdf_pages_render, pdf_text

CHROMIUM = "/usr/bin/chromium"
#: Flags a sandboxed root machine needs, and no calls home (they would be refused anyway).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _artefacts() -> Path:
    target = os.environ.get("DECARB_SCREENSHOTS_TO")
    path = Path(target) if target else REPO_ROOT / "build" / "artefacts"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium through Playwright (``Any``: Playwright's objects are untyped at our edge)."""
    missing = [] if Path(CHROMIUM).exists() else [CHROMIUM]
    missing += [t for t in ("pdftotext", "pdftoppm") if shutil.which(t) is None]
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


@pytest.fixture
def offline_page(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    """A page whose requests to anything but the local server are aborted and recorded."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1200, "height": 900})
    outside: list[str] = []

    def guard(route: Any) -> None:
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    yield page, outside
    context.close()


#: The reference factory typed in as a person would: a Jiangsu auto-parts plant.
FORM = {
    "factory_id": "jiangsu-auto-parts-browser",
    "region": "Jiangsu",
    "reporting_year": "2024",
    "employees": "850",
    "electricity_kwh": "12000000",
    "natural_gas_gj": "52000",
    "annual_revenue": "9 亿元",
    "roof_area_available_m2": "15000",
}
SELECTS = {"country": "CN", "sector": "automotive"}


def test_a_person_gets_advice_and_a_report_in_a_real_browser(
    model_store: str, tmp_path: Path, offline_page: tuple[Any, list[str]]
) -> None:
    page, outside = offline_page
    shots = _artefacts()
    with live_server(model_store, tmp_path) as url:
        page.goto(f"{url}/")
        page.screenshot(path=str(shots / "form.png"))
        page.fill("#api_key", READ_KEY)
        for name, value in SELECTS.items():
            page.select_option(f"#{name}", value)
        for name, value in FORM.items():
            page.fill(f"[id='{name}']", value)
        page.select_option("[id='energy_use.0.carrier']", "diesel")
        page.fill("[id='energy_use.0.value']", "40")
        page.fill("[id='energy_use.0.unit']", "t")
        page.fill("#top_k", "5")
        page.click("#submit")
        page.wait_for_selector("#cards")
        page.screenshot(path=str(shots / "results-en.png"), full_page=True)
        page.screenshot(path=str(shots / "results-top.png"))

        # The same factory through the API gives the same footprint and first measure.
        profile = {
            **FORM,
            **SELECTS,
            "reporting_year": 2024,
            "employees": 850,
            "electricity_kwh": 1.2e7,
            "natural_gas_gj": 52000.0,
            "roof_area_available_m2": 15000.0,
            "energy_use": [{"carrier": "diesel", "value": 40, "unit": "t"}],
        }
        api = httpx.post(
            f"{url}/v1/recommendations",
            headers={"X-API-Key": READ_KEY},
            json={"profile": profile, "options": {"top_k": 5}},
            timeout=60,
        ).json()["result"]
        scopes = page.inner_text("#scopes")
        assert human(api["footprint"]["net_location_tco2e"]) in scopes
        assert human(api["footprint"]["scope2_market_tco2e"]) in scopes
        first = page.locator("#cards .card").first
        assert first.get_attribute("data-measure") == api["recommendations"][0]["measure_id"]
        assert api["recommendations"][0]["name"] in first.inner_text()
        assert page.locator("#caveats").is_visible()
        assert page.locator("#cost-curve svg rect").count() >= 1
        # Baseline, efficiency programme, fuel switching, on-site, green power, certificates,
        # CCUS, offsets, the gap.
        assert page.locator("#pathway svg rect").count() == 9

        # Switch to Chinese: the same numbers, Chinese words and units.
        page.click("#lang-switch")
        page.wait_for_selector("#cards")
        title = page.inner_text("#title")
        assert has_chinese(title)
        assert human(api["footprint"]["net_location_tco2e"]) in page.inner_text("#scopes")
        assert "万元" in page.inner_text("#cards")
        page.screenshot(path=str(shots / "results-zh.png"), full_page=True)
        page.screenshot(path=str(shots / "results-zh-top.png"))

        # The report, as the browser downloads it.
        with page.expect_download() as download:
            page.click("#pdf")
        pdf = tmp_path / "report.pdf"
        download.value.save_as(pdf)
        words = pdf_text(pdf)
        assert FORM["factory_id"] in words
        assert human(api["footprint"]["net_location_tco2e"]) in words
        zh = httpx.post(
            f"{url}/v1/recommendations",
            headers={"X-API-Key": READ_KEY},
            json={"profile": profile, "options": {"top_k": 5, "lang": "zh"}},
            timeout=60,
        ).json()["result"]
        flat = re.sub(r"\s+", "", words)
        for rec in zh["recommendations"]:
            assert re.sub(r"\s+", "", rec["name"]) in flat
        assert pdf_pages_render(pdf, tmp_path / "pages" / "report") >= 2
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                "80",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                "-png",
                str(pdf),
                str(shots / "report-page1"),
            ],
            check=True,
            timeout=60,
        )
    assert outside == []


def test_bad_input_is_shown_next_to_the_field_in_the_browser(
    model_store: str, tmp_path: Path, offline_page: tuple[Any, list[str]]
) -> None:
    page, outside = offline_page
    with live_server(model_store, tmp_path, DECARB_AUTH_ENABLED="false") as url:
        page.goto(f"{url}/?lang=zh")
        page.select_option("#country", "CN")
        page.select_option("#sector", "machinery")
        page.fill("#factory_id", "p1")
        page.fill("#region", "Atlantis")
        page.fill("#reporting_year", "2024")
        page.fill("#electricity_kwh", "-5")
        page.click("#submit")
        message = page.locator("#error-region")
        assert message.is_visible()
        assert "Atlantis" in message.inner_text()
        assert page.locator("#region").get_attribute("aria-invalid") == "true"
        assert page.input_value("#region") == "Atlantis"
        api = httpx.post(
            f"{url}/v1/footprint",
            timeout=30,
            json={
                "profile": {
                    "factory_id": "p1",
                    "country": "CN",
                    "region": "Atlantis",
                    "sector": "machinery",
                    "reporting_year": 2024,
                    "electricity_kwh": -5,
                }
            },
        ).json()
        # The API names the field and the allowed set; the page says the same in Chinese words.
        assert api["detail"][0]["field"] == "profile.region"
        assert message.inner_text().startswith("地区不能为Atlantis：")
        assert "用电量不能为负" in page.inner_text("#error-electricity_kwh")
        page.screenshot(path=str(_artefacts() / "form-error.png"), full_page=True)
    assert outside == []


def test_docs_work_with_the_network_closed(
    model_store: str, tmp_path: Path, offline_page: tuple[Any, list[str]]
) -> None:
    page, outside = offline_page
    with live_server(model_store, tmp_path, DECARB_AUTH_ENABLED="false") as url:
        page.goto(f"{url}/docs")
        page.wait_for_selector(".swagger-ui .information-container", timeout=20_000)
        assert page.locator(".opblock").count() >= 8
        assert "decarb-recommender" in page.inner_text(".swagger-ui .info")
        page.screenshot(path=str(_artefacts() / "docs.png"))
    assert outside == []
