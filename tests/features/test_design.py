"""The measure block of the model input and the carrier masks, for catalogue measures and for
coarse groups (keys that are not measures, as in the IAC release)."""

from __future__ import annotations

import math

import numpy as np

from features.catalogue.candidates import FactoryEnergy, pairs
from features.catalogue.measures import Catalogue, Family
from features.design import DesignSpec, measure_block
from features.targets import carrier_masks
from features.units import PROFILE_FIELD, Carrier

CARRIERS = list(Carrier)


def test_measure_block_for_a_measure_and_a_coarse_group() -> None:
    catalogue = Catalogue.default()
    measure = catalogue["variable_speed_drives"]
    spec = DesignSpec(measure_keys=("group:motors", "variable_speed_drives"))
    factories: dict[str, list[object]] = {
        **{PROFILE_FIELD[c]: [0.0, 0.0] for c in CARRIERS},
        "sector": ["machinery", "machinery"],
        "electricity_kwh": [10_000.0, 10_000.0],  # 36 GJ
        "natural_gas_gj": [100.0, 100.0],
        "end_use_shares": ["electricity:machine_drive=0.5", "electricity:machine_drive=0.5"],
    }
    energy = FactoryEnergy.of(factories)
    keys = np.array(["variable_speed_drives", "group:motors"], dtype=object)
    found = pairs(energy, np.array([0, 1]), keys, catalogue)
    block = measure_block(spec, found, catalogue, energy.energy_gj.sum(axis=1))

    known, coarse = block
    assert known[0] == 1  # code in the spec's vocabulary
    assert known[1] == list(Family).index(measure.family)
    assert known[2] == measure.lifetime_years
    assert known[3] == 1  # a catalogue measure
    reduced = known[4 : 4 + 2 * len(CARRIERS) : 2]
    increased = known[5 : 5 + 2 * len(CARRIERS) : 2]
    assert {c for c, f in zip(CARRIERS, reduced, strict=True) if f} == set(measure.carriers_reduced)
    assert not increased.any()
    # Drives act on the machine-drive half of the electricity only, not on the gas.
    assert math.isclose(known[-3], math.log1p(18.0))
    assert math.isclose(known[-2], 18.0 / 136.0)

    assert coarse[0] == 0
    assert coarse[3] == 0  # a coarse class, not a catalogue measure
    # Only the key, its kind and the energy are known for a group.
    assert np.isnan(coarse[1:3]).all()
    assert np.isnan(coarse[4:-3]).all()
    assert math.isclose(coarse[-3], math.log1p(136.0))  # a coarse group acts on everything


def test_carrier_masks_for_measures_and_coarse_groups() -> None:
    catalogue = Catalogue.default()
    keys = np.array(["heat_pumps", "not-a-measure"])
    reduced, increased = carrier_masks(keys, catalogue)
    pump = catalogue["heat_pumps"]
    assert {c for c, f in zip(CARRIERS, reduced[0], strict=True) if f} == set(pump.carriers_reduced)
    assert {c for c, f in zip(CARRIERS, increased[0], strict=True) if f} == set(
        pump.carriers_increased
    )
    assert pump.carriers_increased  # electrification: the case the mask exists for
    assert reduced[1].all()  # a coarse group addresses all the factory's energy
    assert not increased[1].any()
