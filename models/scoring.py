"""Scoring a batch's candidate (factory, measure) pairs with a fitted bundle: energy change per
carrier (median and interval), tCO2e, money and probabilities, as one :class:`Scores`; route
measures take their engineering estimates instead of the learned numbers.

The savings model's fraction is capped by ``found.cap`` (never more than the end uses hold, nor
than the site's physics allow); conversions add energy by physics, other measures their learned
side effect (:class:`features.accounting.net_savings.NetSavings`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from features.accounting.factors import FactorTable
from features.accounting.net_savings import NetSavings, interval_tco2e
from features.accounting.prices import price_matrix
from features.catalogue.applicability import candidate_pairs
from features.catalogue.candidates import FactoryEnergy, Pairs
from features.catalogue.measures import Catalogue
from features.design import design_matrix
from features.process_routes.estimate import estimate
from features.profile import FactoryProfile
from features.table import Table, table_lines, texts
from features.units import USD_PER
from models.fitted import FittedBundle
from models.scores import Scores
from models.strata import interval_strata, shares_declared


@dataclass(frozen=True)
class Candidates:
    """A batch's candidate pairs and what scoring them needs: the factories' ``energy`` (f),
    the pairs ``found`` (n), ``kg`` (f, carriers) location-based kg CO2e per canonical unit and
    ``prices`` (f, carriers) per canonical unit in the model's currency."""

    energy: FactoryEnergy
    found: Pairs
    catalogue: Catalogue
    kg: np.ndarray
    prices: np.ndarray


def candidates_of(
    bundle: FittedBundle,
    factories: Table,
    profiles: list[FactoryProfile],
    table: FactorTable,
    catalogue: Catalogue,
) -> Candidates:
    """Every candidate pair of a batch: the physical measures the models know, and route
    measures (estimated by engineering arithmetic, whatever the training saw)."""
    known = set(bundle.spec_.measure_keys)
    measures = [
        m
        for m in catalogue.measures.values()
        if m.reduction_kind == "physical" and (m.id in known or m.route is not None)
    ]
    energy = FactoryEnergy.of(factories)
    found = candidate_pairs(energy, measures, catalogue)
    kg = table.matrix([(p.country, p.region, p.grid, p.reporting_year) for p in profiles])
    return Candidates(energy, found, catalogue, kg, price_matrix(factories, bundle.currency_))


def adoption_inputs(X: np.ndarray, log_cost: np.ndarray, log_savings: np.ndarray) -> np.ndarray:
    """The adoption model's inputs: the design, log capex, log yearly savings and payback."""
    with np.errstate(over="ignore", invalid="ignore"):
        payback = np.clip(np.exp(log_cost - log_savings), 0, 50)
    return np.column_stack([X, log_cost, log_savings, payback])


def log_savings_of(saved: np.ndarray, prices: np.ndarray) -> np.ndarray:
    """Log of the yearly cost savings of ``saved`` (rows, carriers) at ``prices`` (rows,
    carriers); NaN where not positive."""
    cost_savings = (saved * prices).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(cost_savings > 0, np.log(cost_savings), np.nan)


