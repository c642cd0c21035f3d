"""What travels through a request: the scored candidate rows (:class:`Scores`) and the batch
the answer is built from (:class:`Batch`), each a frozen record with named fields, like
:class:`features.catalogue.candidates.Pairs`."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np

from features.accounting.factors import FactorTable
from features.catalogue.candidates import FactoryEnergy, Pairs
from features.catalogue.measures import Catalogue
from features.profile import FactoryProfile
from features.units import Carrier
from models.schemas import RecommendOptions


@dataclass(frozen=True)
class Scores:
    """Predictions for every candidate (factory, measure) row of a batch, aligned with the rows
    of its :class:`~features.catalogue.candidates.Pairs` (``n`` rows, ``c`` carriers, ``p``
    design columns, ``f`` factories). Money is in the model's currency until the request puts
    it in each answer's (:func:`models.recommend.recommend`).

    The record is frozen; its arrays are not: a deferred scoring's ``tco2e_low``,
    ``tco2e_high`` and ``applicability`` are filled in place for the rows returned
    (:func:`models.scoring.complete_rows`).

    Attributes
    ----------
    X : (n, p) design matrix the models scored.
    log_fraction : (n,) predicted log fraction of the targeted energy saved (NaN: engineering).
    fraction : (n,) fraction displaced after the physical caps.
    targeted_gj : (n,) energy of the measure's end uses on the carriers it reduces, GJ/yr.
    saved : (n, c) net energy saved per carrier, canonical units/yr (kWh, GJ).
    tco2e, tco2e_low, tco2e_high : (n,) tCO2e/yr avoided, median and interval (the interval NaN
        until completed when scoring was deferred).
    cost_savings : (n,) net yearly energy cost saved; ``gross_value`` (n,) the savings alone.
    capex, log_cost : (n,) capital cost and its log; ``capex_low``/``capex_high`` (n,) its
        range once priced at the factory's price level (None before).
    log_savings : (n,) log of ``cost_savings`` (NaN where not positive).
    adoption : (n,) P(adoption) (NaN: engineering rows).
    side : (n,) learned side effect, as a fraction of the targeted energy.
    applicability : (n,) P(an auditor recommends it), or None without that model.
    engineering : (n,) bool, rows estimated by engineering arithmetic (route measures).
    process_tco2e : (n,) process emissions removed or CO2 captured, part of ``tco2e``.
    evidence, evidence_sector : (n,) training outcomes of the row's measure, overall and in
        the factory's sector.
    factory_prices : (f, c) price per canonical unit of each factory's carriers.
    """

    X: np.ndarray
    log_fraction: np.ndarray
    fraction: np.ndarray
    targeted_gj: np.ndarray
    saved: np.ndarray
    tco2e: np.ndarray
    tco2e_low: np.ndarray
    tco2e_high: np.ndarray
    cost_savings: np.ndarray
    gross_value: np.ndarray
    capex: np.ndarray
    log_cost: np.ndarray
    log_savings: np.ndarray
    adoption: np.ndarray
    side: np.ndarray
    applicability: np.ndarray | None
    engineering: np.ndarray
    process_tco2e: np.ndarray
    evidence: np.ndarray
    evidence_sector: np.ndarray
    factory_prices: np.ndarray
    capex_low: np.ndarray | None = None
    capex_high: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.tco2e)

    def replace(self, **changes: np.ndarray | None) -> Scores:
        """A copy with ``changes`` (the arrays not named are shared, not copied)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Batch:
    """One request's factories, scored and ready for the answer builders.

    ``profiles`` (f) with their ``energy``; ``found`` (n candidate rows) and their ``scores``
    (money in each answer's currency); ``kg`` (f, c) location-based kg CO2e per canonical
    unit; ``currencies`` (f) each answer's currency and ``rates`` (f) its units per unit of the
    model's currency; ``factory_rows`` (f) the candidate rows of each factory (factory-major);
    ``lifetimes`` (n) each row's measure lifetime, years.
    """

    profiles: list[FactoryProfile]
    energy: FactoryEnergy
    found: Pairs
    scores: Scores
    kg: np.ndarray
    catalogue: Catalogue
    table: FactorTable
    options: RecommendOptions
    currencies: list[str]
    rates: np.ndarray
    factory_rows: list[np.ndarray]
    lifetimes: np.ndarray

    @functools.cached_property
    def units(self) -> list[dict[Carrier, str]]:
        """Each factory's units of display (:meth:`FactoryProfile.shown_units`)."""
        return [p.shown_units() for p in self.profiles]

    @property
    def cells_gj(self) -> np.ndarray:
        """(f, c, end uses) energy of each factory's cells, GJ/yr."""
        cells: np.ndarray = self.energy.energy_gj[:, :, None] * self.energy.shares
        return cells
