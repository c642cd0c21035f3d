"""Accounting pinned to numbers worked out by hand from the published factors."""

from __future__ import annotations

from typing import Any

import pytest

from features.accounting.footprint import compute_footprint, emission_change
from features.accounting.prices import default_price, default_prices, price_matrix
from features.profile import parse_profile
from features.table import profile_table
from features.units import USD_PER, Carrier

LB = 0.45359237  # kg per lb


def cn_factory(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "factory_id": "cn-hebei",
        "country": "CN",
        "region": "Hebei",
        "sector": "steel",
        "reporting_year": 2022,
        "employees": 100,
        "annual_revenue": 50_000_000,
        "revenue_currency": "CNY",
        "electricity_kwh": 1_000_000,
        "natural_gas_gj": 10_000,
        "energy_use": [{"carrier": "coal", "value": 1000, "unit": "t"}],
        "purchased_heat_gj": 2_000,
        "green_electricity_contract_kwh": 200_000,
        "green_certificates_kwh": 100_000,
    }
    data.update(overrides)
    return data


def test_chinese_factory_footprint_matches_hand_calculation() -> None:
    fp = compute_footprint(parse_profile(cn_factory()))
    by = {e.carrier: e for e in fp.by_carrier}
    # Natural gas: 10,000 GJ x (56,100 + 1*28 + 0.1*265) kg/TJ = 561.545 t (IPCC 2006, AR5 GWP)
    assert by[Carrier.NATURAL_GAS].tco2e == pytest.approx(561.545, rel=1e-9)
    # Coal: 1000 t x 20.908 GJ/t = 20,908 GJ x (94,600 + 10*28 + 1.5*265) kg/TJ = 1,992.062 t
    assert by[Carrier.COAL].energy == pytest.approx(20_908.0)
    assert by[Carrier.COAL].tco2e == pytest.approx(20.908 * 95.2775, rel=1e-9)
    # Electricity: Hebei 2022 provincial factor 0.7252 kg/kWh -> 725.2 t
    assert by[Carrier.ELECTRICITY].tco2e == pytest.approx(725.2, rel=1e-9)
    assert by[Carrier.ELECTRICITY].factor.factor_id == "cn-grid-2022-hebei-average"
    # Purchased heat: 2,000 GJ x 0.11 t/GJ = 220 t
    assert by[Carrier.PURCHASED_HEAT].tco2e == pytest.approx(220.0, rel=1e-9)

    assert fp.scope1_tco2e == pytest.approx(561.545 + 1992.06197, rel=1e-6)
    assert fp.scope2_location_tco2e == pytest.approx(725.2 + 220.0, rel=1e-9)
    # Market-based: (1,000,000 - 200,000 - 100,000) kWh x 0.5856 (national, excluding
    # market-traded non-fossil, 2022) = 409.92 t, plus heat 220 t
    assert fp.market_based.residual_kwh == pytest.approx(700_000.0)
    assert fp.market_based.electricity_tco2e == pytest.approx(409.92, rel=1e-9)
    assert fp.scope2_market_tco2e == pytest.approx(629.92, rel=1e-9)
    # Certificates are reported apart: 100,000 kWh x 0.5856 = 58.56 t claimed
    assert fp.market_based.certificates_kwh == 100_000
    assert fp.market_based.certificates_avoided_tco2e == pytest.approx(58.56, rel=1e-9)

    total = 561.545 + 1992.06197 + 725.2 + 220.0
    assert fp.total_location_tco2e == pytest.approx(total, rel=1e-6)
    assert fp.intensity_tco2e_per_employee == pytest.approx(total / 100, rel=1e-6)
    assert fp.intensity_tco2e_per_million_revenue == pytest.approx(total / 50, rel=1e-6)
    assert fp.factor_table_version == "2026.11.1"


def test_us_factory_footprint_matches_hand_calculation() -> None:
    profile = parse_profile(
        {
            "factory_id": "us-oh",
            "country": "US",
            "region": "OH",
            "sector": "machinery",
            "reporting_year": 2022,
            "electricity_kwh": 2_000_000,
            "energy_use": [{"carrier": "natural_gas", "value": 10_000, "unit": "MMBtu"}],
        }
    )
    fp = compute_footprint(profile)
    by = {e.carrier: e for e in fp.by_carrier}
    # eGRID2022 Ohio: CO2 1156.152, CH4 0.089, N2O 0.013 lb/MWh
    # -> (1156.152 + 0.089*28 + 0.013*265) lb/MWh = 1162.089 lb/MWh; x 2,000 MWh
    assert by[Carrier.ELECTRICITY].tco2e == pytest.approx(1162.089 * LB * 2, rel=1e-9)
    # EPA hub natural gas (HHV): 53.06 kg + 1 g CH4*28 + 0.1 g N2O*265 = 53.1145 kg/MMBtu;
    # 10,000 MMBtu given in HHV, stored as LHV GJ and converted back: 531.145 t
    assert by[Carrier.NATURAL_GAS].tco2e == pytest.approx(531.145, rel=1e-9)
    # No US residual mix in the table: market-based falls back to the location factor, and says so
    assert fp.scope2_market_tco2e == pytest.approx(fp.scope2_location_tco2e)
    assert "location factor used" in fp.market_based.residual_factor.note


