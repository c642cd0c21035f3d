"""Energy on the results page in the family of units the user typed: a US plant's gas typed in
therms is shown in therms (not the MMBtu a US plant's gas is shown in otherwise), in English
and in Chinese, in the footprint's carriers and the energy each measure saves (sentences the
answer itself writes, such as why a measure raises emissions, keep their own GJ); and a US
plant's verified savings in MWh and therms (or MMBtu), a Chinese plant's in kWh and tce."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from features.i18n import text
from serving.app import create_app
from serving.verify import EXAMPLE_INSTALLED, EXAMPLE_MEASURE
from tests.serving.conftest import settings_for
from tests.serving.test_zh_words import METERS

#: An Ohio dairy plant's form: electricity in MWh and gas in therms, as on its US bills.
OHIO = {"factory_id": "ohio-dairy", "country": "US", "region": "OH", "sector": "light_industry",
        "reporting_year": "2024", "energy_use.0.carrier": "electricity",
        "energy_use.0.value": "12000", "energy_use.0.unit": "MWh",
        "energy_use.1.carrier": "natural_gas", "energy_use.1.value": "480,000",
        "energy_use.1.unit": "therm"}  # fmt: skip


@pytest.fixture(scope="module")
def client(model_store: str) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(model_store, auth_enabled=False))) as test_client:
        yield test_client


def _carrier_rows(html: str) -> dict[str, str]:
    """The footprint's carriers: {carrier in words: energy as shown}."""
    table = re.search(r'<table id="carriers">(.*?)</table>', html, re.S)
    assert table is not None
    rows = re.findall(r"<tr>\s*<td>([^<]*)</td>\s*<td[^>]*>([^<]*)</td>", table.group(1))
    return {carrier.strip(): shown.strip() for carrier, shown in rows}


@pytest.mark.parametrize(("lang", "gas"), [("en", "natural_gas"), ("zh", "天然气")])
def test_gas_typed_in_therms_is_shown_in_therms(client: TestClient, lang: str, gas: str) -> None:
    page = client.post("/results", data={**OHIO, "lang": lang})
    assert page.status_code == 200, page.text[-2000:]
    rows = _carrier_rows(page.text)
    assert rows[gas] == "480,000 therm", rows
    assert "MMBtu" not in page.text.split('<table id="carriers">')[1].split("</table>")[0]
    assert any(shown == "12,000 MWh" for shown in rows.values()), rows
    # The energy each measure saves is in therms too, never in MMBtu or GJ.
    label = re.escape(text("page_card_energy", lang))
    saved = re.findall(rf"<dt>{label}</dt><dd>([^<]*)</dd>", page.text)
    gas_saved = [part for line in saved for part in line.split("; ") if "therm" in part]
    assert gas_saved, saved
    assert all(re.fullmatch(r"[-+]?[\d,.]+ therm", part) for part in gas_saved), gas_saved
    assert not any(re.search(r"\b(?:MMBtu|GJ|tce)\b", line) for line in saved), saved


def test_gas_typed_in_gj_by_a_us_plant_is_shown_in_mmbtu(client: TestClient) -> None:
    """Without a typed unit of its own, a US plant's gas is in the unit of US bills."""
    ohio = {**OHIO, "energy_use.1.value": "50000", "energy_use.1.unit": ""}
    ohio = {k: v for k, v in ohio.items() if not k.startswith("energy_use.1")}
    page = client.post("/results", data={**ohio, "natural_gas_gj": "50000", "lang": "en"})
    assert page.status_code == 200, page.text[-2000:]
    assert _carrier_rows(page.text)["natural_gas"].endswith(" MMBtu")


def _us_meter_file(gas_unit: str) -> bytes:
    """The shipped meter file as an Ohio plant's: gas in ``gas_unit`` (the same numbers)."""
    text_ = METERS.read_text(encoding="utf-8")
    return text_.replace(",Nm3,", f",{gas_unit},").encode("utf-8")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_us_meter_file_in_therms_is_verified_in_therms_and_mwh(
    client: TestClient, lang: str
) -> None:
    verify = {"lang": lang, "measure_id": EXAMPLE_MEASURE, "installed": EXAMPLE_INSTALLED,
              "country": "US", "region": "OH"}  # fmt: skip
    files = {"meter_file": ("ohio.csv", _us_meter_file("therm"), "text/csv")}
    page = client.post("/verify/results", data=verify, files=files)
    assert page.status_code == 200, page.text[-2000:]
    table = re.search(r'<table id="savings">(.*?)</table>', page.text, re.S)
    assert table is not None
    cells = re.sub(r"<[^>]+>", " ", table.group(1))
    assert re.search(r"[\d,.]+ therm\b", cells), cells
    assert re.search(r"[\d,.]+ MWh\b", cells), cells
    assert not re.search(r"[\d,.]+ (?:GJ|tce|kWh|万kWh|MMBtu)\b", cells), cells
    # The charts are labelled in the same units.
    charts = re.findall(r"<svg.*?</svg>", page.text, re.S)
    assert any("therm" in c for c in charts)
    assert any("MWh" in c for c in charts)
    # Gas in another unit is in MMBtu, the unit of US gas bills.
    files = {"meter_file": ("ohio.csv", _us_meter_file("GJ"), "text/csv")}
    page = client.post("/verify/results", data=verify, files=files)
    table = re.search(r'<table id="savings">(.*?)</table>', page.text, re.S)
    assert table is not None
    assert re.search(r"[\d,.]+ MMBtu\b", re.sub(r"<[^>]+>", " ", table.group(1)))


def test_a_chinese_meter_file_keeps_kwh_and_tce(client: TestClient) -> None:
    verify = {"lang": "zh", "measure_id": EXAMPLE_MEASURE, "installed": EXAMPLE_INSTALLED,
              "country": "CN", "region": "江苏"}  # fmt: skip
    files = {"meter_file": (METERS.name, METERS.read_bytes(), "text/csv")}
    page = client.post("/verify/results", data=verify, files=files)
    table = re.search(r'<table id="savings">(.*?)</table>', page.text, re.S)
    assert table is not None
    cells = re.sub(r"<[^>]+>", " ", table.group(1))
    assert re.search(r"[\d,.]+ tce\b", cells), cells
    assert "therm" not in cells
    assert "MMBtu" not in cells
