"""The measure block of the model input and the carrier masks, for catalogue measures and for
coarse groups (keys that are not measures, as in the IAC release)."""

from __future__ import annotations

import math

import numpy as np

from features.catalogue import Catalogue, Family
from features.design import DesignSpec, measure_block
from features.targets import carrier_masks
from features.units import Carrier

CARRIERS = list(Carrier)


def test_measure_block_for_a_measure_and_a_coarse_group() -> None:
    catalogue = Catalogue.default()
    measure = catalogue["variable_speed_drives"]
    spec = DesignSpec(measure_keys=("group:motors", "variable_speed_drives"))
    energy = np.zeros((2, len(CARRIERS)))
    energy[:, CARRIERS.index(Carrier.ELECTRICITY)] = 36.0  # 10 MWh
    energy[:, CARRIERS.index(Carrier.NATURAL_GAS)] = 100.0
    keys = np.array(["variable_speed_drives", "group:motors"])
    block = measure_block(spec, keys, catalogue, energy)

    known, coarse = block
    assert known[0] == 1  # code in the spec's vocabulary
    assert known[1] == list(Family).index(measure.family)
    assert known[2] == measure.lifetime_years
    reduced = known[3 : 3 + 2 * len(CARRIERS) : 2]
    increased = known[4 : 4 + 2 * len(CARRIERS) : 2]
    assert {c for c, f in zip(CARRIERS, reduced, strict=True) if f} == set(measure.carriers_reduced)
    assert not increased.any()
    addressable = sum(energy[0, CARRIERS.index(c)] for c in measure.carriers_reduced)
    assert math.isclose(known[-1], math.log1p(addressable))

    assert coarse[0] == 0
    assert np.isnan(coarse[1:]).all()  # only the key is known for a coarse group


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
