"""The pathway to a zero-carbon factory: which rows it stacks in which step (efficiency
programme, structural change, on-site renewables, capture), the batch's stacks, and the steps
from today's net market-based footprint to the gap left.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from features.accounting.footprint import Footprint, compute_footprint
from features.carriers import CARRIERS, ELECTRICITY
from features.catalogue.measures import measure_name
from features.messages import Message
from features.profile import FactoryProfile
from models.ranking import MIN_TCO2E, Chosen, rank_rows
from models.schemas import Pathway, ProgrammeMeasure, RecommendOptions
from models.scores import Batch, Scores
from models.stacking import Stack, StackFactories, StackRows, stack_sequences

MARKET_NOTE = Message("market_note")


@dataclass(frozen=True)
class PathwayPlan:
    """The rows the pathway stacks, in order: the efficiency programme, then fuel switching,
    electrification and route changes (structural), by abatement cost; then on-site supply;
    then capture. ``efficiency`` holds every beneficial efficiency candidate in order (the
    programme is chosen from it by :func:`choose_programme`)."""

    sequence: np.ndarray
    n_physical: int
    n_onsite: int
    n_programme: int = 0
    efficiency: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    structural: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    onsite: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    capture: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    payback_years: float = 0.0


@dataclass(frozen=True)
class Stacked:
    """One factory's footprint, its returned measures stacked in rank order and its pathway's
    plan and stack."""

    footprint: Footprint
    portfolio: Stack
    plan: PathwayPlan
    pathway: Stack


def stack_factories(batch: Batch, chosen: list[Chosen]) -> list[Stacked]:
    """Footprints, portfolios and pathway stacks of a batch of factories, stacked together
    (:func:`models.stacking.stack_sequences`)."""
    footprints = [compute_footprint(p, batch.table) for p in batch.profiles]
    scope1 = np.array([f.scope1_tco2e for f in footprints])
    s = batch.scores
    factories = StackFactories.of(batch.profiles, batch.cells_gj, batch.kg, scope1)
    rows = StackRows(batch.found.keys, s.saved, s.fraction, s.process_tco2e)

    def stack(sequences: list[np.ndarray]) -> list[Stack]:
        return stack_sequences(sequences, rows, factories, batch.catalogue.arrays)

    plans = [pathway_plan(batch, rows) for rows in batch.factory_rows]
    trials = stack([p.efficiency for p in plans])
    plans = [
        choose_programme(p, t, s, s.factory_prices[i])
        for i, (p, t) in enumerate(zip(plans, trials, strict=True))
    ]
    portfolios = stack([c.rows for c in chosen])
    pathways = stack([p.sequence for p in plans])
    return [Stacked(*parts) for parts in zip(footprints, portfolios, plans, pathways, strict=True)]


def pathway_plan(batch: Batch, rows: np.ndarray | None) -> PathwayPlan:
    """Every beneficial physical measure of ``rows`` in order of abatement cost, split into
    efficiency (technology upgrades and management that only save), structural change (fuel
    switching, electrification, route changes), on-site renewables with the microgrid, and CO2
    capture (independent of ``top_k`` and ``objective``). The sequence holds every efficiency
    candidate until :func:`choose_programme` keeps the programme."""
    found, catalogue, options = batch.found, batch.catalogue, batch.options
    candidates = np.arange(0, dtype=np.intp) if rows is None else rows
    full = options.model_copy(
        update={"objective": "lowest_cost_per_tco2e", "top_k": 10**6, "capex_budget": None}
    )
    ordered = rank_rows(candidates, batch.lifetimes, batch.scores, full, options.min_evidence).rows
    # Each measure's step is in its catalogue entry (pathway_step, checked when it loads).
    keys = found.keys[ordered].astype(str)
    step = np.array([catalogue.measures[k].pathway_step for k in keys], dtype=object)
    onsite, capture, structural = (step == name for name in ("onsite", "capture", "structural"))
    efficiency = ~onsite & ~capture & ~structural
    eff, struct, site, cap = (
        ordered[m].astype(np.intp) for m in (efficiency, structural, onsite, capture)
    )
    return _plan(eff, eff, (struct, site, cap), options.programme_payback_years)


def _plan(
    programme: np.ndarray,
    efficiency: np.ndarray,
    after: tuple[np.ndarray, np.ndarray, np.ndarray],
    payback_years: float,
) -> PathwayPlan:
    """The plan stacking ``programme``, then ``after`` (structural, on-site, capture rows)."""
    # Efficiency first, then structural change on what it left, on-site supply, then capture
    # on what is left (CCUS).
    structural, onsite, capture = after
    sequence = np.concatenate([programme, structural, onsite, capture]).astype(np.intp)
    return PathwayPlan(
        sequence,
        len(programme) + len(structural),
        len(onsite),
        len(programme),
        efficiency,
        structural,
        onsite,
        capture,
        payback_years,
    )


def choose_programme(plan: PathwayPlan, trial: Stack, s: Scores, prices: np.ndarray) -> PathwayPlan:
    """The efficiency programme out of ``plan.efficiency`` stacked alone (``trial``): each
    measure kept when it avoids emissions and its simple payback on the saving it adds after
    the ones before it (its cost savings scaled by what stacking left of its energy, valued at
    the factory's ``prices`` per carrier) is within ``plan.payback_years``."""
    rows = plan.efficiency
    if not len(rows):
        return plan
    alone = (s.saved[rows] * prices).sum(axis=1)
    together = (trial.saved[: len(rows)] * prices).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(alone > 0, together / alone, 0.0)
        adds = s.cost_savings[rows] * share
        payback = np.where(adds > 0, s.capex[rows] / adds, np.inf)
    keep = (trial.tco2e[: len(rows)] > MIN_TCO2E) & (payback <= plan.payback_years)
    after = (plan.structural, plan.onsite, plan.capture)
    return _plan(rows[keep], rows, after, plan.payback_years)


def _market_kg(kg: np.ndarray, footprint: Footprint) -> np.ndarray:
    """kg CO2e per canonical unit on the market basis: electricity at the residual-mix factor,
    other carriers as located."""
    kg_market = kg.copy()
    kg_market[ELECTRICITY] = footprint.market_based.residual_factor.kgco2e_per_unit
    return kg_market


def _steps(plan: PathwayPlan) -> tuple[slice, slice, slice, slice]:
    """Rows of the pathway's stack in each step: programme, structural, on-site, capture."""
    n_prog, n_phys, n_onsite = plan.n_programme, plan.n_physical, plan.n_onsite
    return (
        slice(0, n_prog),
        slice(n_prog, n_phys),
        slice(n_phys, n_phys + n_onsite),
        slice(n_phys + n_onsite, None),
    )


def pathway_to_zero(batch: Batch, i: int, stacked: Stacked) -> Pathway:
    """From today's net market-based footprint to the gap to a zero-carbon factory, on one
    stated basis and independent of ``top_k`` and ``objective``: every beneficial physical
    measure in order of abatement cost (each acting on what the ones before left), then on-site
    renewables and the microgrid, green-electricity contracts for the grid electricity left
    (net of contracts and certificates the factory already has), CO2 capture and storage on the
    direct emissions left, the offsets the factory retires, then the residual. ``stacked``: the
    factory's plan (:func:`pathway_plan`) and its rows stacked (:func:`stack_factories`)."""
    profile, options, footprint = batch.profiles[i], batch.options, stacked.footprint
    plan, stack = stacked.plan, stacked.pathway
    kg_market = _market_kg(batch.kg[i], footprint)

    def market_t(part: slice) -> float:
        saved = stack.saved[part].sum(axis=0)
        return float((saved * kg_market).sum() / 1000) + float(stack.process[part].sum())

    efficiency, structural, renewables, ccus = (market_t(part) for part in _steps(plan))
    physical = efficiency + structural
    grid = _grid_fields(profile, options, stack, kg_market)
    baseline = footprint.net_market_tco2e
    after_physical = baseline - physical
    after_renewables = after_physical - renewables
    after_green = after_renewables - grid["green_electricity_tco2e"] - grid["certificates_tco2e"]
    after_ccus = after_green - ccus
    offsets = min(profile.offsets_tco2e, max(after_ccus, 0.0))
    residual = after_ccus - offsets
    target = None
    if options.target_reduction is not None:
        target = baseline * (1 - options.target_reduction)
    return Pathway(
        **_footprint_fields(footprint, profile, options),
        measures_counted=len(plan.sequence),
        physical_measures_tco2e=physical,
        efficiency_programme_tco2e=efficiency,
        **_programme_fields(batch, i, stacked),
        structural_tco2e=structural,
        portfolio_process_tco2e_avoided=float(stack.process.sum()),
        after_physical_measures_tco2e=after_physical,
        onsite_renewables_tco2e=renewables,
        after_onsite_renewables_tco2e=after_renewables,
        **grid,
        after_green_electricity_tco2e=after_green,
        ccus_measures=len(plan.sequence) - plan.n_physical - plan.n_onsite,
        ccus_tco2=ccus,
        after_ccus_tco2e=after_ccus,
        offsets_tco2e=offsets,
        residual_tco2e=residual,
        gap_to_zero_carbon_tco2e=max(residual, 0.0),
        target_tco2e=target,
        gap_to_target_tco2e=None if target is None else max(residual - target, 0.0),
    )


def _footprint_fields(
    footprint: Footprint, profile: FactoryProfile, options: RecommendOptions
) -> dict[str, object]:
    """The pathway's basis, starting footprint and notes."""
    notes = []
    if footprint.scope2_market_tco2e > footprint.scope2_location_tco2e + 1e-9:
        notes.append(Message("market_note", options.lang))
    if profile.offsets_tco2e > 0:
        notes.append(Message("offsets_note", options.lang))
    return {
        "basis": Message("pathway_basis", options.lang),
        "baseline_tco2e": footprint.net_market_tco2e,
        "baseline_location_tco2e": footprint.net_location_tco2e,
        "scope1_tco2e": footprint.scope1_tco2e,
        "scope2_location_tco2e": footprint.scope2_location_tco2e,
        "scope2_market_tco2e": footprint.scope2_market_tco2e,
        "process_tco2e": footprint.process_tco2e,
        "removals_tco2": footprint.removals_tco2,
        "notes": notes,
    }


def _grid_fields(
    profile: FactoryProfile, options: RecommendOptions, stack: Stack, kg_market: np.ndarray
) -> dict[str, float]:
    """Green contracts for the share of the grid electricity left (net of what the factory
    already covers) the options name, unbundled certificates for the remainder, both at the
    residual-mix factor they displace."""
    grid_left = float(stack.remaining[ELECTRICITY])
    already = profile.green_electricity_contract_kwh + profile.green_certificates_kwh
    uncovered = max(grid_left - already, 0.0)
    contract_kwh = uncovered * options.green_contract_share
    certificate_kwh = uncovered - contract_kwh
    return {
        "grid_electricity_left_kwh": grid_left,
        "green_electricity_already_covered_kwh": min(already, grid_left),
        "green_electricity_to_contract_kwh": contract_kwh,
        "green_electricity_tco2e": contract_kwh * kg_market[ELECTRICITY] / 1000,
        "certificates_kwh": certificate_kwh,
        "certificates_tco2e": certificate_kwh * kg_market[ELECTRICITY] / 1000,
    }


def _programme_fields(batch: Batch, i: int, stacked: Stacked) -> dict[str, object]:
    """The efficiency programme's measures, money and energy, and the capex of each step."""
    profile, plan, stack = batch.profiles[i], stacked.plan, stacked.pathway
    programme, capex = pathway_money(batch, i, stacked)
    n_prog = plan.n_programme
    prog_saved = stack.saved[_steps(plan)[0]].sum(axis=0)
    used = np.array([profile.energy(c) for c in CARRIERS], dtype=float)
    prog_capex = float(sum(m.capex for m in programme))
    prog_savings = float(sum(m.cost_savings_per_year for m in programme))
    return {
        "efficiency_programme": programme,
        "efficiency_programme_capex": prog_capex,
        "efficiency_programme_cost_savings_per_year": prog_savings,
        "efficiency_programme_payback_years": prog_capex / prog_savings
        if prog_savings > 0
        else None,
        "efficiency_programme_energy_saved": {
            c: float(v)
            for c, v in zip(CARRIERS, prog_saved, strict=True)
            if used[CARRIERS.index(c)] > 0
        },
        "efficiency_programme_energy_share": {
            c: float(v / u) for c, v, u in zip(CARRIERS, prog_saved, used, strict=True) if u > 0
        },
        "programme_payback_years": plan.payback_years,
        "efficiency_measures_beyond_payback": len(plan.efficiency) - n_prog,
        "structural_measures": plan.n_physical - n_prog,
        "structural_capex": capex[1],
        "onsite_renewables_measures": plan.n_onsite,
        "onsite_renewables_capex": capex[2],
        "ccus_capex": capex[3],
    }


def pathway_money(
    batch: Batch, i: int, stacked: Stacked
) -> tuple[list[ProgrammeMeasure], tuple[float, float, float, float]]:
    """The efficiency programme's measures as they act in the pathway (what each adds after the
    ones before it), and the capex of each pathway step (programme, structural, on-site, CCUS)
    in the answer's currency."""
    found, s, catalogue = batch.found, batch.scores, batch.catalogue
    plan, stack = stacked.plan, stacked.pathway
    kg_market = _market_kg(batch.kg[i], stacked.footprint)
    prices = (
        s.factory_prices[int(found.factory_index[plan.sequence[0]])] if len(plan.sequence) else None
    )
    rows = plan.sequence[: plan.n_programme]
    n = len(rows)
    # Per programme measure, in one pass over the rows: its yearly money alone and after the
    # ones before it, and its market-based tCO2e.
    alone_all = (s.saved[rows] * prices).sum(axis=1) if prices is not None else np.zeros(n)
    together_all = (stack.saved[:n] * prices).sum(axis=1) if prices is not None else np.zeros(n)
    t_all = (stack.saved[:n] * kg_market).sum(axis=1) / 1000
    programme = []
    for k, row in enumerate(rows.tolist()):
        measure = catalogue.measures[str(found.keys[row])]
        alone, together = float(alone_all[k]), float(together_all[k])
        adds = float(s.cost_savings[row]) * (together / alone if alone > 0 else 0.0)
        capex = float(s.capex[row])
        pool = catalogue.pool_of(measure.id)
        programme.append(
            ProgrammeMeasure(
                order=k + 1,
                measure_id=measure.id,
                name=measure_name(measure, batch.options.lang),
                tco2e_avoided=float(t_all[k]) + float(stack.process[k]),
                capex=capex,
                cost_savings_per_year=adds,
                payback_years=capex / adds if adds > 0 else None,
                pool=None if pool is None else pool.id,
            )
        )
    capex_of = s.capex[plan.sequence] if len(plan.sequence) else np.zeros(0)
    prog, structural, onsite, ccus = (float(capex_of[part].sum()) for part in _steps(plan))
    return programme, (prog, structural, onsite, ccus)
