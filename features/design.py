"""Model inputs: one numeric row per (factory, candidate measure), plus the map from each model
column back to the profile field (and unit) it comes from, so explanations speak the profile's
language.

Categorical inputs (sector, region, measure) are integer codes over fixed vocabularies, so the
same code means the same category in training and serving without pandas categories.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.catalogue import Catalogue, Family
from features.regions import CHINA_PROVINCES, US_STATES
from features.sectors import Sector
from features.units import GJ_PER_KWH, PROFILE_FIELD, Carrier

#: US dollars per unit of currency (fixed 2023 averages: 7.08 CNY and 0.925 EUR per USD).
USD_PER: dict[str, float] = {"USD": 1.0, "CNY": 1 / 7.08, "EUR": 1 / 0.925}

REGIONS: tuple[str, ...] = (*CHINA_PROVINCES, *US_STATES)
SECTORS: tuple[str, ...] = tuple(s.value for s in Sector)
FAMILIES: tuple[str, ...] = tuple(f.value for f in Family)


@dataclass(frozen=True)
class Column:
    """One model input column."""

    name: str
    source: str  # profile field, or "measure" for measure attributes
    unit: str
    categorical: bool = False


def _factory_columns() -> list[Column]:
    cols = [
        Column("sector", "sector", "", True),
        Column("region", "region", "", True),
        Column("log_employees", "employees", "persons"),
        Column("log_floor_area_m2", "floor_area_m2", "m2"),
        Column("log_revenue_usd", "annual_revenue", "revenue_currency"),
        Column("operating_hours_per_year", "operating_hours_per_year", "h/yr"),
        Column("reporting_year", "reporting_year", "year"),
        Column("log_total_energy_gj", "electricity_kwh", "GJ/yr (all carriers)"),
        Column("electricity_share", "electricity_kwh", "share of energy"),
        Column("log_roof_m2_per_mwh", "roof_area_available_m2", "m2 per MWh"),
        Column("log_roof_area_m2", "roof_area_available_m2", "m2"),
        Column("electricity_price_usd_per_kwh", "electricity_cost_per_year", "USD/kWh"),
        Column("n_measures_in_place", "measures_in_place", "count"),
    ]
    for carrier in Carrier:
        field_name = PROFILE_FIELD[carrier]
        unit = "kWh/yr" if carrier == Carrier.ELECTRICITY else "GJ/yr"
        cols.append(Column(f"log_{field_name}", field_name, unit))
    return cols


def _measure_columns() -> list[Column]:
    cols = [
        Column("measure", "measure", "", True),
        Column("measure_family", "measure", "", True),
        Column("measure_lifetime_years", "measure", "years"),
    ]
    for carrier in Carrier:
        cols.append(Column(f"reduces_{carrier.value}", "measure", "flag"))
        cols.append(Column(f"increases_{carrier.value}", "measure", "flag"))
    cols.append(Column("uses_reduced_carriers_gj", "measure", "GJ/yr"))
    return cols


@dataclass
class DesignSpec:
    """The columns, vocabularies and measure keys a model was trained with.

    ``measure_keys`` are catalogue ids, or coarse groups for data without measure identity.
    """

    measure_keys: tuple[str, ...]
    columns: list[Column] = field(
        default_factory=lambda: [*_factory_columns(), *_measure_columns()]
    )

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def categorical_indices(self) -> list[int]:
        return [i for i, c in enumerate(self.columns) if c.categorical]


def _code(values: pd.Series, vocabulary: tuple[str, ...]) -> np.ndarray:
    index = {v: i for i, v in enumerate(vocabulary)}
    return np.array([index.get(str(v), -1) for v in values], dtype=float)


def _log1p(values: pd.Series) -> np.ndarray:
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    return np.log1p(np.where(x >= 0, x, np.nan))


def factory_matrix(factories: pd.DataFrame) -> np.ndarray:
    """Factory part of the model input, one row per factory (columns of the factory block)."""
    f = factories
    n = len(f)
    energy_gj = {
        c: pd.to_numeric(f[PROFILE_FIELD[c]], errors="coerce").fillna(0.0).to_numpy(dtype=float)
        * (GJ_PER_KWH if c == Carrier.ELECTRICITY else 1.0)
        for c in Carrier
    }
    total = sum(energy_gj.values(), np.zeros(n))
    currency = f["revenue_currency"].fillna("USD").map(USD_PER).fillna(1.0).to_numpy(dtype=float)
    revenue = pd.to_numeric(f["annual_revenue"], errors="coerce").to_numpy(dtype=float)
    electricity = energy_gj[Carrier.ELECTRICITY] / GJ_PER_KWH
    elec_cost = pd.to_numeric(f["electricity_cost_per_year"], errors="coerce").to_numpy(float)
    roof = pd.to_numeric(f["roof_area_available_m2"], errors="coerce").fillna(0).to_numpy(float)
    in_place = f["measures_in_place"].fillna("").astype(str)
    with np.errstate(divide="ignore", invalid="ignore"):
        columns = [
            _code(f["sector"], SECTORS),
            _code(f["region"], REGIONS),
            _log1p(f["employees"]),
            _log1p(f["floor_area_m2"]),
            np.log1p(np.where(revenue > 0, revenue * currency, np.nan)),
            pd.to_numeric(f["operating_hours_per_year"], errors="coerce").to_numpy(float),
            pd.to_numeric(f["reporting_year"], errors="coerce").to_numpy(float),
            np.log1p(total),
            np.where(total > 0, energy_gj[Carrier.ELECTRICITY] / total, np.nan),
            np.log1p(np.where(electricity > 0, roof / (electricity / 1000), np.nan)),
            np.log1p(roof),
            np.where(electricity > 0, elec_cost * currency / electricity, np.nan),
            np.array([len([m for m in s.split(";") if m]) for s in in_place], dtype=float),
        ]
        for carrier in Carrier:
            columns.append(_log1p(f[PROFILE_FIELD[carrier]]))
    return np.column_stack(columns)


def measure_block(
    spec: DesignSpec, keys: np.ndarray, catalogue: Catalogue, energy_gj: np.ndarray
) -> np.ndarray:
    """Measure part of the input for rows with measure ``keys``.

    ``energy_gj`` is (rows, carriers) of the factory's energy use in GJ, used for the measure's
    addressable energy (the use of the carriers it reduces).
    """
    n_columns = 3 + 2 * len(Carrier) + 1
    out = np.full((len(keys), n_columns), np.nan)
    out[:, 0] = _code(pd.Series(keys), spec.measure_keys)
    carriers = list(Carrier)
    for key in np.unique(keys):
        rows = keys == key
        measure = catalogue.measures.get(str(key))
        if measure is None:
            continue  # coarse group: only the key is known
        out[rows, 1] = FAMILIES.index(measure.family.value)
        out[rows, 2] = measure.lifetime_years
        reduced = np.array([c in measure.carriers_reduced for c in carriers], dtype=float)
        increased = np.array([c in measure.carriers_increased for c in carriers], dtype=float)
        out[np.ix_(rows, range(3, 3 + 2 * len(carriers), 2))] = reduced
        out[np.ix_(rows, range(4, 4 + 2 * len(carriers), 2))] = increased
        out[rows, -1] = np.log1p(energy_gj[rows] @ reduced)
    return out


def energy_gj_matrix(factories: pd.DataFrame) -> np.ndarray:
    """(factories, carriers) energy use in GJ (electricity converted from kWh)."""
    return np.column_stack(
        [
            pd.to_numeric(factories[PROFILE_FIELD[c]], errors="coerce").fillna(0.0).to_numpy(float)
            * (GJ_PER_KWH if c == Carrier.ELECTRICITY else 1.0)
            for c in Carrier
        ]
    )


def design_matrix(
    spec: DesignSpec,
    factories: pd.DataFrame,
    factory_index: np.ndarray,
    keys: np.ndarray,
    catalogue: Catalogue,
) -> np.ndarray:
    """Rows (factory ``factory_index[i]``, measure ``keys[i]``) of the full model input."""
    fx = factory_matrix(factories)
    energy = energy_gj_matrix(factories)
    return np.hstack(
        [fx[factory_index], measure_block(spec, keys, catalogue, energy[factory_index])]
    )