def test_biomass_co2_is_biogenic_outside_the_scopes() -> None:
    fp = compute_footprint(
        parse_profile(cn_factory(biomass_gj=1_000, natural_gas_gj=0, energy_use=[]))
    )
    biomass = next(e for e in fp.by_carrier if e.carrier == Carrier.BIOMASS)
    # IPCC wood: 112,000 kg CO2/TJ biogenic; CH4 30, N2O 4 kg/TJ count in scope 1
    assert biomass.biogenic_tco2 == pytest.approx(112.0)
    assert biomass.tco2e == pytest.approx((30 * 28 + 4 * 265) / 1000)
    assert fp.biogenic_co2_t == pytest.approx(112.0)


def gas_to_electric_heat(region: str, year: int = 2022) -> float:
    # 1,000 GJ of gas in an 85%-efficient boiler delivers 850 GJ of heat; electric resistance
    # heating at 100% needs 850 GJ = 236,111 kWh.
    profile = parse_profile(cn_factory(region=region, reporting_year=year))
    change = emission_change(
        profile, {Carrier.NATURAL_GAS: -1_000.0, Carrier.ELECTRICITY: 850 / 0.0036}
    )
    assert change.avoided_tco2e == pytest.approx(-change.delta_tco2e)
    return change.delta_tco2e


def test_electrification_on_a_coal_heavy_grid_raises_emissions_and_says_so() -> None:
    profile = parse_profile(cn_factory())
    change = emission_change(
        profile, {Carrier.NATURAL_GAS: -1_000.0, Carrier.ELECTRICITY: 850 / 0.0036}
    )
    # Hebei: +236,111 kWh x 0.7252 = +171.23 t; -1,000 GJ gas = -56.15 t -> +115.07 t
    assert change.delta_tco2e == pytest.approx(236_111.11 * 0.0007252 - 56.1545, rel=1e-6)
    assert change.direction == "increase"
    assert change.avoided_tco2e < 0
    assert change.delta_tco2e_by_carrier[Carrier.NATURAL_GAS] < 0


def test_electrification_on_a_hydro_grid_reduces_emissions() -> None:
    # Yunnan 2022: 0.1073 kg/kWh -> +25.33 t against -56.15 t of gas
    assert gas_to_electric_heat("Yunnan") == pytest.approx(236_111.11 * 0.0001073 - 56.1545, 1e-6)
    assert gas_to_electric_heat("Yunnan") < 0


def test_pure_saving_is_a_reduction_and_zero_change_is_none() -> None:
    profile = parse_profile(cn_factory())
    assert emission_change(profile, {Carrier.ELECTRICITY: -1000.0}).direction == "reduction"
    assert emission_change(profile, {}).direction == "no_change"


def test_comprehensive_energy_in_tce_by_hand() -> None:
    """GB/T 2589-2020: electricity at 0.1229 kgce/kWh, fuels by calorific value (29.3076 GJ/tce):
    1.0e7 kWh -> 1,229 tce; 29,307.6 GJ of gas -> 1,000 tce; 5,861.52 GJ of coal -> 200 tce."""
    profile = parse_profile(
        {
            "factory_id": "tce",
            "country": "CN",
            "region": "Jiangsu",
            "sector": "machinery",
            "reporting_year": 2023,
            "electricity_kwh": 1.0e7,
            "natural_gas_gj": 29_307.6,
            "coal_gj": 5_861.52,
        }
    )
    fp = compute_footprint(profile)
    assert fp.comprehensive_energy_tce == pytest.approx(2_429.0)
    # Equivalent value (等价值): electricity at the coal burnt to supply it, 305.5 gce/kWh
    # (2020 national average of thermal power supply): 1.0e7 kWh -> 3,055 tce; fuels as above.
    assert fp.comprehensive_energy_equivalent_tce == pytest.approx(3_055.0 + 1_000.0 + 200.0)


def test_prices_come_from_the_factory_first_then_bills_then_region_then_country() -> None:
    base = {"factory_id": "p", "country": "CN", "region": "Jiangsu", "sector": "machinery",
            "reporting_year": 2023, "electricity_kwh": 1e6, "natural_gas_gj": 1e4,
            "coal_gj": 1e4}  # fmt: skip
    plain, bills, own = (
        parse_profile({**base, **extra})
        for extra in (
            {},
            {"electricity_cost_per_year": 8e5, "fuel_cost_per_year": 1.6e6},
            {
                "electricity_cost_per_year": 8e5,
                "fuel_cost_per_year": 1.6e6,
                "electricity_price": "0.65 元",
                "fuel_prices": {"coal": 50.0},
            },
        )
    )
    prices = price_matrix(profile_table([plain, bills, own]), "CNY")
    carriers = list(Carrier)
    elec, gas, coal = (
        carriers.index(c) for c in (Carrier.ELECTRICITY, Carrier.NATURAL_GAS, Carrier.COAL)
    )
    expected = default_price("CN", "Jiangsu", Carrier.ELECTRICITY)
    assert prices[0, elec] == pytest.approx(
        expected.price * USD_PER[expected.currency] / USD_PER["CNY"]
    )
    assert prices[1, elec] == pytest.approx(0.8)  # 8e5 CNY / 1e6 kWh
    assert prices[1, gas] == pytest.approx(80.0)  # 1.6e6 CNY / 2e4 GJ, blended
    assert prices[2, elec] == pytest.approx(0.65)
    assert prices[2, coal] == pytest.approx(50.0)
    assert prices[2, gas] == pytest.approx(80.0)  # no own gas price: the bill's
    # In another currency the same prices convert at the table's rate.
    usd = price_matrix(profile_table([own]), "USD")
    assert usd[0, elec] == pytest.approx(0.65 * USD_PER["CNY"])
    # Every default names its year and source.
    for row in default_prices().values():
        assert row.source
        assert 2015 <= row.year <= 2026
