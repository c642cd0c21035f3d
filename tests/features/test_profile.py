from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from features.errors import InvalidValueError, UnitError, UnknownRegionError, UnknownSectorError
from features.profile import (
    PROFILE_COLUMNS,
    FactoryProfile,
    field_bounds,
    parse_profile,
    profiles_from_frame,
    profiles_to_frame,
)
from features.regions import Country
from features.sectors import Sector
from features.units import Carrier


def base(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "factory_id": "f-1",
        "country": "CN",
        "region": "Jiangsu",
        "sector": "machinery",
        "reporting_year": 2023,
        "electricity_kwh": 1_000_000.0,
    }
    data.update(overrides)
    return data


def test_region_names_in_english_or_chinese_resolve_to_province_and_grid() -> None:
    p = parse_profile(base(region="广东"))
    assert p.region == "Guangdong"
    assert p.grid == "South China (China Southern) grid"
    assert parse_profile(base(region="inner mongolia")).grid == "North China grid"
    us = parse_profile(base(country="us", region="oh"))
    assert (us.country, us.region, us.grid) == (Country.US, "OH", None)


def test_sector_is_derived_from_naics_when_omitted() -> None:
    data = base(naics_code="331110")
    del data["sector"]
    assert parse_profile(data).sector == Sector.STEEL


def test_energy_in_other_units_is_converted_and_added() -> None:
    p = parse_profile(
        base(
            energy_use=[
                {"carrier": "natural_gas", "value": 1_000_000, "unit": "Nm3"},
                {"carrier": "electricity", "value": 2, "unit": "GWh"},
            ],
            electricity_kwh=0.0,
        )
    )
    assert p.energy(Carrier.NATURAL_GAS) == pytest.approx(38_931.0)
    assert p.energy(Carrier.ELECTRICITY) == pytest.approx(2_000_000.0)
    canonical = p.canonical()
    assert canonical.natural_gas_gj == pytest.approx(38_931.0)
    assert canonical.energy_use == []


@pytest.mark.parametrize(
    ("overrides", "error", "field", "allowed_fragment"),
    [
        ({"electricity_kwh": -5.0}, InvalidValueError, "electricity_kwh", ">= 0"),
        ({"coal_gj": float("nan")}, InvalidValueError, "coal_gj", "finite"),
        ({"natural_gas_gj": float("inf")}, InvalidValueError, "natural_gas_gj", "finite"),
        ({"sector": "toys"}, UnknownSectorError, "sector", "petrochemicals_chemicals"),
        ({"region": "Atlantis"}, UnknownRegionError, "region", "Zhejiang"),
        ({"country": "US", "region": "XX"}, UnknownRegionError, "region", "WY"),
        ({"country": "FR"}, InvalidValueError, "country", "CN, US"),
        ({"reporting_year": 1850}, InvalidValueError, "reporting_year", "1980"),
        ({"operating_hours_per_year": 9000}, InvalidValueError, "operating_hours", "8784"),
        ({"naics_code": "abc"}, UnknownSectorError, "naics_code", "digits"),
        ({"colour": "red"}, InvalidValueError, "colour", "electricity_kwh"),
        ({"measures_in_place": ["teleportation"]}, InvalidValueError, "measures_in_place[0]",
         "rooftop_pv"),
        ({"energy_use": [{"carrier": "coal", "value": 5, "unit": "Nm3"}]}, UnitError,
         "energy_use[0].unit", "tce"),
        ({"energy_use": [{"carrier": "coal", "value": -5, "unit": "t"}]}, InvalidValueError,
         "energy_use[0].value", ">= 0"),
        ({"energy_use": [{"carrier": "electricity", "value": 5, "unit": "kWh"}]},
         InvalidValueError, "energy_use[0].carrier", "electricity_kwh"),
        ({"green_certificates_kwh": 2_000_000.0}, InvalidValueError, "green_certificates_kwh",
         "at most the grid electricity"),
    ],
)  # fmt: skip
def test_bad_profiles_raise_typed_errors_naming_field_value_and_allowed(
    overrides: dict[str, Any], error: type[Exception], field: str, allowed_fragment: str
) -> None:
    with pytest.raises(error) as info:
        parse_profile(base(**overrides))
    exc = info.value
    assert isinstance(exc, InvalidValueError)
    assert field in exc.field
    assert allowed_fragment in exc.allowed
    assert "invalid value" in str(exc)


def test_frame_round_trip_keeps_every_value() -> None:
    p = parse_profile(
        base(
            naics_code="336390",
            sector="automotive",
            employees=120,
            annual_revenue=5e7,
            roof_area_available_m2=3000,
            measures_in_place=["led_lighting", "rooftop_pv"],
            energy_use=[{"carrier": "diesel", "value": 10, "unit": "t"}],
            electricity_price=0.65,
            fuel_prices={"natural_gas": 95.0, "coal": 50.0},
            offsets_tco2e=12.0,
        )
    )
    frame = profiles_to_frame([p])
    assert list(frame.columns) == list(PROFILE_COLUMNS)
    assert frame.loc[0, "diesel_gj"] == pytest.approx(426.52)
    assert frame.loc[0, "grid"] == "East China grid"
    back, rejected = profiles_from_frame(frame)
    assert rejected == []
    assert back[0] == p.canonical()


