"""Every word a Chinese manager reads is Chinese: the form, its errors, the results, the
verification form and its results, and both PDFs, rendered in zh. Any Latin word outside a
short allowed list fails the test: units, currency codes, ids shown in grey (``code``), cited
sources (``cite``, quoted as published), names of standards and brands, and what the user typed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from serving.app import create_app
from serving.verify import EXAMPLE_INSTALLED, EXAMPLE_MEASURE
from tests.conftest import REPO_ROOT
from tests.serving.conftest import settings_for
from tests.serving.poppler import pdf_text

#: A Suzhou auto-parts plant's form as its energy manager types it.
SUZHOU = {
    "factory_id": "苏州汽配7厂", "country": "CN", "region": "江苏省", "sector": "automotive",
    "reporting_year": "2024", "employees": "850", "annual_revenue": "3.5亿元",
    "revenue_currency": "CNY", "measures_in_place": "LED照明改造",
    "energy_use.0.carrier": "electricity", "energy_use.0.value": "3,200",
    "energy_use.0.unit": "万千瓦时", "energy_use.1.carrier": "natural_gas",
    "energy_use.1.value": "120", "energy_use.1.unit": "万立方米",
    "green_electricity_contract_kwh": "200万千瓦时", "target_reduction": "50%",
    "lang": "zh",
}  # fmt: skip
#: The same form with a mistake in every kind of input.
WRONG = {
    "lang": "zh", "country": "CN", "region": "Atlantis", "reporting_year": "1800",
    "employees": "many", "electricity_kwh": "3200万", "pue": "inf", "top_k": "x",
    "target_reduction": "150%", "energy_use.0.carrier": "natural_gas",
    "energy_use.0.value": "5", "energy_use.0.unit": "千瓦", "measures_in_place": "gold_plating",
}  # fmt: skip
METERS = REPO_ROOT / "features" / "data" / "meters_example.csv"
VERIFY = {"lang": "zh", "measure_id": EXAMPLE_MEASURE, "installed": EXAMPLE_INSTALLED,
          "country": "CN", "region": "江苏"}  # fmt: skip

#: Latin words a Chinese page may hold, and why.
ALLOWED = {
    # units (SI and the trade's: GB/T 2589 tce, GHG Protocol tCO2e), currency codes
    "kWh", "MWh", "GWh", "kW", "MW", "MJ", "GJ", "TJ", "MMBtu", "therm", "tce", "tCO2e",
    "tCO2", "CO2", "kgCO2e", "kgce", "Nm3", "m2", "m3", "t", "kg", "L", "C", "h",
    "R", "CV", "RMSE", "NMBE",
    "CNY", "USD", "EUR", "GBP", "INR", "JPY", "KRW",
    # the tool, its file formats and the language switch
    "decarb-recommender", "API", "PDF", "JSON", "CSV", "Excel", "English", "YYYY-MM",
    # country codes and a state code shown as an example
    "CN", "US", "TX",
    # names of standards, schemes and technologies as Chinese practice writes them
    "NAICS", "PUE", "IT", "LED", "ISO", "IE3", "IE4", "VAV", "TRT", "REC", "GEC", "CCER",
    "CCUS", "PV", "IPMVP", "ASHRAE", "Guideline", "IAC", "LPG", "GB", "T",  # GB/T standards
    # keys of the key=value syntax of a production row, shown as its example
    "clinker_ratio", "anode_type", "cwpb",
    # column names of the meter file (docs/verification.md), which the file must use
    "period", "carrier", "quantity", "unit", "period_end", "production", "hdd", "cdd",
    "temperature_c", "non_routine", "adjustment",
}  # fmt: skip
#: Emission factor ids, as the answer cites them (features/data factor tables).
FACTOR_ID = re.compile(r"^(?:cn|us)-[a-z0-9_-]+$")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*[A-Za-z0-9]|[A-Za-z]")


class _Visible(HTMLParser):
    """What a reader sees: element text, placeholders and titles; not scripts, styles, grey
    ids (``code``) or citations (``cite``), which are collected apart."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []
        self.cited: list[str] = []
        self._inside: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code", "cite"):
            self._inside.append(tag)
            return
        for name, value in attrs:
            if name in ("placeholder", "title", "aria-label") and value:
                self.seen.append(value)

    def handle_endtag(self, tag: str) -> None:
        if self._inside and self._inside[-1] == tag:
            self._inside.pop()

    def handle_data(self, data: str) -> None:
        if not self._inside:
            self.seen.append(data)
        elif self._inside[-1] == "cite":
            self.cited.append(data)


def _read(html: str) -> tuple[str, str]:
    parser = _Visible()
    parser.feed(html)
    return " ".join(parser.seen), " ".join(parser.cited)


def untranslated(text: str, typed: set[str], cited: str = "") -> set[str]:
    """Latin words of ``text`` outside the allowed list, what was typed and the citations (a
    PDF breaks long citations across lines: any piece of one is allowed)."""
    text = re.sub(r"https?://\S+", " ", text)
    return {
        w
        for w in WORD.findall(text)
        if w not in ALLOWED
        and w not in typed
        and not FACTOR_ID.match(w)
        and (not cited or w not in cited)
    }


def assert_chinese(text: str, typed: set[str], cited: str = "") -> None:
    found = untranslated(text, typed, cited)
    assert not found, " ".join(sorted(found))


@pytest.fixture(scope="module")
def zh_client(model_store: str) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(model_store, auth_enabled=False))) as client:
        yield client


def _typed(form: dict[str, str]) -> set[str]:
    return {w for v in form.values() for w in WORD.findall(v)}


