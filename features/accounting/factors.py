"""Emission-factor tables: the bundled, versioned table and fuller tables loaded from files.

A table is a DataFrame with the columns of ``features/data/emission_factors.csv``. Lookups return a
:class:`ResolvedFactor` in kg CO2e per canonical unit of the carrier (kWh of electricity,
GJ LHV of a fuel, GJ of purchased heat), with the factor's id, year, region and source, and a
note whenever the exact region or year was not available and a fallback was used.

Region rule: the most specific region that has any factor (province, then regional grid, then
national in China; state, then national in the US). Year rule, within that region: the requested
year; otherwise the latest earlier year; otherwise the earliest later year. Both fallbacks are
reported in the factor's ``note``.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features.carriers import CARRIERS
from features.errors import InvalidValueError, MissingFactorError
from features.messages import EMPTY, Message
from features.regions import US_STATES, Country, grid_region, normalise_region
from features.units import GJ_PER_MMBTU, LHV_PER_HHV, Carrier

#: GWP100, IPCC Fifth Assessment Report (the basis of the EPA hub 2025 and of eGRID's CO2e).
GWP100_AR5: dict[str, float] = {"co2": 1.0, "ch4": 28.0, "n2o": 265.0}

COLUMNS: tuple[str, ...] = (
    "factor_id", "category", "country", "region_level", "region", "year", "carrier",
    "factor_type", "co2", "ch4", "n2o", "mass_unit", "per_unit", "heating_value_basis", "source",
)  # fmt: skip
_MASS_TO_KG = {"kg": 1.0, "lb": 0.45359237, "t": 1000.0, "g": 0.001}
_ALLOWED: dict[str, tuple[str, ...]] = {
    "category": ("electricity", "fuel", "heat"),
    "country": tuple(c.value for c in Country),
    "region_level": ("national", "grid", "province", "state"),
    "carrier": tuple(c.value for c in Carrier),
    "factor_type": ("average", "residual_mix", "fossil_only", "combustion"),
    "mass_unit": tuple(_MASS_TO_KG),
    "per_unit": ("kWh", "MWh", "GJ", "TJ", "MMBtu"),
    "heating_value_basis": ("LHV", "HHV", "delivered", "n/a"),
}
_LEVELS: dict[Country, tuple[str, ...]] = {
    Country.CN: ("province", "grid", "national"),
    Country.US: ("state", "national"),
}


@dataclass(frozen=True)
class ResolvedFactor:
    """One factor, converted to the carrier's canonical unit."""

    factor_id: str
    carrier: Carrier
    kgco2e_per_unit: float
    """Fossil CO2 + CH4 + N2O as CO2e, kg per kWh (electricity) or per GJ (fuels LHV, heat)."""
    biogenic_kgco2_per_unit: float
    """Biogenic CO2 (biomass), reported outside the scopes, kg per GJ LHV."""
    year: int | None
    region_level: str
    region: str
    factor_type: str
    source: str
    note: Message = EMPTY
    """Why this factor stands in for the one asked for (a fallback), or empty."""


def _per_canonical_unit(per_unit: str, basis: str, carrier: Carrier) -> float:
    """Number of ``per_unit`` (on ``basis``) in one canonical unit of ``carrier``."""
    if carrier == Carrier.ELECTRICITY:
        return {"kWh": 1.0, "MWh": 0.001}[per_unit]
    if basis == "HHV":
        gj_on_basis = 1.0 / LHV_PER_HHV[carrier]
    elif basis in ("LHV", "delivered"):
        gj_on_basis = 1.0
    else:
        raise InvalidValueError("heating_value_basis", basis, ["LHV", "HHV", "delivered"])
    return gj_on_basis * {"GJ": 1.0, "TJ": 0.001, "MMBtu": 1.0 / GJ_PER_MMBTU}[per_unit]


