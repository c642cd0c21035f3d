"""Emission factors per factory and carrier, resolved once per (country, region, year)."""

from __future__ import annotations

import numpy as np

from features.accounting.factors import FactorTable
from features.carriers import CARRIERS
from features.profile import FactoryProfile
from features.regions import Country


def factor_matrix(profiles: list[FactoryProfile], table: FactorTable) -> np.ndarray:
    """(factories, carriers) location-based kg CO2e per canonical unit."""
    cache: dict[tuple[Country, str, int], list[float]] = {}
    out = np.zeros((len(profiles), len(CARRIERS)))
    for i, p in enumerate(profiles):
        key = (p.country, p.region, p.reporting_year)
        if key not in cache:
            cache[key] = [table.resolve(c, *key).kgco2e_per_unit for c in CARRIERS]
        out[i] = cache[key]
    return out
