"""A Chinese plant's input as its people type it: provinces by official name, Chinese unit words,
万/亿 money, grouped and full-width numbers, percentages, measures by name, and the hint when a
value typed in kWh was surely meant in 万kWh."""

from __future__ import annotations

import re
from typing import Any

import pytest

from features.accounting.footprint import compute_footprint
from features.catalogue.measures import measure_ids
from features.domain import DomainSummary
from features.errors import InvalidValueError, UnitError, UnknownRegionError
from features.profile import parse_profile
from features.regions import Country, normalise_region
from features.units import (
    Carrier,
    number_text,
    parse_money,
    parse_number,
    parse_share,
    to_canonical,
)


@pytest.mark.parametrize(
    ("typed", "province"),
    [
        ("江苏省", "Jiangsu"),
        ("江苏", "Jiangsu"),
        ("广西壮族自治区", "Guangxi"),
        ("内蒙古自治区", "Inner Mongolia"),
        ("宁夏回族自治区", "Ningxia"),
        ("新疆维吾尔自治区", "Xinjiang"),
        ("西藏自治区", "Tibet"),
        ("北京市", "Beijing"),
        ("上海市", "Shanghai"),
        ("重庆市", "Chongqing"),
        ("Jiangsu Province", "Jiangsu"),
        ("Guangxi Zhuang Autonomous Region", "Guangxi"),
    ],
)
def test_provinces_by_official_name(typed: str, province: str) -> None:
    assert normalise_region(Country.CN, typed) == province


def test_unknown_region_lists_provinces_in_both_languages() -> None:
    with pytest.raises(UnknownRegionError) as err:
        normalise_region(Country.CN, "香港特别行政区")
    assert err.value.field == "region"
    assert "Jiangsu (江苏)" in err.value.allowed


@pytest.mark.parametrize(
    ("carrier", "value", "unit", "expected"),
    [
        (Carrier.ELECTRICITY, 2.0, "千瓦时", 2.0),
        (Carrier.ELECTRICITY, 2.0, "度", 2.0),
        (Carrier.ELECTRICITY, 2.0, "万千瓦时", 20_000.0),
        (Carrier.ELECTRICITY, 2.0, "万度", 20_000.0),
        (Carrier.ELECTRICITY, 2.0, "兆瓦时", 2_000.0),
        (Carrier.NATURAL_GAS, 2.0, "吉焦", 2.0),
        (Carrier.NATURAL_GAS, 10_000.0, "立方米", 389.31),  # read as Nm3
        (Carrier.NATURAL_GAS, 10_000.0, "方", 389.31),
        (Carrier.NATURAL_GAS, 1.0, "万立方米", 389.31),
        (Carrier.NATURAL_GAS, 1.0, "万方", 389.31),
        (Carrier.COAL, 1.0, "吨", 20.908),
        (Carrier.COAL, 1.0, "万吨", 209_080.0),
        (Carrier.COAL, 1.0, "吨标准煤", 29.3076),
        (Carrier.COAL, 1.0, "吨标煤", 29.3076),
        (Carrier.COAL, 1.0, "万吨标准煤", 293_076.0),
        (Carrier.DIESEL, 1000.0, "千克", 42.652),
    ],
)
def test_chinese_unit_words(carrier: Carrier, value: float, unit: str, expected: float) -> None:
    assert to_canonical(carrier, value, unit) == pytest.approx(expected)


@pytest.mark.parametrize("unit", ["万", "千瓦", "标准煤"])
def test_ambiguous_unit_words_refused_with_the_allowed_list(unit: str) -> None:
    with pytest.raises(UnitError) as err:
        to_canonical(Carrier.ELECTRICITY, 1.0, unit, field="energy_use[0].unit")
    assert err.value.field == "energy_use[0].unit"
    for allowed in ("kWh", "万kWh", "千瓦时", "万千瓦时", "度"):
        assert allowed in err.value.allowed.split(", ")


def test_a_unit_word_of_another_carrier_is_refused() -> None:
    with pytest.raises(UnitError) as err:
        to_canonical(Carrier.ELECTRICITY, 1.0, "立方米")
    assert "万千瓦时" in err.value.allowed
    assert "Nm3" not in err.value.allowed


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1200 万元", (1.2e7, "CNY")),
        ("3.2亿元", (3.2e8, "CNY")),
        ("32,000,000 元", (3.2e7, "CNY")),
        ("32，000，000元", (3.2e7, "CNY")),
        ("３２，０００ 万元", (3.2e8, "CNY")),
        ("32,000,000", (3.2e7, None)),
        ("32 000 000", (3.2e7, None)),
    ],
)
def test_money_as_typed(typed: str, expected: tuple[float, str | None]) -> None:
    assert parse_money("annual_revenue", typed) == expected


def test_money_in_wan_of_no_currency_is_refused() -> None:
    with pytest.raises(InvalidValueError) as err:
        parse_money("annual_revenue", "1200 万")
    assert err.value.field == "annual_revenue"
    assert "万元" in err.value.allowed
    assert "亿元" in err.value.allowed


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("32,000,000", 3.2e7), ("32，000，000", 3.2e7), ("３２０００", 32_000.0), ("1,200.5", 1200.5)],
)
def test_numbers_as_typed(typed: str, expected: float) -> None:
    assert parse_number("electricity_kwh", typed) == expected


def test_a_comma_that_is_no_thousands_separator_is_refused() -> None:
    assert number_text("1,5") == "1,5"
    with pytest.raises(InvalidValueError, match="electricity_kwh"):
        parse_number("electricity_kwh", "1,5")


@pytest.mark.parametrize(("typed", "expected"), [("50%", 0.5), ("50％", 0.5), ("0.5", 0.5)])
def test_shares_as_percentages(typed: str, expected: float) -> None:
    assert parse_share("target_reduction", typed) == expected