class FactorTable:
    """A validated emission-factor table with region- and year-aware lookups.

    Parameters
    ----------
    frame
        Rows with the columns in :data:`COLUMNS`.
    version
        Version string reported with every footprint computed from the table.
    """

    def __init__(self, frame: pd.DataFrame, version: str) -> None:
        self.version = version
        self.frame = self._validate(frame)
        # Tables are never modified: rows are indexed once by what a lookup filters on, and
        # answers are cached.
        self._cache: dict[tuple[Carrier, Country, str, int, str | None], ResolvedFactor] = {}
        self._index: dict[tuple[str, str, str | None, str, str], list[dict[str, Any]]] = {}
        self._present: set[tuple[str, str, str | None]] = set()
        for position, raw in enumerate(self.frame.to_dict("records")):
            record = {str(k): v for k, v in raw.items()}
            record["position"] = position
            kind = record["factor_type"] if record["carrier"] == Carrier.ELECTRICITY else None
            key = (record["carrier"], record["country"], kind)
            self._present.add(key)
            self._index.setdefault((*key, record["region_level"], record["region"]), []).append(
                record
            )

    # --- construction ---------------------------------------------------------------------
    @staticmethod
    def _validate(frame: pd.DataFrame) -> pd.DataFrame:
        missing = [c for c in COLUMNS if c not in frame.columns]
        if missing:
            raise InvalidValueError("columns", missing, list(COLUMNS))
        df = frame.loc[:, list(COLUMNS)].copy()
        for col in ("region", "source", "factor_id"):
            df[col] = df[col].fillna("").astype(str)
        for col, allowed in _ALLOWED.items():
            bad = ~df[col].isin(allowed)
            if bad.any():
                row = int(bad.to_numpy().nonzero()[0][0])
                raise InvalidValueError(f"row {row}: {col}", df[col].iloc[row], allowed)
        for col in ("co2", "ch4", "n2o"):
            df[col] = pd.to_numeric(df[col], errors="coerce").fillna(0.0)
            if (df[col] < 0).any():
                row = int((df[col] < 0).to_numpy().nonzero()[0][0])
                raise InvalidValueError(f"row {row}: {col}", df[col].iloc[row], ">= 0")
        df["year"] = pd.to_numeric(df["year"], errors="coerce").astype("Int64")
        if df["factor_id"].duplicated().any():
            dup = df.loc[df["factor_id"].duplicated(), "factor_id"].iloc[0]
            raise InvalidValueError("factor_id", dup, "unique ids")
        df["priority"] = frame["priority"].to_numpy() if "priority" in frame else 0
        return df.reset_index(drop=True)

    @classmethod
    def from_csv(cls, path: str | Path, version: str | None = None) -> FactorTable:
        """Read a table in the bundled format (``#`` lines are comments; the first may hold the
        version as ``... version X``)."""
        text = Path(path).read_text(encoding="utf-8")
        return cls._from_text(text, version or f"file:{Path(path).name}")

    @classmethod
    def _from_text(cls, text: str, default_version: str) -> FactorTable:
        version = default_version
        for line in text.splitlines():
            if line.startswith("#") and " version " in line:
                version = line.rsplit(" version ", 1)[1].strip()
                break
        frame = pd.read_csv(
            io.StringIO(text),
            comment="#",
            dtype={"region": str},
            keep_default_na=False,
            na_values=[""],
        )
        return cls(frame, version)

    @classmethod
    def default(cls) -> FactorTable:
        """The table that ships with the package (see its header for version and GWPs); read
        once per process."""
        return _bundled_table()

    def extended(self, other: FactorTable) -> FactorTable:
        """A table holding this table's rows and ``other``'s.

        Where both have a factor for the same region and year, this table's wins; a factor of the
        exact year in ``other`` wins over a nearer-year fallback in this one.
        """
        extra = other.frame.copy()
        extra["priority"] = self.frame["priority"].max() + 1
        frame = pd.concat([self.frame, extra], ignore_index=True)
        return FactorTable(frame, f"{self.version}+{other.version}")

    # --- lookups --------------------------------------------------------------------------
    def _to_resolved(self, row: dict[str, Any], carrier: Carrier, note: Message) -> ResolvedFactor:
        scale = _MASS_TO_KG[str(row["mass_unit"])] * _per_canonical_unit(
            str(row["per_unit"]), str(row["heating_value_basis"]), carrier
        )
        others = float(row["ch4"]) * GWP100_AR5["ch4"] + float(row["n2o"]) * GWP100_AR5["n2o"]
        co2 = float(row["co2"])
        biogenic = carrier == Carrier.BIOMASS
        year = row["year"]
        return ResolvedFactor(
            factor_id=str(row["factor_id"]),
            carrier=carrier,
            kgco2e_per_unit=(others + (0.0 if biogenic else co2)) * scale,
            biogenic_kgco2_per_unit=(co2 if biogenic else 0.0) * scale,
            year=None if pd.isna(year) else int(year),
            region_level=str(row["region_level"]),
            region=str(row["region"]),
            factor_type=str(row["factor_type"]),
            source=str(row["source"]),
            note=note,
        )

    @staticmethod
    def _pick_year(rows: list[dict[str, Any]], year: int) -> dict[str, Any]:
        """The exact year, else the latest earlier one, else the earliest; then the highest
        priority (lowest number), then table order."""
        years = [int(r["year"]) for r in rows if not pd.isna(r["year"])]
        if years:
            if year in years:
                target = year
            elif any(y < year for y in years):
                target = max(y for y in years if y < year)
            else:
                target = min(years)
            rows = [r for r in rows if not pd.isna(r["year"]) and int(r["year"]) == target]
        return min(rows, key=lambda r: (r["priority"], r["position"]))

    def resolve(
        self,
        carrier: Carrier,
        country: Country,
        region: str,
        year: int,
        factor_type: str | None = None,
    ) -> ResolvedFactor:
        """Find the factor for ``carrier`` used by a factory in ``region`` of ``country``.

        Parameters
        ----------
        carrier
            Energy carrier.
        country, region
            Where the factory is (a province or state; validated).
        year
            Reporting year; see the module docstring for the year rule.
        factor_type
            ``"average"`` (default for electricity), ``"residual_mix"`` or ``"fossil_only"``
            for electricity; ignored for fuels and heat.

        Raises
        ------
        MissingFactorError
            If the table has no factor for the carrier in the country.
        """
        region = normalise_region(country, region)
        return self._cached(
            carrier, country, region, grid_region(country, region), year, factor_type
        )

    def matrix(self, places: Sequence[tuple[Country, str, str | None, int]]) -> np.ndarray:
        """(places, carriers) location-based kg CO2e per canonical unit, one row per
        (country, region, grid, reporting year) of a validated profile (region canonical, grid
        found on validation: they are not looked up again)."""
        rows = [
            [self._cached(c, country, region, grid, year).kgco2e_per_unit for c in CARRIERS]
            for country, region, grid, year in places
        ]
        return np.array(rows, dtype=float).reshape(len(places), len(CARRIERS))

    def _cached(
        self,
        carrier: Carrier,
        country: Country,
        region: str,
        grid: str | None,
        year: int,
        factor_type: str | None = None,
    ) -> ResolvedFactor:
        """:meth:`resolve` for a canonical region and its grid, answers cached."""
        key = (carrier, country, region, year, factor_type)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._resolve(carrier, country, region, grid, year, factor_type)
            self._cache[key] = cached
        return cached

    def resolve_national(
        self, carrier: Carrier, country: Country, year: int, factor_type: str | None = None
    ) -> ResolvedFactor:
        """The country's national factor for ``carrier`` (for a plant whose region is not
        given), by the same year rule as :meth:`resolve`; the region's own factor where the
        table has no national row."""
        kind = (factor_type or "average") if carrier == Carrier.ELECTRICITY else None
        rows = self._index.get((carrier.value, country.value, kind, "national", ""))
        if not rows:
            capital = {Country.CN: "Beijing", Country.US: "DC"}[country]
            return self.resolve(carrier, country, capital, year, factor_type)
        row = self._pick_year(rows, year)
        return self._to_resolved(row, carrier, Message("no_region_national_factor"))

    def _resolve(
        self,
        carrier: Carrier,
        country: Country,
        region: str,
        grid: str | None,
        year: int,
        factor_type: str | None,
    ) -> ResolvedFactor:
        kind = (factor_type or "average") if carrier == Carrier.ELECTRICITY else None
        if (carrier.value, country.value, kind) not in self._present:
            raise MissingFactorError(
                f"no {factor_type or ''} factor for {carrier.value} in {country.value} "
                f"in emission-factor table {self.version}".replace("  ", " ")
            )
        names = {
            "province": region,
            "state": region,
            "grid": grid or "",
            "national": "",
        }
        found = next(
            (
                (level, at_level)
                for level in _LEVELS[country]
                if (
                    at_level := self._index.get(
                        (carrier.value, country.value, kind, level, names[level])
                    )
                )
            ),
            None,
        )
        if found is None:
            raise MissingFactorError(
                f"no factor for {carrier.value} covering {region}, {country.value}"
            )
        # Region before year: grids differ far more between regions (0.11-0.73 kg/kWh across
        # Chinese provinces in 2022) than from one year to the next (2-8%).
        chosen_level, chosen = found
        row = self._pick_year(chosen, year)
        notes = []
        if carrier == Carrier.ELECTRICITY and chosen_level != _LEVELS[country][0]:
            label = names[chosen_level] or "national"
            notes.append(
                Message("no_level_factor", level=_LEVELS[country][0], region=region, label=label)
            )
        if not pd.isna(row["year"]) and int(row["year"]) != year:
            notes.append(Message("no_year_factor", year=year, used=int(row["year"])))
        return self._to_resolved(row, carrier, Message.joined(notes))


