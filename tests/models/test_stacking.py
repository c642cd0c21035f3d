"""The compiled stacking recurrence against its plain-Python run, and its warm-up against a
real request's types."""

from __future__ import annotations

import numpy as np
import pytest

from features.accounting.factors import FactorTable
from features.accounting.footprint import compute_footprint
from features.catalogue.measures import Catalogue
from features.profile import FactoryProfile, parse_profile, profiles_from_frame
from features.sources.schema import Dataset
from features.table import profile_table
from models.bundle import RecommendationBundle
from models.stacking import (
    StackFactories,
    StackRows,
    _kernel_arguments,
    _stack_kernel,
    compile_kernels,
    stack_sequences,
)
from tests.reference.factories import ALL
from tests.reference.heavy import HEAVY


@pytest.fixture(scope="module")
def stacked_inputs(
    tiny_bundle: RecommendationBundle, tiny_data: Dataset
) -> tuple[list[np.ndarray], StackRows, StackFactories]:
    """Every candidate row of reference, heavy-industry and generated factories, each
    factory's rows in order of tCO2e (pools, plant-wide efficiency and process rows among
    them)."""
    generated, _ = profiles_from_frame(tiny_data.factories.head(20))
    profiles: list[FactoryProfile] = [parse_profile(p) for p in (*ALL.values(), *HEAVY.values())]
    profiles += generated
    table, catalogue = FactorTable.default(), Catalogue.default()
    candidates = tiny_bundle.candidates(profile_table(profiles), profiles, table, catalogue)
    s = tiny_bundle.score_pairs(candidates)
    found = candidates.found
    sequences = []
    for i in range(len(profiles)):
        rows = np.flatnonzero(found.factory_index == i)
        sequences.append(rows[np.argsort(-s.tco2e[rows], kind="stable")])
    scope1 = np.array([compute_footprint(p, table).scope1_tco2e for p in profiles])
    cells = candidates.energy.energy_gj[:, :, None] * candidates.energy.shares
    factories = StackFactories.of(profiles, cells, candidates.kg, scope1)
    return sequences, StackRows(found.keys, s.saved, s.fraction, s.process_tco2e), factories


def test_compiled_kernel_matches_its_plain_python_run(
    stacked_inputs: tuple[list[np.ndarray], StackRows, StackFactories],
) -> None:
    sequences, rows, factories = stacked_inputs
    args = _kernel_arguments(sequences, rows, factories, Catalogue.default().arrays)
    lengths, process, pool, plant_wide = args[0], args[7], args[11], args[14]
    steps = np.arange(pool.shape[1])[None, :] < lengths[:, None]
    assert (pool[steps] >= 0).any(), "no row in a pool: the pool branch would go untested"
    assert plant_wide[steps].any(), "no plant-wide efficiency row"
    assert process[steps].any(), "no process-side row"
    compiled = _stack_kernel(*args)
    plain = _stack_kernel.py_func(*args)
    for got, want in zip(compiled, plain, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)
    saved, tco2e = compiled[0], compiled[1]
    assert saved.any()
    assert tco2e.any()


def test_warm_up_compiles_what_a_request_calls(
    stacked_inputs: tuple[list[np.ndarray], StackRows, StackFactories],
) -> None:
    """The warm-up goes through the same argument builder as a request, so a request finds
    its specialisation compiled and adds none."""
    compile_kernels()
    warmed = set(_stack_kernel.signatures)
    sequences, rows, factories = stacked_inputs
    stack_sequences(sequences, rows, factories, Catalogue.default().arrays)
    assert set(_stack_kernel.signatures) == warmed
