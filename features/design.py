"""Model inputs: one numeric row per (factory, candidate measure), plus the map from each model
column back to the profile field (and unit) it comes from, so explanations speak the profile's
language.

Categorical inputs (sector, region, measure) are integer codes over fixed vocabularies, so the
same code means the same category in training and serving without pandas categories.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from features.carriers import CARRIERS, ELECTRICITY
from features.catalogue.candidates import FactoryEnergy, Pairs, pairs
from features.catalogue.measures import Catalogue, Family
from features.enduses.taxonomy import EndUse
from features.i18n import field_words
from features.regions import CHINA_PROVINCES, US_STATES
from features.sectors import Sector
from features.table import Table, floats, floats0, texts
from features.units import GJ_PER_KWH, PROFILE_FIELD, USD_PER, Carrier

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
        Column("log_total_energy_gj", "total_energy", "GJ/yr (all carriers)"),
        Column("electricity_share", "electricity_kwh", "share of energy"),
        Column("log_roof_m2_per_mwh", "roof_area_available_m2", "m2 per MWh"),
        Column("log_roof_area_m2", "roof_area_available_m2", "m2"),
        Column("electricity_price_usd_per_kwh", "electricity_cost_per_year", "USD/kWh"),
        Column("n_measures_in_place", "measures_in_place", "count"),
    ]
    for use in _SHARE_FEATURES:
        cols.append(Column(f"electricity_share_{use.value}", "end_uses", "share of electricity"))
    for carrier in CARRIERS:
        field_name = PROFILE_FIELD[carrier]
        unit = "kWh/yr" if carrier == Carrier.ELECTRICITY else "GJ/yr"
        cols.append(Column(f"log_{field_name}", field_name, unit))
    return cols


def _measure_columns() -> list[Column]:
    cols = [
        Column("measure", "measure", "", True),
        Column("measure_family", "measure", "", True),
        Column("measure_lifetime_years", "measure", "years"),
        Column("catalogue_measure", "measure", "flag (0: a coarse class of real audits)"),
    ]
    for carrier in CARRIERS:
        cols.append(Column(f"reduces_{carrier.value}", "measure", "flag"))
        cols.append(Column(f"increases_{carrier.value}", "measure", "flag"))
    cols.append(Column("log_targeted_energy_gj", "end_uses", "GJ/yr the measure acts on"))
    cols.append(Column("targeted_share", "end_uses", "share of all energy the measure acts on"))
    cols.append(Column("physical_cap", "end_uses", "largest fraction it can displace"))
    return cols


#: Electricity end-use shares given to the models (the ones that differ most between sites).
_SHARE_FEATURES = (
    EndUse.MACHINE_DRIVE,
    EndUse.PROCESS_HEATING,
    EndUse.ELECTROCHEMICAL,
    EndUse.FACILITY_HVAC,
    EndUse.IT_LOAD,
)
_SHARE_INDEX = [list(EndUse).index(u) for u in _SHARE_FEATURES]


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
    def labels(self) -> list[str]:
        """Columns as people read them: the profile field in words, then the model's form of
        it and its unit, e.g. "roof area (log roof m2 per mwh, ...)"."""
        out = []
        for c in self.columns:
            field = "measure" if c.source == "measure" else field_words(c.source)
            form = c.name.replace("_", " ")
            detail = f"{form}, {c.unit}" if c.unit else form
            out.append(field if form == field else f"{field} ({detail})")
        return out

    @property
    def categorical_indices(self) -> list[int]:
        return [i for i, c in enumerate(self.columns) if c.categorical]


@functools.cache
def _vocabulary_index(vocabulary: tuple[str, ...]) -> dict[str, int]:
    return {v: i for i, v in enumerate(vocabulary)}


def _code(values: Iterable[object], vocabulary: tuple[str, ...]) -> np.ndarray:
    index = _vocabulary_index(vocabulary)
    plain = values.tolist() if isinstance(values, np.ndarray) else values  # fast str hashing
    return np.array([index.get(str(v), -1) for v in plain], dtype=float)


def _log1p(values: np.ndarray) -> np.ndarray:
    return np.log1p(np.where(values >= 0, values, np.nan))


def factory_matrix(energy: FactoryEnergy) -> np.ndarray:
    """Factory part of the model input, one row per factory (columns of the factory block)."""
    f = energy.factories
    energy_gj = energy.energy_gj
    total = energy_gj.sum(axis=1)
    currency = np.array([USD_PER.get(c or "USD", 1.0) for c in texts(f, "revenue_currency")])
    revenue = floats(f, "annual_revenue")
    electricity_gj = energy_gj[:, ELECTRICITY]
    electricity = electricity_gj / GJ_PER_KWH
    elec_cost = floats(f, "electricity_cost_per_year")
    roof = floats0(f, "roof_area_available_m2")
    with np.errstate(divide="ignore", invalid="ignore"):
        columns = [
            _code(texts(f, "sector"), SECTORS),
            _code(texts(f, "region"), REGIONS),
            _log1p(floats(f, "employees")),
            _log1p(floats(f, "floor_area_m2")),
            np.log1p(np.where(revenue > 0, revenue * currency, np.nan)),
            floats(f, "operating_hours_per_year"),
            floats(f, "reporting_year"),
            np.log1p(total),
            np.where(total > 0, electricity_gj / total, np.nan),
            np.log1p(np.where(electricity > 0, roof / (electricity / 1000), np.nan)),
            np.log1p(roof),
            np.where(electricity > 0, elec_cost * currency / electricity, np.nan),
            np.array(
                [len([m for m in s.split(";") if m]) for s in texts(f, "measures_in_place")],
                dtype=float,
            ),
        ]
        elec_shares = energy.shares[:, ELECTRICITY]
        for j in _SHARE_INDEX:
            columns.append(np.where(electricity > 0, elec_shares[:, j], np.nan))
        for carrier in CARRIERS:
            columns.append(_log1p(floats(f, PROFILE_FIELD[carrier])))
    return np.column_stack(columns)


def measure_block(
    spec: DesignSpec,
    found: Pairs,
    catalogue: Catalogue,
    total_gj: np.ndarray,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Measure part of the input for the rows of ``found``; ``total_gj`` is each row's factory
    energy use (all carriers, GJ). Written into ``out`` when given (any float dtype)."""
    n_carriers = len(CARRIERS)
    arrays = catalogue.arrays
    keys = found.keys
    rows = arrays.rows(keys)
    known = rows < len(arrays.ids)
    targeted = found.targeted_gj.sum(axis=1)
    if out is None:
        out = np.empty((len(keys), MEASURE_BLOCK_WIDTH))
    out[:, 0] = _code(keys, spec.measure_keys)
    out[:, 1] = arrays.family[rows]
    out[:, 2] = arrays.lifetime[rows]
    out[:, 3] = known
    out[:, 4 : 4 + 2 * n_carriers : 2] = arrays.reduced[rows]
    out[:, 5 : 5 + 2 * n_carriers : 2] = arrays.increased[rows]
    with np.errstate(divide="ignore", invalid="ignore"):
        out[:, -3] = np.log1p(targeted)
        out[:, -2] = np.where(total_gj > 0, targeted / total_gj, np.nan)
    out[:, -1] = found.cap
    # Coarse group: only the key, its kind and the energy known.
    out[~known, 1:3] = np.nan
    out[~known, 4 : 4 + 2 * n_carriers] = np.nan
    return out