@functools.cache
def _bundled_table() -> FactorTable:
    text = resources.files("features").joinpath("data/emission_factors.csv").read_text("utf-8")
    return FactorTable._from_text(text, "bundled")


def load_eia_state_intensity(path: str | Path) -> FactorTable:
    """Read EIA's state-by-year power-sector CO2 intensity (the ``state_carbon_intensity``
    table: ``YEAR, STATE, ..., CO2, CARBON_INTENSITY`` in t CO2 per MWh of net generation).

    The result can be combined with the bundled table via :meth:`FactorTable.extended`, so that
    a 1995 audit in Ohio uses Ohio's 1995 factor. Factors are CO2 only and generation-based.
    """
    raw = pd.read_csv(path)
    required = {"YEAR", "STATE", "CARBON_INTENSITY"}
    if not required.issubset(raw.columns):
        raise InvalidValueError("columns", sorted(raw.columns), sorted(required))
    raw = raw[raw["STATE"].isin(US_STATES)].dropna(subset=["CARBON_INTENSITY"])
    frame = pd.DataFrame(
        {
            "factor_id": "us-eia-" + raw["STATE"].str.lower() + "-" + raw["YEAR"].astype(str),
            "category": "electricity",
            "country": "US",
            "region_level": "state",
            "region": raw["STATE"],
            "year": raw["YEAR"],
            "carrier": "electricity",
            "factor_type": "average",
            "co2": raw["CARBON_INTENSITY"],
            "ch4": 0.0,
            "n2o": 0.0,
            "mass_unit": "t",
            "per_unit": "MWh",
            "heating_value_basis": "n/a",
            "source": f"EIA state power-sector CO2 / net generation (CO2 only), {Path(path).name}",
        }
    )
    years = f"{int(raw['YEAR'].min())}-{int(raw['YEAR'].max())}" if len(raw) else "empty"
    return FactorTable(frame, f"eia-state-{years}")
