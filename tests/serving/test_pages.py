"""The factory's pages and the PDF report through the app: the form covers every profile field,
the results agree with the API, errors land next to their field, keys are honoured, the report's
text and pages are real, and /docs needs nothing from the internet."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from features.i18n import has_chinese, human
from features.profile import FactoryProfile, parse_profile, profiles_to_frame
from serving.app import create_app
from serving.pages.form import covered_fields, form_values, profile_from_form
from tests.serving.conftest import READ_KEY, settings_for
from tests.serving.poppler import pdf_pages_render, pdf_text


@pytest.fixture
def open_client(model_store: str) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(model_store, auth_enabled=False))) as client:
        yield client


def _errors(html: str) -> dict[str, str]:
    """Error messages shown next to inputs: {input name: message}."""
    found = re.findall(r'<span class="error" id="error-([^"]+)">([^<]*)</span>', html)
    return {name: unescape(message) for name, message in found}


def test_the_form_has_an_input_for_every_profile_field(open_client: TestClient) -> None:
    assert covered_fields() == set(FactoryProfile.model_fields)
    for lang in ("en", "zh"):
        html = open_client.get(f"/?lang={lang}").text
        names = set(re.findall(r'name="([^"]+)"', html))
        scalar = {
            f
            for f in FactoryProfile.model_fields
            if f not in ("energy_use", "end_uses", "production", "fuel_prices")
        }
        assert scalar <= names
        assert {
            "energy_use.0.unit",
            "end_uses.0.share",
            "production.0.output_t",
            "fuel_prices.0.price",
            "profile_file",
        } <= names
        # Units and help text stand beside the inputs, in the page's language.
        if lang == "en":
            assert "kWh/yr" in html
            assert "GJ (LHV)/yr" in html
        else:
            assert "千瓦时/年" in html
            assert "吉焦（低位发热量）/年" in html
            assert "万千瓦时" in html  # the Chinese unit words of the energy rows
        # Section titles and field labels in the page's language.
        legends = re.findall(r"<legend>([^<]+)", html)
        labels = re.findall(r'<label for="[^"]+">([^<]+)', html)
        assert all(has_chinese(t) == (lang == "zh") for t in legends)
        assert sum(has_chinese(t) for t in labels) >= (20 if lang == "zh" else 0)
        if lang == "en":
            assert not any(has_chinese(t) for t in labels)


def test_form_values_round_trip_to_the_same_profile(example_profile: dict[str, Any]) -> None:
    profile = {
        **example_profile,
        "sector": "building_materials",
        "measures_in_place": ["led_lighting", "sub_metering"],
        "fuel_prices": {"natural_gas": 80.0},
        "production": [
            {"product": "cement", "route": "dry_kiln", "output_t": 1e6, "clinker_ratio": 0.7}
        ],
    }
    again = profile_from_form(form_values(profile)).profile
    assert parse_profile(again) == parse_profile(profile)


def test_results_page_shows_what_the_api_answers(
    open_client: TestClient, example_profile: dict[str, Any]
) -> None:
    options = {"top_k": 5}
    api = open_client.post(
        "/v1/recommendations", json={"profile": example_profile, "options": options}
    ).json()
    result = api["result"]
    page = open_client.post(
        "/results", data={"profile_json": json.dumps(example_profile), "lang": "en", "top_k": "5"}
    )
    assert page.status_code == 200
    html = page.text
    fp = result["footprint"]
    scopes = dict(
        re.findall(r"<tr><th>([^<]+)</th><td class=\"num\">([^<]+) tCO2e</td></tr>", html)
    )
    assert scopes["Net, location-based"] == human(fp["net_location_tco2e"])
    assert scopes["Scope 2 market-based"] == human(fp["scope2_market_tco2e"])
    first = result["recommendations"][0]
    cards = re.findall(r'data-measure="([^"]+)" data-rank="(\d+)"', html)
    assert cards[0] == (first["measure_id"], "1")
    assert len([c for c in cards if c[1] != "0"]) >= len(result["recommendations"])
    assert unescape(first["name"]) in unescape(html)
    # The model's caveats are on the page, above the numbers.
    for warning in result["warnings"]:
        assert unescape(html).index(warning) < html.index('id="scopes"')
    # What adds up: the listed measures together beside their standalone sum; what each
    # pathway bar holds.
    portfolio = result["portfolio"]
    shown = unescape(html)
    assert human(portfolio["combined_tco2e"]) in shown.split('id="portfolio"')[1][:400]
    assert human(portfolio["standalone_sum_tco2e"]) in shown.split('id="portfolio"')[1][:400]
    holds = shown.split('id="pathway-holds"')[1].split("</ul>")[0]
    path = result["pathway"]
    assert f"{len(path['efficiency_programme'])} measures" in holds
    for m in path["efficiency_programme"]:
        assert m["name"] in holds
    assert human(path["green_electricity_to_contract_kwh"]) in holds
    # Three charts drawn on the server, nothing scripted.
    assert html.count("<svg") == 4
    assert "<script" not in html


def test_results_in_chinese_use_chinese_units(
    open_client: TestClient, example_profile: dict[str, Any]
) -> None:
    html = open_client.post(
        "/results", data={"profile_json": json.dumps(example_profile), "lang": "zh"}
    ).text
    assert "万kWh" in html
    assert "tce" in html
    assert "万元" in html
    assert "碳排放" in html
    api = open_client.post(
        "/v1/recommendations", json={"profile": example_profile, "options": {"lang": "zh"}}
    ).json()
    assert api["result"]["recommendations"][0]["name"] in unescape(html)


def test_bad_input_is_shown_in_words_next_to_its_field(
    open_client: TestClient, example_profile: dict[str, Any]
) -> None:
    form = {
        "factory_id": "p1",
        "country": "CN",
        "region": "Atlantis",
        "sector": "machinery",
        "reporting_year": "2024",
        "electricity_kwh": "1e6",
        "lang": "en",
    }
    page = open_client.post("/results", data=form)
    assert page.status_code == 422
    api = open_client.post(
        "/v1/footprint",
        json={
            "profile": {
                "factory_id": "p1",
                "country": "CN",
                "region": "Atlantis",
                "sector": "machinery",
                "reporting_year": 2024,
                "electricity_kwh": 1e6,
            }
        },
    ).json()
    # The API's reader gets the field and the allowed set; the page's the same in words.
    assert api["detail"][0]["field"] == "profile.region"
    assert _errors(page.text)["region"].startswith("The region cannot be Atlantis: ")
    assert "Jiangsu" in _errors(page.text)["region"]
    # The form comes back filled in.
    assert 'value="Atlantis"' in page.text

    # A row error lands on the row the user filled (the third, not the first).
    form = {
        **form,
        "region": "Jiangsu",
        "energy_use.2.carrier": "natural_gas",
        "energy_use.2.value": "5000",
        "energy_use.2.unit": "bananas",
    }
    errors = _errors(open_client.post("/results", data=form).text)
    assert list(errors) == ["energy_use.2.unit"]
    assert "bananas" in errors["energy_use.2.unit"]


def test_uploaded_json_and_csv_give_the_same_answer(
    open_client: TestClient, example_profile: dict[str, Any]
) -> None:
    by_json = open_client.post(
        "/results",
        data={"lang": "en"},
        files={
            "profile_file": (
                "factory.json",
                json.dumps(example_profile).encode(),
                "application/json",
            )
        },
    )
    assert by_json.status_code == 200
    buffer = io.StringIO()
    frame = profiles_to_frame([parse_profile(example_profile)])
    frame.drop(columns=["grid"]).to_csv(buffer, index=False)
    by_csv = open_client.post(
        "/results",
        data={"lang": "en"},
        files={"profile_file": ("factory.csv", buffer.getvalue().encode(), "text/csv")},
    )
    assert by_csv.status_code == 200, _errors(by_csv.text)

    def cards(html: str) -> list[str]:
        return re.findall(r'<span class="big tco2e">([^<]+)</span>', html)

    assert cards(by_json.text) == cards(by_csv.text)
    two = pd.concat([frame, frame]).drop(columns=["grid"]).to_csv(index=False).encode()
    refused = open_client.post(
        "/results", data={"lang": "en"}, files={"profile_file": ("two.csv", two, "text/csv")}
    )
    assert refused.status_code == 422
    assert "holds 2 factories; upload one factory per file" in _errors(refused.text)["profile_file"]


def test_pages_ask_for_the_api_key_when_auth_is_on(
    model_store: str, example_profile: dict[str, Any]
) -> None:
    data = {"profile_json": json.dumps(example_profile), "lang": "en"}
    with TestClient(create_app(settings_for(model_store))) as client:
        assert 'name="api_key"' in client.get("/").text
        refused = client.post("/results", data=data)
        assert refused.status_code == 401
        assert "api_key" in _errors(refused.text)
        wrong = client.post("/results", data={**data, "api_key": "not-a-key"})
        assert wrong.status_code == 401
        assert client.post("/report", data=data).status_code == 401
        ok = client.post("/results", data={**data, "api_key": READ_KEY})
        assert ok.status_code == 200
        cookie = ok.headers["set-cookie"]
        assert "httponly" in cookie.lower()
        assert "samesite=strict" in cookie.lower()
        # Kept for the session: the next page needs no key typed again.
        assert client.post("/results", data=data).status_code == 200
        assert client.post("/report", data=data).status_code == 200


@pytest.fixture(scope="module")
def poppler() -> None:
    if shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None:
        message = "poppler-utils (pdftotext, pdftoppm) not installed: make browser installs it"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.mark.usefixtures("poppler")
def test_the_report_pdf_holds_the_factory_totals_and_measures(
    client: TestClient, example_profile: dict[str, Any], tmp_path: Path
) -> None:
    headers = {"X-API-Key": READ_KEY}
    for lang in ("zh", "en"):
        body = {"profile": example_profile, "options": {"lang": lang, "top_k": 5}}
        r = client.post("/v1/reports", json=body, headers=headers)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/pdf"
        pdf = tmp_path / f"report-{lang}.pdf"
        pdf.write_bytes(r.content)
        words = pdf_text(pdf)
        answer = client.post("/v1/recommendations", json=body, headers=headers).json()["result"]
        flat = re.sub(r"\s+", "", words)
        assert example_profile["factory_id"] in words
        assert human(answer["footprint"]["net_location_tco2e"]) in words
        for rec in answer["recommendations"]:
            assert re.sub(r"\s+", "", rec["name"]) in flat
        # The portfolio line and what each pathway bar holds, as on the page.
        assert human(answer["portfolio"]["combined_tco2e"]) in words
        assert human(answer["pathway"]["efficiency_programme_capex"] / 1e4) in words or (
            human(answer["pathway"]["efficiency_programme_capex"]) in words
        )
        # Chinese in an English report only where a cited source is Chinese.
        sources = "".join(c["factor"]["source"] for c in answer["footprint"]["by_carrier"])
        readiness = answer["readiness"]
        sources += readiness["national_statement"] + "".join(
            c["scheme"] + c["issuer"] + c["doc_number"] + c["doc_date"] for c in readiness["checks"]
        )
        if lang == "zh":
            assert has_chinese(words)
        else:
            assert {ch for ch in words if has_chinese(ch)} <= set(sources)
        # First page: date, model version, factor table and catalogue versions, caveats.
        first = pdf_text(pdf, last_page=1)
        assert answer["factor_table_version"] in first
        assert answer["catalogue_version"] in first
        for warning in answer["warnings"]:
            assert re.sub(r"\s+", "", warning)[:30] in re.sub(r"\s+", "", first)
        pages = pdf_pages_render(pdf, tmp_path / lang)
        assert pages >= 2
    assert client.post("/v1/reports", json={"profile": example_profile}).status_code == 401


@pytest.mark.usefixtures("poppler")
def test_zero_carbon_indicators_show_with_their_sources_on_page_and_pdf(
    open_client: TestClient, example_profile: dict[str, Any], tmp_path: Path
) -> None:
    for lang, title, status, reference in (
        ("zh", "零碳工厂指标", "无法计算", "参考：湖南"),
        ("en", "Zero-carbon factory indicators", "not computable", "reference: Hunan"),
    ):
        body = {"profile": example_profile, "options": {"lang": lang}}
        answer = open_client.post("/v1/recommendations", json=body).json()["result"]
        panel = answer["readiness"]
        html = unescape(
            open_client.post(
                "/results", data={"profile_json": json.dumps(example_profile), "lang": lang}
            ).text
        )
        shown = html.split('id="readiness"')[1].split("</table>")[0]
        assert title in html
        assert panel["national_statement"] in shown
        assert panel["province_statement"] in shown
        assert "13号" in shown
        assert reference in shown
        rows = re.findall(r"<tr><td>", shown)
        assert len(rows) == len(panel["checks"])
        for c in panel["checks"]:
            assert c["source_url"] in shown
            assert c["indicator"] in shown
        carbon = next(c for c in panel["checks"] if c["indicator_id"].startswith("hunan_carbon"))
        assert human(carbon["value"]) in shown
        assert status in shown
        # The PDF carries the same panel.
        r = open_client.post("/v1/reports", json=body)
        assert r.status_code == 200, r.text
        pdf = tmp_path / f"readiness-{lang}.pdf"
        pdf.write_bytes(r.content)
        flat = re.sub(r"\s+", "", pdf_text(pdf))
        assert title.replace(" ", "") in flat
        assert re.sub(r"\s+", "", panel["national_statement"]) in flat
        for c in panel["checks"]:
            assert re.sub(r"\s+", "", c["source_url"]) in flat
        assert "发改能源" not in flat  # a chemicals/data-centre rule, not for this plant
        assert "mzbh.com.cn" in flat
        assert ("中低" if lang == "zh" else "medium-low") in flat


def test_docs_need_nothing_from_the_internet(open_client: TestClient) -> None:
    html = open_client.get("/docs").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r"url: '([^']+)'", html)
    assert sources
    assert all(s.startswith("/") for s in sources), sources
    for s in sources:
        assert open_client.get(s).status_code == 200, s
    assert open_client.get("/redoc").status_code == 404
    assert open_client.get("/static/swagger/../app.py").status_code == 404


def test_pdf_report_cli_writes_the_report(
    model_store: str, tmp_path: Path, example_profile: dict[str, Any]
) -> None:
    profile = tmp_path / "factory.json"
    profile.write_text(json.dumps(example_profile))
    out = tmp_path / "report.pdf"
    exe = shutil.which("decarb-report", path=str(Path(sys.executable).parent))
    assert exe is not None
    done = subprocess.run(
        [exe, str(profile), "--pdf", str(out), "--lang", "zh", "--tracking-uri", model_store],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert out.read_bytes().startswith(b"%PDF")
    assert str(out) in done.stdout


def test_a_form_in_chinese_units_scores_like_the_api(open_client: TestClient) -> None:
    form = {"factory_id": "suzhou-1", "country": "CN", "region": "江苏", "sector": "machinery",
            "reporting_year": "2024", "annual_revenue": "3.5 亿元", "lang": "zh",
            "energy_use.0.carrier": "electricity", "energy_use.0.value": "860",
            "energy_use.0.unit": "万kWh", "energy_use.1.carrier": "natural_gas",
            "energy_use.1.value": "120", "energy_use.1.unit": "万Nm3"}  # fmt: skip
    page = open_client.post("/results", data=form)
    assert page.status_code == 200, _errors(page.text)
    api = open_client.post("/v1/footprint", json={"profile": profile_from_form(form).profile})
    fp = api.json()["footprint"]
    scopes = re.findall(r'<td class="num">([^<]+) tCO2e</td>', page.text)
    assert human(fp["net_location_tco2e"]) in scopes
    assert "860 万kWh" in page.text


def test_a_report_for_a_chinese_factory_id_downloads(open_client: TestClient) -> None:
    profile = {"factory_id": "苏州一厂", "country": "CN", "region": "江苏", "sector": "machinery",
               "reporting_year": 2024, "electricity_kwh": 5e6}  # fmt: skip
    r = open_client.post("/v1/reports", json={"profile": profile, "options": {"lang": "zh"}})
    assert r.status_code == 200
    assert r.headers["content-disposition"] == 'attachment; filename="decarb-report-factory.pdf"'
