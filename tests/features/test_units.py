from __future__ import annotations

import pytest

from features.errors import UnitError
from features.profile import parse_profile
from features.units import (
    GJ_PER_MMBTU,
    Carrier,
    allowed_units,
    from_canonical,
    to_canonical,
)


@pytest.mark.parametrize(
    ("carrier", "value", "unit", "expected"),
    [
        (Carrier.ELECTRICITY, 1.0, "MWh", 1_000.0),
        (Carrier.ELECTRICITY, 1.0, "GWh", 1_000_000.0),
        (Carrier.ELECTRICITY, 3.6, "MJ", 1.0),
        (Carrier.ELECTRICITY, 1.0, "MMBtu", 293.071),  # 1.055056 GJ / 0.0036 GJ/kWh
        (Carrier.NATURAL_GAS, 10_000.0, "Nm3", 389.31),  # 389.31 GJ per 10^4 Nm3
        (Carrier.NATURAL_GAS, 1.0, "MMBtu", 1.055056 * 0.90),  # HHV -> LHV
        (Carrier.NATURAL_GAS, 10.0, "therm", 1.055056 * 0.90),
        (Carrier.COAL, 1.0, "tce", 29.3076),
        (Carrier.COAL, 1.0, "t", 20.908),
        (Carrier.COAL, 1000.0, "kg", 20.908),
        (Carrier.DIESEL, 1.0, "t", 42.652),
        (Carrier.DIESEL, 1000.0, "L", 42.652 * 0.84),
        (Carrier.FUEL_OIL, 1.0, "t", 41.816),
        (Carrier.LPG, 1.0, "t", 50.179),
        (Carrier.LPG, 1.0, "MMBtu", 1.055056 * 0.92),
        (Carrier.NATURAL_GAS, 1.0, "TJ", 1_000.0),
        (Carrier.PURCHASED_HEAT, 1.0, "MMBtu", 1.055056),  # delivered heat: no basis change
        (Carrier.PURCHASED_HEAT, 1.0, "MWh", 3.6),
    ],
)
def test_conversions_to_canonical_units(
    carrier: Carrier, value: float, unit: str, expected: float
) -> None:
    assert to_canonical(carrier, value, unit) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    ("carrier", "unit"),
    [
        (Carrier.ELECTRICITY, "Nm3"),
        (Carrier.ELECTRICITY, "t"),
        (Carrier.COAL, "Nm3"),
        (Carrier.NATURAL_GAS, "t"),
        (Carrier.PURCHASED_HEAT, "tce"),
        (Carrier.DIESEL, "furlong"),
    ],
)
def test_impossible_units_name_the_field_and_allowed_units(carrier: Carrier, unit: str) -> None:
    with pytest.raises(UnitError) as info:
        to_canonical(carrier, 1.0, unit, field="energy_use[0].unit")
    message = str(info.value)
    assert message.startswith("energy_use[0].unit")
    assert repr(unit) in message
    for allowed in allowed_units(carrier):
        assert allowed in message


def test_mmbtu_constant_is_the_international_table_btu() -> None:
    # 1 Btu (IT) = 1055.05585 J
    assert GJ_PER_MMBTU == pytest.approx(1055.05585e6 / 1e9, rel=1e-6)


def test_wan_units_as_chinese_statistics_count() -> None:
    """万 = 10^4: 万kWh, 万Nm3, 万t and 万tce are accepted wherever the base unit is."""
    assert to_canonical(Carrier.ELECTRICITY, 2.5, "万kWh") == pytest.approx(25_000)
    assert to_canonical(Carrier.NATURAL_GAS, 1.0, "万Nm3") == pytest.approx(389.31)
    assert to_canonical(Carrier.COAL, 3.0, "万t") == pytest.approx(30_000 * 20.908)
    assert to_canonical(Carrier.COAL, 1.0, "万tce") == pytest.approx(293_076)
    assert "万kWh" in allowed_units(Carrier.ELECTRICITY)
    with pytest.raises(UnitError) as err:
        to_canonical(Carrier.ELECTRICITY, 1.0, "万Nm3")
    assert err.value.value == "万Nm3"


def test_a_profile_in_wan_units() -> None:
    profile = parse_profile(
        {
            "factory_id": "zj",
            "country": "CN",
            "region": "浙江",
            "sector": "textiles",
            "reporting_year": 2023,
            "energy_use": [
                {"carrier": "electricity", "value": 1200, "unit": "万kWh"},
                {"carrier": "natural_gas", "value": 150, "unit": "万Nm3"},
            ],
        }
    )
    assert profile.energy(Carrier.ELECTRICITY) == pytest.approx(1.2e7)
    assert profile.energy(Carrier.NATURAL_GAS) == pytest.approx(150 * 389.31)


@pytest.mark.parametrize(
    ("carrier", "typed", "unit"),
    [
        (Carrier.NATURAL_GAS, "therms", "therm"),
        (Carrier.NATURAL_GAS, "Therms", "therm"),
        (Carrier.NATURAL_GAS, "MMBTU", "MMBtu"),
        (Carrier.ELECTRICITY, "KWH", "kWh"),
        (Carrier.ELECTRICITY, "mwh", "MWh"),
    ],
)
def test_units_as_bills_spell_them(carrier: Carrier, typed: str, unit: str) -> None:
    # US bills write KWH, MMBTU and therms: read as the unit they name, at its factor.
    assert to_canonical(carrier, 120.0, typed) == to_canonical(carrier, 120.0, unit)


def test_a_case_that_names_two_units_is_refused() -> None:
    # "t" is a tonne and "T" names nothing else: read as tonnes; but a word that matches no
    # allowed unit in any case is still refused, naming the allowed units.
    assert to_canonical(Carrier.COAL, 2.0, "T") == to_canonical(Carrier.COAL, 2.0, "t")
    with pytest.raises(UnitError) as err:
        to_canonical(Carrier.NATURAL_GAS, 1.0, "thermz")
    assert "therm" in str(err.value)


@pytest.mark.parametrize("carrier", list(Carrier))
def test_from_canonical_undoes_to_canonical_in_every_allowed_unit(carrier: Carrier) -> None:
    for unit in allowed_units(carrier):
        canonical = to_canonical(carrier, 123.4, unit)
        assert from_canonical(carrier, canonical, unit) == pytest.approx(123.4, rel=1e-12), unit
    with pytest.raises(UnitError, match="unit"):
        from_canonical(carrier, 1.0, "furlongs")