#: Columns of :func:`measure_block`: code, family, lifetime, catalogue measure (1) or coarse
#: class (0), reduced/increased per carrier, log targeted energy, its share of the factory's,
#: the physics cap.
MEASURE_BLOCK_WIDTH = 4 + 2 * len(CARRIERS) + 3
#: Rows written at a time into a preallocated design matrix (bounds the temporaries).
DESIGN_CHUNK_ROWS = 200_000


def design_matrix(
    spec: DesignSpec,
    energy: FactoryEnergy,
    found: Pairs,
    catalogue: Catalogue,
    dtype: type[np.floating] = np.float64,
) -> np.ndarray:
    """Rows (factory, measure) of ``found`` as the full model input, written chunk by chunk
    into one preallocated array of ``dtype`` (training uses float32: half the memory and no
    float64 copy when LightGBM takes it; the service scores in float64)."""
    fx = factory_matrix(energy)
    total = energy.energy_gj.sum(axis=1)
    n, width = len(found.keys), fx.shape[1]
    X = np.empty((n, width + MEASURE_BLOCK_WIDTH), dtype=dtype)
    for start in range(0, n, DESIGN_CHUNK_ROWS):
        part = slice(start, min(start + DESIGN_CHUNK_ROWS, n))
        index = found.factory_index[part]
        X[part, :width] = fx[index]
        measure_block(spec, found.subset(part), catalogue, total[index], out=X[part, width:])
    return X


def outcome_design(
    spec: DesignSpec,
    factories: Table,
    factory_row: np.ndarray,
    keys: np.ndarray,
    catalogue: Catalogue,
    energy: FactoryEnergy | None = None,
) -> np.ndarray:
    """Model input for outcome rows (factory ``factory_row[i]``, measure ``keys[i]``)."""
    energy = energy or FactoryEnergy.of(factories)
    return design_matrix(spec, energy, pairs(energy, factory_row, keys, catalogue), catalogue)