def test_the_chinese_form_and_its_errors_have_no_english_words(zh_client: TestClient) -> None:
    form, _ = _read(zh_client.get("/?lang=zh").text)
    assert_chinese(form, set())
    page = zh_client.post("/results", data=WRONG)
    assert page.status_code == 422
    seen, _ = _read(page.text)
    assert_chinese(seen, _typed(WRONG))
    # Every wrong input is flagged at once, in Chinese, with the range where there is one.
    errors = dict(re.findall(r'<span class="error" id="error-([^"]+)">([^<]*)</span>', page.text))
    assert set(errors) >= {
        "region",
        "reporting_year",
        "employees",
        "electricity_kwh",
        "pue",
        "top_k",
        "target_reduction",
        "energy_use.0.unit",
        "measures_in_place",
    }
    assert errors["pue"].startswith("PUE（电能利用效率）应为1到4之间的数字")
    assert errors["target_reduction"].startswith("减排目标应为0到1之间的比例")
    assert "江苏" in errors["region"]


def test_the_chinese_results_and_report_have_no_english_words(
    zh_client: TestClient, tmp_path: Path
) -> None:
    page = zh_client.post("/results", data=SUZHOU)
    assert page.status_code == 200, page.text[-2000:]
    seen, cited = _read(page.text)
    assert_chinese(seen, _typed(SUZHOU))
    assert "元/tCO2e" in seen
    assert "CNY/tCO2e" not in seen
    # What the answer rests on: prices with their source, the target and the gap, the green
    # electricity to contract, carbon per 万元 of revenue; 综合能耗 said to be 当量值.
    held = re.search(r'<ul class="help" id="assumptions">(.*?)</ul>', page.text, re.S)
    assert held is not None
    said = re.sub(r"<[^>]+>", " ", held.group(1))
    assert re.search(r"电力价格：[\d.]+ 元/kWh（.+）", said), said
    assert "目标：较基准排放降低50%" in said
    assert "需采购绿电" in said
    assert "单位产值碳排放：每万元营业收入" in said
    assert "综合能耗（当量值）" in seen
    # ... with 等价值 beside it (electricity at 0.3055 kgce/kWh, thermal power supply 2020).
    assert re.search(r"等价值[\d,]+吨标准煤/年（电力按2020年全国火电供电标准煤耗", seen), seen
    # Energy in the units it was typed in: gas typed in 万立方米 stays 万Nm3.
    assert "120 万Nm3" in seen
    assert "3,200 万kWh" in seen
    report = zh_client.post("/report", data=SUZHOU)
    assert report.status_code == 200
    (tmp_path / "report.pdf").write_bytes(report.content)
    text = pdf_text(tmp_path / "report.pdf")
    assert_chinese(text, _typed(SUZHOU), cited)
    # Numbered pages; every chart titled; each caveat once.
    pages = text.count("\f")
    assert pages >= 2
    numbers = [int(n) for n in re.findall(r"第\s*(\d+)\s*页", text)]
    assert numbers == list(range(1, pages + 1))
    for title in ("分范围，tCO2e/年", "分终端用途", "减排成本曲线", "零碳工厂路径"):
        assert title in text, title
    caveats = re.findall(
        r'<div class="warnings" role="alert" id="caveats">(.*?)</div>', page.text, re.S
    )
    items = re.findall(r"<li>(.*?)</li>", caveats[0], re.S) if caveats else []
    assert len(items) == len(set(items))
    # Caveats in plain words: no file paths.
    assert not any(re.search(r"[\w-]+/[\w/.-]+\.(?:py|csv|json|md)\b", i) for i in items), items


def test_a_profile_without_energy_is_refused_on_the_form(zh_client: TestClient) -> None:
    empty = {k: v for k, v in SUZHOU.items() if not k.startswith(("energy_use", "green"))}
    page = zh_client.post("/results", data=empty)
    assert page.status_code == 422
    assert "未填写任何能源用量" in page.text


def test_the_chinese_verification_pages_and_report_have_no_english_words(
    zh_client: TestClient, tmp_path: Path
) -> None:
    form, _ = _read(zh_client.get("/verify?lang=zh").text)
    assert_chinese(form, set())
    files = {"meter_file": (METERS.name, METERS.read_bytes(), "text/csv")}
    page = zh_client.post("/verify/results", data=VERIFY, files=files)
    assert page.status_code == 200, page.text[-2000:]
    seen, cited = _read(page.text)
    # The meter file's own notes are what the user wrote.
    typed = _typed(VERIFY) | set(WORD.findall(METERS.read_text("utf-8")))
    assert_chinese(seen, typed)
    report = zh_client.post("/verify/report", data=VERIFY, files=files)
    assert report.status_code == 200
    (tmp_path / "verification.pdf").write_bytes(report.content)
    text = pdf_text(tmp_path / "verification.pdf")
    assert_chinese(text, typed, cited)
    wrong = zh_client.post("/verify/results", data={**VERIFY, "installed": "soon"}, files=files)
    assert wrong.status_code == 422
    seen, _ = _read(wrong.text)
    assert_chinese(seen, {"soon"})


def test_a_us_plant_reads_mwh_mmbtu_and_dollars(zh_client: TestClient) -> None:
    ohio = {"factory_id": "ohio-dairy", "country": "US", "region": "OH", "sector": "light_industry",
            "reporting_year": "2024", "electricity_kwh": "12000000", "natural_gas_gj": "50000",
            "lang": "en"}  # fmt: skip
    page = zh_client.post("/results", data=ohio)
    assert page.status_code == 200, page.text[-2000:]
    carriers = re.search(r'<table id="carriers">(.*?)</table>', page.text, re.S)
    assert carriers is not None
    rows = re.sub(r"<[^>]+>", " ", carriers.group(1))
    assert "12,000 MWh" in rows
    assert "MMBtu" in rows
    assert " GJ" not in rows
    assert "USD/tCO2e" in page.text
