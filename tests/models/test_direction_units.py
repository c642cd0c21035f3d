"""The sentence saying what a measure changes speaks the plant's units: a US plant's MWh and
MMBtu (the units of its bills), a Chinese plant's 万kWh and 万Nm3 where it typed them, and the
canonical kWh and GJ where the plant gave no unit."""

from __future__ import annotations

import re

import pytest

from features.profile import parse_profile
from features.units import GJ_PER_MMBTU, Carrier, to_canonical
from models.bundle import RecommendationBundle
from models.schemas import RecommendOptions
from tests.reference.factories import OHIO_FOOD_PLANT, SICHUAN_MACHINERY_PLANT

OPTIONS = RecommendOptions(top_k=20, explain="none")


def _reasons(bundle: RecommendationBundle, raw: dict, lang: str = "en") -> list[str]:
    (answer,) = bundle.recommend([parse_profile(raw)], OPTIONS.model_copy(update={"lang": lang}))
    rows = answer.recommendations + answer.emission_increases
    assert rows
    return [r.direction_reason for r in rows]


def test_a_us_plant_reads_mwh_and_mmbtu(tiny_bundle: RecommendationBundle) -> None:
    reasons = _reasons(tiny_bundle, OHIO_FOOD_PLANT)
    said = " ".join(reasons)
    assert re.search(r"electricity [\d,.]+ MWh/yr", said), said
    assert re.search(r"natural gas [\d,.]+ MMBtu/yr", said), said
    assert " GJ/yr" not in said
    assert " kWh/yr" not in said


def test_the_amounts_are_the_same_energy_in_the_plant_s_unit(
    tiny_bundle: RecommendationBundle,
) -> None:
    (answer,) = tiny_bundle.recommend([parse_profile(OHIO_FOOD_PLANT)], OPTIONS)
    gas = [r for r in answer.recommendations if r.energy_saved.get(Carrier.NATURAL_GAS, 0) > 0]
    assert gas
    r = gas[0]
    shown = re.search(r"natural gas ([\d,.]+) MMBtu/yr", r.direction_reason)
    assert shown is not None
    mmbtu = float(shown.group(1).replace(",", ""))
    # HHV MMBtu of the LHV GJ saved (features/units.py), to the three figures shown.
    expected = r.energy_saved[Carrier.NATURAL_GAS] / to_canonical(Carrier.NATURAL_GAS, 1.0, "MMBtu")
    assert mmbtu == pytest.approx(expected, rel=5e-3)
    assert expected != pytest.approx(r.energy_saved[Carrier.NATURAL_GAS] / GJ_PER_MMBTU, rel=1e-3)


def test_units_typed_in_wan_stay_in_wan_and_untyped_ones_canonical(
    tiny_bundle: RecommendationBundle,
) -> None:
    typed = {
        **{k: v for k, v in SICHUAN_MACHINERY_PLANT.items() if k != "electricity_kwh"},
        "energy_use": [{"carrier": "electricity", "value": 3000, "unit": "万千瓦时"}],
    }
    for lang in ("en", "zh"):
        said = " ".join(_reasons(tiny_bundle, typed, lang))
        assert "万kWh" in said, said
        assert re.search(r"\d kWh", said) is None, said
    plain = " ".join(_reasons(tiny_bundle, SICHUAN_MACHINERY_PLANT))
    assert " kWh/yr" in plain
    assert "万kWh" not in plain
