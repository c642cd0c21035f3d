"""Training targets derived from the outcomes table (no ground truth involved).

Savings are learned as the fraction of the addressable energy a measure saves: the energy (GJ) of
the carriers it reduces. A predicted fraction is turned back into savings per carrier by sharing
it out in proportion to the factory's use of those carriers; measures that shift energy to
another carrier (electrification, fuel switching) also learn the ratio of energy added to energy
saved. Measures without identity (coarse IAC groups) address all the factory's energy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.catalogue import Catalogue
from features.design import energy_gj_matrix
from features.sources.schema import SAVED_COLUMN
from features.units import GJ_PER_KWH, Carrier

#: Fractions are clipped to this range before taking logs.
MIN_FRACTION, MAX_FRACTION = 1e-5, 1.0


def carrier_masks(keys: np.ndarray, catalogue: Catalogue) -> tuple[np.ndarray, np.ndarray]:
    """(rows, carriers) masks of the carriers each row's measure reduces and increases."""
    arrays = catalogue.arrays
    rows = arrays.rows(keys)
    return arrays.reduced[rows], arrays.increased[rows]


def outcome_targets(
    factories: pd.DataFrame, outcomes: pd.DataFrame, catalogue: Catalogue
) -> pd.DataFrame:
    """One row per outcome with the model targets.

    Columns: ``factory_row`` (position in ``factories``), ``key`` (measure id or coarse group),
    ``log_fraction`` (NaN when no energy saved or unknown), ``log_increase_ratio`` (NaN unless
    the measure adds energy), ``log_cost`` (NaN when unknown or 0), ``log_cost_savings``,
    ``payback_years``, ``implemented`` (1/0/NaN), ``year``.
    """
    position = pd.Series(np.arange(len(factories)), index=factories["factory_id"].astype(str))
    rows = outcomes["factory_id"].astype(str).map(position)
    if rows.isna().any():
        missing = outcomes.loc[rows.isna(), "factory_id"].iloc[0]
        raise KeyError(f"outcome for unknown factory {missing!r}")
    factory_row = rows.to_numpy(dtype=int)
    keys = outcomes["measure_id"].where(outcomes["measure_id"].notna(), outcomes["measure_group"])
    keys_arr = keys.astype(str).to_numpy()
    use = energy_gj_matrix(factories)[factory_row]
    saved = np.column_stack(
        [
            pd.to_numeric(outcomes[SAVED_COLUMN[c]], errors="coerce").to_numpy(float)
            * (GJ_PER_KWH if c == Carrier.ELECTRICITY else 1.0)
            for c in Carrier
        ]
    )
    reduced, increased = carrier_masks(keys_arr, catalogue)
    with np.errstate(divide="ignore", invalid="ignore"):
        saved_gj = np.where(reduced, np.clip(saved, 0, None), 0).sum(axis=1)
        addressable = np.where(reduced, use, 0).sum(axis=1)
        fraction = saved_gj / addressable
        added = np.where(increased, np.clip(-saved, 0, None), 0).sum(axis=1)
        ratio = added / saved_gj
    known = ~np.isnan(saved).any(axis=1) & (addressable > 0) & (saved_gj > 0)
    log_fraction = np.where(known, np.log(np.clip(fraction, MIN_FRACTION, MAX_FRACTION)), np.nan)
    has_increase = known & increased.any(axis=1) & (added > 0)
    cost = pd.to_numeric(outcomes["implementation_cost"], errors="coerce").to_numpy(float)
    savings = pd.to_numeric(outcomes["cost_savings_per_year"], errors="coerce").to_numpy(float)
    implemented = outcomes["implemented"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        payback = np.where(savings > 0, cost / savings, np.nan)
        log_ratio = np.where(has_increase, np.log(ratio), np.nan)
        log_cost = np.where(cost > 0, np.log(cost), np.nan)
        log_savings = np.where(savings > 0, np.log(savings), np.nan)
    return pd.DataFrame(
        {
            "factory_row": factory_row,
            "key": keys_arr,
            "log_fraction": log_fraction,
            "log_increase_ratio": log_ratio,
            "log_cost": log_cost,
            "log_cost_savings": log_savings,
            "payback_years": payback,
            "implemented": implemented,
            "year": pd.to_numeric(outcomes["year"], errors="coerce").to_numpy(float),
        }
    )
