"""The request table (features.table.profile_table) against the training frame
(features.profile.profiles_to_frame): the same values, production lines typed in the one and
JSON text in the other, read alike by table_lines."""

from __future__ import annotations

import math
from typing import Any

import pytest
from pydantic import ValidationError

from features.process_routes.definitions import ProductionLine
from features.profile import PROFILE_COLUMNS, parse_profile, profiles_to_frame
from features.table import profile_table, table_lines, texts
from features.units import Carrier
from tests.reference.factories import ALL
from tests.reference.heavy import HEBEI_BF_BOF, UNDECLARED_BF_BOF


def _plain(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "factory_id": "plain",
        "country": "CN",
        "region": "江苏省",
        "sector": "machinery",
        "reporting_year": 2023,
        "electricity_kwh": 1_000_000.0,
        "energy_use": [{"carrier": "natural_gas", "value": 1_000_000, "unit": "Nm3"}],
        "fuel_prices": {"natural_gas": 95.0},
        "end_uses": [{"carrier": "electricity", "end_use": "machine_drive", "share": 0.4}],
    }
    data.update(overrides)
    return data


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b or (a is None and isinstance(b, float) and math.isnan(b))


def test_request_table_holds_the_frames_values_with_route_lines_typed() -> None:
    profiles = [parse_profile(p) for p in (_plain(), HEBEI_BF_BOF, UNDECLARED_BF_BOF)]
    table, frame = profile_table(profiles), profiles_to_frame(profiles)
    assert list(table) == list(PROFILE_COLUMNS)
    for name in PROFILE_COLUMNS:
        if name == "production":
            continue
        for i, value in enumerate(table[name]):
            assert _same(value, frame[name].iloc[i]), (name, i, value, frame[name].iloc[i])
    # Units converted once, on validation: the table's gas is the canonical profile's.
    assert table["natural_gas_gj"][0] == profiles[0].canonical().natural_gas_gj
    assert table["grid"][0] == "East China grid"
    assert all(isinstance(c, tuple) for c in table["production"])
    cells = [c for c in table["production"] if isinstance(c, tuple)]
    assert all(isinstance(line, ProductionLine) for c in cells for line in c)
    assert cells[0] == ()  # machinery: no route
    assert [line.route for line in cells[2]] == ["bf_bof"]  # inferred, options filled
    assert table_lines(table) == table_lines(frame)
    assert texts(frame, "production")[0] == ""


def test_table_lines_read_text_cells_and_missing_columns() -> None:
    frame = profiles_to_frame([parse_profile(HEBEI_BF_BOF)])
    lines = table_lines(frame)
    assert [(line.product, line.route, line.output_t) for line in lines[0]] == [
        ("crude_steel", "bf_bof", 5.0e6)
    ]
    assert table_lines({"sector": ["steel", "cement"]}) == [(), ()]


def test_a_profile_copied_with_updates_derives_its_values_again() -> None:
    """What a profile derives on validation follows a copy's updated fields: a split removed is
    gone from the shares, energy typed in another field counts, a bad update is refused."""
    declared = next(parse_profile(v) for v in ALL.values() if v.get("end_uses"))
    assert declared.end_use_shares()
    assert declared.model_copy(update={"end_uses": []}).end_use_shares() == {}
    more = declared.model_copy(update={"electricity_kwh": 2 * declared.electricity_kwh})
    assert more.energy(Carrier.ELECTRICITY) == 2 * declared.energy(Carrier.ELECTRICITY)
    assert declared.model_copy().energy(Carrier.ELECTRICITY) == declared.electricity_kwh
    with pytest.raises(ValidationError, match="electricity_kwh"):
        declared.model_copy(update={"electricity_kwh": -1.0})
