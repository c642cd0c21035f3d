from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.profile import profiles_from_frame
from features.sources.schema import SAVED_COLUMN, Dataset
from features.sources.synthetic import SyntheticConfig, generate, true_top_measures
from features.units import Carrier


@pytest.fixture(scope="module")
def data() -> Dataset:
    return generate(SyntheticConfig(n_factories=3000, seed=7))


def test_same_seed_same_tables_other_seed_other_tables(data: Dataset) -> None:
    again = generate(SyntheticConfig(n_factories=3000, seed=7))
    assert again.report.fingerprint == data.report.fingerprint
    pd.testing.assert_frame_equal(again.outcomes, data.outcomes)
    other = generate(SyntheticConfig(n_factories=3000, seed=8))
    assert other.report.fingerprint != data.report.fingerprint


def test_factories_are_valid_profiles_across_sectors_and_grids(data: Dataset) -> None:
    profiles, rejected = profiles_from_frame(data.factories)
    assert rejected == []
    assert len(profiles) == 3000
    assert data.factories["sector"].nunique() == 13
    assert data.factories["grid"].nunique() == 7


def test_calibration_to_iac_statistics(data: Dataset) -> None:
    per_factory = data.outcomes.groupby("factory_id").size()
    assert per_factory.mean() == pytest.approx(7.5, abs=0.5)  # IAC mean 7.5
    known = data.outcomes["implemented"].dropna().astype(bool)
    assert known.mean() == pytest.approx(0.484, abs=0.03)  # IAC I/(I+N) 48.4%
    statuses = set(data.outcomes["implementation_status"])
    assert {"implemented", "not_implemented", "unknown"} <= statuses
    employees = data.factories["employees"]
    assert np.log(employees).median() == pytest.approx(4.78, abs=0.1)  # IAC median 122


def test_every_outcome_has_ground_truth_and_is_marked_recommended(data: Dataset) -> None:
    truth = data.truth.assign(
        factory_id=data.truth["factory_id"].astype(str),
        measure_id=data.truth["measure_id"].astype(str),
    )
    merged = data.outcomes.merge(truth, on=["factory_id", "measure_id"], how="left")
    assert merged["recommended"].all()
    assert truth["recommended"].sum() == len(data.outcomes)
    # Observed savings are the true ones with estimation noise: same sign, median ratio ~1.
    col = SAVED_COLUMN[Carrier.ELECTRICITY]
    both = merged[(merged[col] != 0) & (merged[f"true_{col}"] != 0)]
    ratio = both[col] / both[f"true_{col}"]
    assert (ratio > 0).all()
    assert ratio.median() == pytest.approx(1.0, abs=0.05)


def test_true_effects_depend_on_the_factory(data: Dataset) -> None:
    t = data.truth.merge(data.factories, on="factory_id")
    pv = t[t["measure_id"] == "rooftop_pv"]
    col = f"true_{SAVED_COLUMN[Carrier.ELECTRICITY]}"
    big_roof = pv["roof_area_available_m2"] > pv["roof_area_available_m2"].median()
    assert pv.loc[big_roof, col].median() > 2 * pv.loc[~big_roof, col].median()
    vsd = t[t["measure_id"] == "variable_speed_drives"]
    long_hours = vsd["operating_hours_per_year"] > 6000
    share = vsd[col] / vsd["electricity_kwh"]
    assert share[long_hours].median() > share[~long_hours].median()
    # Electrification: less fuel, more electricity; on dirty grids it can raise emissions.
    elec = t[t["measure_id"] == "process_electrification"]
    assert (elec[col] < 0).all()
    assert (elec["true_tco2e_saved"] < 0).any()
    assert (elec["true_tco2e_saved"] > 0).any()


def test_adoption_falls_with_upfront_cost(data: Dataset) -> None:
    t = data.truth[data.truth["measure_id"] == "variable_speed_drives"]
    cheap = t["true_implementation_cost"] < t["true_implementation_cost"].quantile(0.25)
    dear = t["true_implementation_cost"] > t["true_implementation_cost"].quantile(0.75)
    assert (
        t.loc[cheap, "true_adoption_probability"].mean()
        > t.loc[dear, "true_adoption_probability"].mean()
    )


def test_true_top_measures(data: Dataset) -> None:
    top = true_top_measures(data.truth, 5)
    assert top.groupby("factory_id", observed=True).size().max() == 5
    assert top["measure_id"].nunique() > 15
