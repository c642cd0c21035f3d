from __future__ import annotations

import pytest

from features.errors import UnitError
from features.units import GJ_PER_MMBTU, Carrier, allowed_units, to_canonical


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
