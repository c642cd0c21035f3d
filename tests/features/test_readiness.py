"""A Chinese plant held against the zero-carbon factory indicators: values worked out by hand
from its footprint, thresholds read from the data file, the national statement present, and
not-computable rows naming what is missing."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from features.accounting.footprint import compute_footprint
from features.accounting.readiness import IndicatorCheck, zero_carbon_readiness
from features.i18n import has_chinese
from features.profile import parse_profile

DATA = Path(__file__).resolve().parents[2] / "features" / "data"
KGCE_PER_KWH = 0.1229  # GB/T 2589-2020 calorific equivalent of electricity


def thresholds() -> dict[str, float | None]:
    with open(DATA / "zero_carbon_indicators.csv", encoding="utf-8") as f:
        return {
            r["indicator_id"]: float(r["threshold_value"]) if r["threshold_value"] else None
            for r in csv.DictReader(f)
        }


def by_id(checks: list[IndicatorCheck]) -> dict[str, IndicatorCheck]:
    return {c.indicator_id: c for c in checks}


def test_jiangsu_example_is_held_against_hunan_as_a_reference() -> None:
    raw = json.loads((DATA / "example_factory.json").read_text("utf-8"))
    profile = parse_profile(raw)
    fp = compute_footprint(profile)
    panel = zero_carbon_readiness(profile, fp, "en")
    assert panel is not None
    assert "publishes no numeric thresholds" in panel.national_statement
    assert "工信部联节〔2026〕13号" in panel.national_statement
    assert not panel.own_province_has_thresholds
    assert panel.reference_provinces == ["Hunan"]
    assert "Jiangsu" in panel.province_statement
    assert "reference" in panel.province_statement
    checks = by_id(panel.checks)
    limits = thresholds()

    carbon = fp.net_market_tco2e / fp.comprehensive_energy_tce
    for year in (2027, 2030, 2035):
        c = checks[f"hunan_carbon_per_energy_{year}"]
        assert c.value == pytest.approx(carbon)
        assert c.threshold_value == limits[c.indicator_id]
        assert c.status == ("pass" if carbon <= limits[c.indicator_id] else "fail")  # type: ignore[operator]
        assert c.basis == "reference_province"
        assert c.province == "Hunan"
        assert c.confidence == "medium-low"
        assert "book118" in c.source_url

    share = 100 * (600_000 + 2_000_000) / (12_000_000 + 600_000)
    c = checks["hunan_renewable_share_2027"]
    assert c.value == pytest.approx(share)
    assert c.status == "fail"  # 20.6% < 35%

    onsite_tce = 600_000 * KGCE_PER_KWH / 1000
    energy_share = 100 * (onsite_tce + 2_000_000 * KGCE_PER_KWH / 1000)
    energy_share /= fp.comprehensive_energy_tce + onsite_tce
    c = checks["microgrid_cases_renewable_share"]
    assert c.value == pytest.approx(energy_share)
    assert c.basis == "national_related"
    assert c.confidence == "medium"

    for name in ("microgrid_self_consumption", "microgrid_pv_export"):
        c = checks[name]
        assert c.status == "not_computable"
        assert c.value is None
        assert "onsite_generation_total_kwh" in c.missing
        assert "exported" in c.explanation
    assert checks["microgrid_cases_capacity"].missing == ["renewable_capacity_mw"]
    assert checks["hunan_product_footprint_reduction"].missing == ["product_footprint_base_year"]
    # A threshold for chemicals and data centres only: not shown to an auto-parts plant.
    assert "gec_green_electricity_share" not in checks

    zh = zero_carbon_readiness(profile, fp, "zh")
    assert zh is not None
    assert "未公布数值门槛" in zh.national_statement
    assert "江苏" in zh.province_statement
    assert "湖南" in zh.province_statement
    assert by_id(zh.checks)["microgrid_cases_capacity"].status_text == "无法计算"


def hunan_chemicals(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "factory_id": "hunan-chem",
        "country": "CN",
        "region": "湖南",
        "sector": "petrochemicals_chemicals",
        "reporting_year": 2023,
        "electricity_kwh": 10_000_000,
        "green_electricity_contract_kwh": 4_000_000,
        "green_certificates_kwh": 1_000_000,
    }
    data.update(overrides)
    return data


def test_a_hunan_plant_is_held_against_its_own_province() -> None:
    profile = parse_profile(hunan_chemicals())
    fp = compute_footprint(profile)
    panel = zero_carbon_readiness(profile, fp, "en")
    assert panel is not None
    assert panel.own_province_has_thresholds
    assert panel.reference_provinces == []
    assert "publishes no numeric thresholds" in panel.national_statement
    checks = by_id(panel.checks)
    c = checks["hunan_renewable_share_2027"]
    assert c.basis == "own_province"
    assert c.value == pytest.approx(40.0)  # 4 of 10 GWh on contracts
    assert c.status == "pass"  # >= 35
    assert checks["hunan_renewable_share_2030"].status == "fail"  # < 55
    carbon = fp.net_market_tco2e / fp.comprehensive_energy_tce
    assert checks["hunan_carbon_per_energy_2035"].value == pytest.approx(carbon)
    # No on-site generation: the microgrid limits do not apply.
    assert checks["microgrid_self_consumption"].status == "not_applicable"
    # The certificate policy's threshold is a national weight, not a number here.
    gec = checks["gec_green_electricity_share"]
    assert gec.value == pytest.approx(50.0)
    assert gec.status == "not_computable"
    assert gec.missing == ["national_consumption_weight"]
    assert gec.doc_number == "发改能源〔2025〕262号"


def test_without_energy_the_carbon_ratio_names_what_is_missing() -> None:
    profile = parse_profile(
        hunan_chemicals(
            electricity_kwh=0, green_electricity_contract_kwh=0, green_certificates_kwh=0
        )
    )
    panel = zero_carbon_readiness(profile, compute_footprint(profile), "zh")
    assert panel is not None
    c = by_id(panel.checks)["hunan_carbon_per_energy_2027"]
    assert c.status == "not_computable"
    assert c.missing == ["comprehensive_energy_tce"]
    assert "综合能耗" in c.explanation
    assert by_id(panel.checks)["hunan_renewable_share_2027"].missing == ["electricity_kwh"]


def test_a_plant_outside_china_gets_no_panel() -> None:
    profile = parse_profile(
        {
            "factory_id": "us",
            "country": "US",
            "region": "OH",
            "sector": "machinery",
            "reporting_year": 2023,
            "electricity_kwh": 1e6,
        }
    )
    assert zero_carbon_readiness(profile, compute_footprint(profile)) is None


def test_a_chinese_panel_says_its_sources_in_chinese_and_reads_the_same_in_english() -> None:
    raw = json.loads((DATA / "example_factory.json").read_text("utf-8"))
    profile = parse_profile({**raw, "sector": "petrochemicals_chemicals"})
    fp = compute_footprint(profile)
    zh = zero_carbon_readiness(profile, fp, "zh")
    en = zero_carbon_readiness(profile, fp, "en")
    assert zh is not None
    assert en is not None
    with open(DATA / "zero_carbon_indicators.csv", encoding="utf-8") as f:
        table = {r["indicator_id"]: r for r in csv.DictReader(f)}
    assert "江苏" in zh.province_statement
    assert "湖南" in zh.province_statement
    assert "Jiangsu" not in zh.province_statement
    for c, e in zip(zh.checks, en.checks, strict=True):
        row = table[c.indicator_id]
        assert (c.source_type, c.doc_date, c.note) == (
            row["source_type_zh"],
            row["doc_date_zh"],
            row["note_zh"],
        ), c.indicator_id
        assert (e.source_type, e.doc_date, e.note) == (
            row["source_type"],
            row["doc_date"],
            row["note"],
        ), c.indicator_id
        for text in (c.source_type, c.basis_text, c.status_text, c.explanation):
            assert has_chinese(text), (c.indicator_id, text)
        # Each sentence is one Message: rendered again in English it is the English panel's.
        assert c.explanation.in_lang("en") == e.explanation
        assert c.basis_text.in_lang("en") == e.basis_text
    # The certificate policy states its threshold in words only: in Chinese on a Chinese panel.
    gec = by_id(zh.checks)["gec_green_electricity_share"]
    assert gec.threshold_value is None
    assert gec.threshold_text == "全国平均可再生能源电力消纳责任权重"