def test_frame_rows_with_errors_are_reported_with_row_numbers_not_dropped() -> None:
    good = profiles_to_frame([parse_profile(base())])
    frame = pd.concat([good, good, good], ignore_index=True)
    frame.loc[1, "electricity_kwh"] = -1.0
    frame.loc[2, "sector"] = "unknown-sector"
    profiles, rejected = profiles_from_frame(frame)
    assert len(profiles) == 1
    assert [(row, exc.field) for row, exc in rejected] == [(1, "electricity_kwh"), (2, "sector")]


def test_frame_with_unknown_column_is_one_clear_error() -> None:
    frame = profiles_to_frame([parse_profile(base())]).assign(power_kw=1.0)
    with pytest.raises(InvalidValueError, match="power_kw"):
        profiles_from_frame(frame)


def test_money_in_wan_yuan_and_other_units() -> None:
    p = parse_profile(
        base(
            annual_revenue="1,200 万元",
            electricity_cost_per_year="65 万元",
            fuel_cost_per_year={"value": 0.5, "unit": "亿元"},
        )
    )
    assert p.annual_revenue == pytest.approx(1.2e7)
    assert p.electricity_cost_per_year == pytest.approx(6.5e5)
    assert p.fuel_cost_per_year == pytest.approx(5e7)
    assert p.revenue_currency == "CNY"
    usd = parse_profile(base(annual_revenue={"value": 3.5, "unit": "万USD"}))
    assert usd.annual_revenue == pytest.approx(35_000.0)
    assert usd.revenue_currency == "USD"  # taken from the amount's unit
    # A US plant's money is in USD unless it says otherwise; a Chinese plant's in CNY.
    ohio = parse_profile(base(country="US", region="OH", electricity_cost_per_year=1e6))
    assert ohio.revenue_currency == "USD"
    assert parse_profile(base()).revenue_currency == "CNY"


@pytest.mark.parametrize(
    ("overrides", "field", "allowed"),
    [
        ({"annual_revenue": "12 dollars"}, "annual_revenue", "万元"),
        ({"annual_revenue": "1200 万元", "revenue_currency": "USD"}, "annual_revenue",
         "an amount in USD"),
        ({"revenue_currency": "XYZ"}, "revenue_currency", "CNY"),
        ({"electricity_price": -0.1}, "electricity_price", ">= 0"),
        ({"fuel_prices": {"electricity": 0.7}}, "fuel_prices.electricity", "electricity_price"),
        ({"fuel_prices": {"coal": -1}}, "fuel_prices.coal", ">= 0"),
        ({"fuel_prices": {"uranium": 1}}, "fuel_prices", "natural_gas"),
    ],
)  # fmt: skip
def test_bad_money_names_the_field_and_what_is_allowed(
    overrides: dict[str, Any], field: str, allowed: str
) -> None:
    with pytest.raises(InvalidValueError) as exc:
        parse_profile(base(**overrides))
    assert exc.value.field.startswith(field)
    assert allowed in str(exc.value)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"offsets_tco2e": False}, "offsets_tco2e"),
        ({"employees": True}, "employees"),
        ({"fuel_prices": {"coal": True}}, "fuel_prices.coal"),
        ({"end_uses": [{"carrier": "electricity", "end_use": "lighting", "value": False}]},
         "end_uses.0.value"),
        ({"end_uses": [{"carrier": "electricity", "end_use": "lighting", "share": True}]},
         "end_uses.0.share"),
        ({"energy_use": [{"carrier": "coal", "value": True, "unit": "GJ"}]},
         "energy_use.0.value"),
    ],
)  # fmt: skip
def test_true_or_false_is_not_taken_as_a_number(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidValueError) as err:
        parse_profile(base(**overrides))
    assert (err.value.field, err.value.allowed) == (field, "a number")
    # the same numbers as numbers are fine
    assert parse_profile(base(offsets_tco2e=0, employees=1)).employees == 1


def test_schema_allows_what_validation_accepts() -> None:
    properties = FactoryProfile.model_json_schema()["properties"]
    assert properties["region"]["minLength"] == 1
    assert (
        properties["reporting_year"] | {"minimum": 1980, "maximum": 2100}
        == (properties["reporting_year"])
    )
    money = next(b for b in properties["annual_revenue"]["anyOf"] if b.get("type") == "number")
    assert money["maximum"] == field_bounds(None)["annual_revenue"].high
    currency = properties["revenue_currency"]["anyOf"]
    assert currency[0]["enum"] == ["CNY", "EUR", "GBP", "INR", "JPY", "KRW", "USD"]
    assert currency[1] == {"type": "null"}
    # null currency, as when not given: the country's
    assert parse_profile(base(revenue_currency=None)).revenue_currency == "CNY"
    with pytest.raises(InvalidValueError) as err:
        parse_profile(base(reporting_year=2101))
    assert err.value.field == "reporting_year"
