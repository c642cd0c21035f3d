"""Training targets derived from the outcomes table (no ground truth involved).

Savings are learned as the fraction of the energy a measure acts on (its end uses, on the
carriers it reduces; :mod:`features.catalogue.candidates`) that it saves. Everything else an
outcome reports is kept: less energy on a reduced carrier, or any change on another carrier, is
the measure's side effect, learned as a signed fraction of the same energy, so a measure can come
out raising energy use or emissions. Nothing is dropped because its sign is unexpected.

Conversion measures (CHP, heat pumps, fuel switching, ...) add energy on another carrier by
physics (:mod:`features.enduses.physics`). For CHP the fuel it burns may be the fuel it displaces
(a gas boiler replaced by a gas engine), so its fraction is recovered from the electricity it
generated instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.catalogue.candidates import FactoryEnergy, pairs
from features.catalogue.measures import Catalogue
from features.enduses.physics import (
    BOILER_EFFICIENCY,
    CHP_ELECTRICAL_EFFICIENCY,
    CHP_THERMAL_EFFICIENCY,
)
from features.outcomes import SAVED_COLUMN
from features.units import GJ_PER_CANONICAL, Carrier

#: Fractions are clipped to this range before taking logs; an outcome that saved nothing on
#: the carriers a measure reduces is kept at the lower end.
MIN_FRACTION, MAX_FRACTION = 1e-5, 1.0
#: Side effects are clipped to this many times the energy the measure acts on.
MAX_SIDE = 5.0
from features.carriers import CARRIERS  # noqa: E402  (the one carrier order)

_TO_GJ = GJ_PER_CANONICAL


def carrier_masks(keys: np.ndarray, catalogue: Catalogue) -> tuple[np.ndarray, np.ndarray]:
    """(rows, carriers) masks of the carriers each row's measure reduces and increases."""
    arrays = catalogue.arrays
    rows = arrays.rows(keys)
    return arrays.reduced[rows], arrays.increased[rows]


def saved_gj(outcomes: pd.DataFrame) -> np.ndarray:
    """(outcomes, carriers) energy saved in GJ as reported (negative = more used, NaN unknown)."""
    saved: np.ndarray = np.column_stack(
        [
            pd.to_numeric(outcomes[SAVED_COLUMN[c]], errors="coerce").to_numpy(float)
            for c in CARRIERS
        ]
    )
    result: np.ndarray = saved * _TO_GJ
    return result


def outcome_targets(
    factories: pd.DataFrame,
    outcomes: pd.DataFrame,
    catalogue: Catalogue,
    energy: FactoryEnergy | None = None,
) -> pd.DataFrame:
    """One row per outcome with the model targets.

    Columns: ``factory_row`` (position in ``factories``), ``key`` (measure id or coarse group),
    ``targeted_gj`` (energy the measure acts on), ``log_fraction`` (NaN when the streams are
    unknown or the factory has nothing the measure acts on), ``side_fraction`` (signed; NaN
    likewise), ``log_cost`` (NaN when unknown or 0), ``log_cost_savings``, ``payback_years``,
    ``implemented`` (1/0/NaN), ``year``.
    """
    energy = energy or FactoryEnergy.of(factories)
    position = pd.Series(np.arange(len(factories)), index=factories["factory_id"].astype(str))
    rows = outcomes["factory_id"].astype(str).map(position)
    if rows.isna().any():
        missing = outcomes.loc[rows.isna(), "factory_id"].iloc[0]
        raise KeyError(f"outcome for unknown factory {missing!r}")
    factory_row = rows.to_numpy(dtype=int)
    keys = outcomes["measure_id"].where(outcomes["measure_id"].notna(), outcomes["measure_group"])
    keys_arr = keys.astype(str).to_numpy()
    found = pairs(energy, factory_row, keys_arr, catalogue)
    saved = saved_gj(outcomes)
    reduced, _ = carrier_masks(keys_arr, catalogue)
    addressable = found.targeted_gj.sum(axis=1)
    on_target = np.where(reduced, np.clip(saved, 0, None), 0.0).sum(axis=1)
    chp = np.array([c == "chp" for c in found.conversions], dtype=bool)
    if chp.any():
        on_target[chp] = _chp_displaced(saved[chp], found.targeted_gj[chp])
    net = saved.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = on_target / addressable
        side = (net - on_target) / addressable
    known = ~np.isnan(saved).any(axis=1) & (addressable > 0)
    log_fraction = np.where(
        known, np.log(np.clip(np.nan_to_num(fraction), MIN_FRACTION, MAX_FRACTION)), np.nan
    )
    side_fraction = np.where(known, np.clip(np.nan_to_num(side), -MAX_SIDE, MAX_SIDE), np.nan)
    cost = pd.to_numeric(outcomes["implementation_cost"], errors="coerce").to_numpy(float)
    savings = pd.to_numeric(outcomes["cost_savings_per_year"], errors="coerce").to_numpy(float)
    implemented = outcomes["implemented"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        payback = np.where(savings > 0, cost / savings, np.nan)
        log_cost = np.where(cost > 0, np.log(cost), np.nan)
        log_savings = np.where(savings > 0, np.log(savings), np.nan)
    return pd.DataFrame(
        {
            "factory_row": factory_row,
            "key": keys_arr,
            "targeted_gj": addressable,
            "log_fraction": log_fraction,
            "side_fraction": side_fraction,
            "log_cost": log_cost,
            "log_cost_savings": log_savings,
            "payback_years": payback,
            "implemented": implemented,
            "year": pd.to_numeric(outcomes["year"], errors="coerce").to_numpy(float),
        }
    )


def _chp_displaced(saved: np.ndarray, targeted: np.ndarray) -> np.ndarray:
    """Boiler energy a CHP unit displaced, from the grid electricity it saved: electricity /
    electrical efficiency x thermal efficiency / boiler efficiency of the targeted fuel mix."""
    elec = np.clip(saved[:, CARRIERS.index(Carrier.ELECTRICITY)], 0, None)
    eff = np.array([BOILER_EFFICIENCY[c] for c in CARRIERS])
    total = targeted.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        boiler = np.where(
            total > 0, (targeted * eff).sum(axis=1) / total, BOILER_EFFICIENCY[Carrier.NATURAL_GAS]
        )
    heat = elec / CHP_ELECTRICAL_EFFICIENCY * CHP_THERMAL_EFFICIENCY
    result: np.ndarray = heat / boiler
    return result