def served_adoption_inputs(
    bundle: FittedBundle,
    energy: FactoryEnergy,
    found: Pairs,
    X: np.ndarray,
    catalogue: Catalogue,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(P(adoption), predicted log capex, predicted log yearly cost savings) of the rows of
    ``found`` (design ``X``) from the bundle's own predicted cost and savings, exactly the
    inputs the service gives the adoption model."""
    side = bundle.side_.predict(X) if bundle.side_ is not None else np.zeros(len(found))
    physics = NetSavings(energy, found, catalogue, side)
    saved, _ = physics.net_units(bundle.savings_.predict(X))
    prices = price_matrix(energy.factories, bundle.currency_)
    log_savings = log_savings_of(saved, prices[found.factory_index])
    log_cost = bundle.cost_.predict(X)
    inputs = adoption_inputs(X, log_cost, log_savings)
    return np.asarray(bundle.adoption_.predict_proba(inputs)), log_cost, log_savings


def _interval(
    bundle: FittedBundle, X: np.ndarray, part: Pairs, c: Candidates, declared: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """(served low, median, high, P(recommended) or None) of the log fraction of rows ``part``."""
    keys = part.keys
    low, mid, high = bundle.savings_.predict_interval(
        X, interval_strata(keys, c.catalogue, declared)
    )
    picked = None if bundle.applicability_ is None else bundle.applicability_.predict_proba(X)
    low = bundle.served_low(low, mid, picked, bundle.realisation(keys, c.catalogue))
    return low, mid, high, picked


def _physics(
    bundle: FittedBundle, c: Candidates, part: Pairs, side: np.ndarray, declared: np.ndarray
) -> NetSavings:
    wide = ~declared if bundle.config.interval_served_margins else None
    return NetSavings(c.energy, part, c.catalogue, side, undeclared=wide)


def score_pairs(bundle: FittedBundle, c: Candidates, deferred: bool = False) -> Scores:
    """Predictions for the rows of ``c.found`` (:class:`Scores`). ``deferred``: the tCO2e
    interval and the recommendation probability, which decide nothing and are only shown, are
    left NaN for :func:`complete_rows` to fill for the rows returned."""
    found = c.found
    X = design_matrix(bundle.spec_, c.energy, found, c.catalogue)
    side = bundle.side_.predict(X) if bundle.side_ is not None else np.zeros(len(found))
    declared = shares_declared(c.energy.factories)[found.factory_index]
    physics = _physics(bundle, c, found, side, declared)
    factors = c.kg[found.factory_index]
    picked = None
    if deferred:
        mid = bundle.savings_.predict(X)
    else:
        low, mid, high, picked = _interval(bundle, X, found, c, declared)
    saved_mid, fraction_mid = physics.net_units(mid)
    t_mid = (saved_mid * factors).sum(axis=1) / 1000
    if deferred:
        t_low, t_high = np.full(len(found), np.nan), np.full(len(found), np.nan)
    else:
        t_low, t_high = interval_tco2e(physics, low, high, t_mid, factors)
    prices = c.prices[found.factory_index]
    cost_savings = (saved_mid * prices).sum(axis=1)
    gross_value = (np.clip(saved_mid, 0, None) * prices).sum(axis=1)
    log_cost = bundle.cost_.predict(X)
    log_savings = log_savings_of(saved_mid, prices)
    adoption = bundle.adoption_.predict_proba(adoption_inputs(X, log_cost, log_savings))
    result = {
        "X": X,
        "log_fraction": mid,
        "fraction": fraction_mid,
        "targeted_gj": found.targeted_gj.sum(axis=1),
        "saved": saved_mid,
        "tco2e": t_mid,
        "tco2e_low": t_low,
        "tco2e_high": t_high,
        "cost_savings": cost_savings,
        "gross_value": gross_value,
        "capex": np.exp(log_cost),
        "log_cost": log_cost,
        "log_savings": log_savings,
        "adoption": adoption,
        "side": side,
    }
    if bundle.applicability_ is not None:
        result["applicability"] = np.full(len(found), np.nan) if picked is None else picked
    _apply_route_estimates(result, c, bundle.currency_)
    applicability = result.pop("applicability", None)
    return Scores(
        **result,
        applicability=applicability,
        **_evidence_counts(bundle, c),
        factory_prices=c.prices,
    )


def _evidence_counts(bundle: FittedBundle, c: Candidates) -> dict[str, np.ndarray]:
    """Training outcomes of each row's measure, overall and in its factory's sector."""
    sectors = texts(c.energy.factories, "sector")
    counts = [
        bundle.evidence(str(k), sectors[int(f)])
        for k, f in zip(c.found.keys.tolist(), c.found.factory_index.tolist(), strict=True)
    ]
    return {
        "evidence": np.array([n[0] for n in counts], dtype=float).reshape(-1),
        "evidence_sector": np.array([n[1] for n in counts], dtype=float).reshape(-1),
    }


def complete_rows(bundle: FittedBundle, scores: Scores, rows: np.ndarray, c: Candidates) -> None:
    """Fill what a deferred :func:`score_pairs` left out (the tCO2e interval and the
    recommendation probability) for ``rows``, in place, the same numbers as scoring them all;
    rows estimated by engineering keep their own."""
    rows = rows[~scores.engineering[rows]]
    if not len(rows):
        return
    X = scores.X[rows]
    declared = shares_declared(c.energy.factories)[c.found.factory_index[rows]]
    part = c.found.subset(rows)
    low, _mid, high, picked = _interval(bundle, X, part, c, declared)
    physics = _physics(bundle, c, part, scores.side[rows], declared)
    factors = c.kg[part.factory_index]
    t_low, t_high = interval_tco2e(physics, low, high, scores.tco2e[rows], factors)
    scores.tco2e_low[rows] = t_low
    scores.tco2e_high[rows] = t_high
    if picked is not None and scores.applicability is not None:
        scores.applicability[rows] = picked


def _apply_route_estimates(result: dict[str, np.ndarray], c: Candidates, currency: str) -> None:
    """Replace the learned numbers of route-measure rows by their engineering estimates
    (features.process_routes.estimate); ``engineering`` marks them, ``process_tco2e`` holds the part
    of their tCO2e that is process emissions removed or CO2 captured."""
    found, catalogue, energy = c.found, c.catalogue, c.energy
    n = len(found)
    engineering = np.zeros(n, dtype=bool)
    process = np.zeros(n)
    rows = [
        i
        for i, key in enumerate(found.keys.tolist())
        if key in catalogue.measures and catalogue.measures[key].route is not None
    ]
    result["engineering"] = engineering
    result["process_tco2e"] = process
    if not rows:
        return
    lines = table_lines(energy.factories)
    for name in ("adoption", "applicability", "log_fraction"):
        if name in result:
            result[name] = result[name].astype(float, copy=True)
    for i in rows:
        f = int(found.factory_index[i])
        effect = catalogue.measures[str(found.keys[i])].route
        assert effect is not None
        est = estimate(effect, lines[f], found.targeted_gj[i], energy.energy_gj[f], c.kg[f])
        t = (est.saved * c.kg[f]).sum(axis=1) / 1000 + est.process_tco2e + est.captured_tco2
        engineering[i] = True
        process[i] = est.process_tco2e[1] + est.captured_tco2[1]
        _set_row(result, i, est.saved[1], c.prices[f])
        result["tco2e"][i] = t[1]
        result["tco2e_low"][i] = t.min()
        result["tco2e_high"][i] = t.max()
        result["fraction"][i] = est.fraction
        capex = est.capex_usd / USD_PER[currency]
        result["capex"][i] = capex
        result["log_cost"][i] = math.log(capex) if capex > 0 else np.nan
        for name in ("log_fraction", "adoption", "applicability"):
            if name in result:
                result[name][i] = np.nan


def _set_row(result: dict[str, np.ndarray], i: int, saved: np.ndarray, prices: np.ndarray) -> None:
    """Row ``i``'s energy saved and the money it is worth at ``prices``."""
    result["saved"][i] = saved
    result["cost_savings"][i] = float((saved * prices).sum())
    result["gross_value"][i] = float((np.clip(saved, 0, None) * prices).sum())
    savings = result["cost_savings"][i]
    result["log_savings"][i] = math.log(savings) if savings > 0 else np.nan