@pytest.mark.parametrize("typed", ["150%", "half", "50"])
def test_a_share_out_of_range_is_refused(typed: str) -> None:
    with pytest.raises(InvalidValueError) as err:
        parse_share("target_reduction", typed)
    assert err.value.field == "target_reduction"
    assert "50%" in err.value.allowed


def test_measures_by_chinese_and_english_names() -> None:
    typed = "LED照明改造；lighting controls (occupancy, daylight, zoning); VARIABLE_SPEED_DRIVES"
    assert measure_ids(typed) == ("led_lighting", "lighting_controls", "variable_speed_drives")
    # A form that split the text at spaces and commas hands over the words one by one.
    words = [w for w in re.split(r"[;,\s]+", "Steam trap survey, repair and replacement") if w]
    assert measure_ids(words) == ("steam_trap_management",)


def test_an_unknown_measure_lists_close_matches() -> None:
    with pytest.raises(InvalidValueError) as err:
        measure_ids(["led_lighting", "LED照明"])
    assert err.value.field == "measures_in_place[1]"
    assert err.value.allowed.startswith("a measure id, English or Chinese name (closest: ")
    assert "led_lighting (LED lighting retrofit; LED照明改造)" in err.value.allowed


CANONICAL: dict[str, Any] = {  # Any: raw profile values
    "factory_id": "jiangsu-parts",
    "country": "CN",
    "region": "Jiangsu",
    "sector": "machinery",
    "reporting_year": 2023,
    "employees": 850,
    "electricity_kwh": 32_000_000,
    "natural_gas_gj": 389.31 * 120,
    "annual_revenue": 3.2e8,
    "measures_in_place": ["led_lighting", "steam_trap_management"],
    "energy_use": [{"carrier": "coal", "value": 1200, "unit": "tce"}],
    "end_uses": [{"carrier": "electricity", "end_use": "lighting", "share": 0.05}],
}
#: The same plant as a Chinese form hands it over: every value text, as typed.
TYPED: dict[str, Any] = {  # Any: raw profile values
    "factory_id": "jiangsu-parts",
    "country": "CN",
    "region": "江苏省",
    "sector": "machinery",
    "reporting_year": "2023",
    "employees": "８５０",
    "electricity_kwh": "3,200 万千瓦时",
    "natural_gas_gj": "120万方",
    "annual_revenue": "3.2亿元",
    "measures_in_place": "LED照明改造；疏水阀检测、维修与更换",
    "energy_use": [{"carrier": "coal", "value": "1，200", "unit": "吨标准煤"}],
    "end_uses": [{"carrier": "electricity", "end_use": "lighting", "share": "5%"}],
}


@pytest.mark.parametrize(
    ("typed", "kwh"),
    [("1234567.5", 1234567.5), ("1.2e7", 1.2e7), ("3.2e3 MWh", 3.2e6), ("3,200万度", 3.2e7)],
)
def test_an_energy_field_typed_with_or_without_its_unit(typed: str, kwh: float) -> None:
    assert parse_profile({**CANONICAL, "electricity_kwh": typed}).electricity_kwh == kwh


def test_a_refused_unit_word_in_a_profile_names_its_row() -> None:
    rows = [{"carrier": "natural_gas", "value": "12", "unit": "万"}]
    with pytest.raises(UnitError) as err:
        parse_profile({**CANONICAL, "energy_use": rows})
    assert err.value.field == "energy_use[0].unit"
    assert "万方" in err.value.allowed.split(", ")


def test_fuel_prices_typed_with_separators() -> None:
    profile = parse_profile({**CANONICAL, "fuel_prices": {"natural_gas": "１，０００"}})
    assert profile.fuel_prices == {Carrier.NATURAL_GAS: 1000.0}


def test_chinese_typed_profile_gives_the_canonical_footprint() -> None:
    typed, canonical = parse_profile(TYPED), parse_profile(CANONICAL)
    assert typed.canonical() == canonical.canonical()
    a, b = compute_footprint(typed), compute_footprint(canonical)
    assert a.model_dump() == b.model_dump()
    assert a.total_location_tco2e > 0


def test_wan_hint_for_electricity_typed_in_kwh() -> None:
    profile = parse_profile({**CANONICAL, "electricity_kwh": "3,200", "natural_gas_gj": 0})
    warnings = DomainSummary(n_factories=0).check(profile)
    assert [(w.code, w.field) for w in warnings] == [("likely_wan_unit", "electricity_kwh")]
    message = warnings[0].message
    assert message.startswith("electricity_kwh 3,200 kWh/yr is below the range for 850 employees")
    assert message.endswith("did you mean 3,200 万kWh?")
    assert message.in_lang("zh").endswith("是否应为3,200 万kWh？")


def test_wan_hint_for_gas_in_nm3() -> None:
    profile = parse_profile({**CANONICAL, "natural_gas_gj": "120 方"})
    (warning,) = DomainSummary(n_factories=0).check(profile)
    assert warning.field == "natural_gas_gj"
    assert "did you mean 120 万Nm3?" in warning.message


@pytest.mark.parametrize(
    "change",
    [
        {"electricity_kwh": 32_000_000},  # plausible as it is
        {"electricity_kwh": 3},  # too small even as 万kWh: no guess
        {"country": "US", "region": "OH"},  # 万 is a Chinese unit
        {"employees": None},  # no size to compare with
    ],
)
def test_no_wan_hint_where_it_would_not_fit(change: dict[str, Any]) -> None:
    profile = parse_profile({**CANONICAL, **change})
    assert DomainSummary(n_factories=0).check(profile) == []
