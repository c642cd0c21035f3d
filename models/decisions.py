"""Decisions on scored candidates: which measures to return and in what order, the portfolio
(each measure acting on what the ones ranked above it left, per carrier and end use), market
instruments and the pathway. Measures that would raise the factory's emissions are never ranked
among reductions: they are listed apart with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numba
import numpy as np

from features.accounting.factors import FactorTable
from features.accounting.footprint import Footprint, compute_footprint
from features.accounting.prices import price_sources
from features.accounting.readiness import zero_carbon_readiness
from features.carriers import CARRIERS, ELECTRICITY
from features.catalogue.candidates import Pairs
from features.catalogue.measures import Catalogue, Measure, measure_mechanism, measure_name
from features.domain import InputWarning
from features.enduses.balance import end_use_balance
from features.enduses.taxonomy import EndUse
from features.i18n import Lang, human, text, translate
from features.profile import FactoryProfile
from features.routes.inference import InferredRoute
from features.units import CANONICAL_UNIT, Carrier
from models.schemas import (
    Direction,
    Explanation,
    FactoryRecommendations,
    MarketInstrument,
    Pathway,
    PortfolioSummary,
    PriceUsed,
    ProgrammeMeasure,
    Recommendation,
    RecommendOptions,
)

#: A measure changing emissions by less than this (tCO2e/yr) has no direction worth ranking.
MIN_TCO2E = 1e-6


@dataclass(frozen=True)
class Chosen:
    """One factory's returned rows in rank order, their abatement cost and the rows of measures
    that would raise its emissions (most harmful first)."""

    rows: np.ndarray
    abatement: np.ndarray
    increases: np.ndarray
    thin: np.ndarray = field(
        default_factory=lambda: np.zeros(0, dtype=np.intp)
    )  # too little evidence


def rank_rows(
    rows: np.ndarray,
    lifetimes: np.ndarray,
    s: dict[str, np.ndarray],
    options: RecommendOptions,
    min_evidence: int = 0,
) -> Chosen:
    """Rank one factory's candidate rows: only measures that lower emissions are ranked, and
    learned measures only with at least ``min_evidence`` training outcomes (the others are
    returned apart as ``thin``, largest effect first)."""
    tco2e_all = s["tco2e"][rows]
    increases = rows[tco2e_all < -MIN_TCO2E]
    increases = increases[np.argsort(s["tco2e"][increases], kind="stable")]
    rows = rows[tco2e_all > MIN_TCO2E]
    thin = np.zeros(0, dtype=np.intp)
    if min_evidence > 0 and "evidence" in s:
        learned = ~s["engineering"][rows] if "engineering" in s else np.ones(len(rows), bool)
        weak = learned & (s["evidence"][rows] < min_evidence)
        thin = rows[weak]
        thin = thin[np.argsort(-s["tco2e"][thin], kind="stable")][: options.top_k]
        rows = rows[~weak]
    r = options.discount_rate
    crf = r / (1 - (1 + r) ** -lifetimes[rows]) if r > 0 else 1 / lifetimes[rows]
    tco2e = s["tco2e"][rows]
    capex = s["capex"][rows]
    abatement = (capex * crf - s["cost_savings"][rows]) / tco2e
    if options.objective == "most_tco2e":
        order = np.argsort(-tco2e, kind="stable")
    elif options.objective == "most_adopted_tco2e":
        # Measures without outcome data (engineering estimates) count at even odds.
        adoption = np.nan_to_num(s["adoption"][rows], nan=0.5)
        order = np.argsort(-(tco2e * adoption), kind="stable")
    else:
        order = np.lexsort((abatement,))
    if options.capex_budget is None:
        picked = order[: options.top_k]
    else:
        picked_list: list[int] = []
        spent = 0.0
        for j in order:
            if len(picked_list) == options.top_k:
                break
            if spent + capex[j] > options.capex_budget:
                continue
            spent += float(capex[j])
            picked_list.append(int(j))
        picked = np.array(picked_list, dtype=np.intp)
    return Chosen(rows=rows[picked], abatement=abatement[picked], increases=increases, thin=thin)


def direction_reason(
    saved: np.ndarray, kg: np.ndarray, tco2e: float, process: float = 0.0, lang: Lang = "en"
) -> tuple[Direction, str]:
    """("decrease" | "increase", a plain sentence naming the carriers that change and the
    process emissions removed or CO2 captured), in ``lang``."""
    parts_less: list[str] = []
    parts_more: list[str] = []
    grid_more = False
    for j, value in enumerate(saved.tolist()):
        if abs(value) < 1e-9:
            continue
        c = CARRIERS[j]
        t = value * float(kg[j]) / 1000
        part = text(
            "carrier_change", lang, carrier=c.value.replace("_", " "), amount=human(abs(value)),
            unit=CANONICAL_UNIT[c], t=human(abs(t)),
        )  # fmt: skip
        (parts_less if value > 0 else parts_more).append(part)
        grid_more = grid_more or (value < 0 and c == Carrier.ELECTRICITY)
    if process > 1e-9:
        parts_less.append(text("process_removed", lang, t=human(process)))
    elif process < -1e-9:
        parts_more.append(text("process_added", lang, t=human(-process)))
    comma, semicolon = ("，", "；") if lang == "zh" else (", ", "; ")
    less = semicolon.join(parts_less) or text("nothing", lang)
    more = semicolon.join(parts_more)
    if tco2e < 0:
        sentence = text("raises_emissions", lang, t=human(-tco2e), more=more, less=less)
        if grid_more:
            note = text("dirty_grid", lang)
            sentence += f"（{note}）" if lang == "zh" else f" ({note})"
        return "increase", sentence
    sentence = text("saves", lang, parts=less)
    if more:
        sentence += comma + text("adds", lang, parts=more)
    return "decrease", sentence + semicolon + text("net_less", lang, t=human(tco2e))


def _recommendation(
    rank: int,
    measure: Measure,
    row: int,
    s: dict[str, np.ndarray],
    kg: np.ndarray,
    abatement: float,
    portfolio_tco2e: float,
    explanation: Explanation | None,
    portfolio_saved: np.ndarray | None = None,
    lang: Lang = "en",
) -> Recommendation:
    standalone = s["saved"][row]
    tco2e = float(s["tco2e"][row])
    process = float(s["process_tco2e"][row]) if "process_tco2e" in s else 0.0
    direction, reason = direction_reason(standalone, kg, tco2e, process, lang)
    capex = float(s["capex"][row])
    savings = float(s["cost_savings"][row])
    app = s.get("applicability")
    engineering = bool(s["engineering"][row]) if "engineering" in s else False
    adoption = float(s["adoption"][row])
    return Recommendation(
        rank=rank,
        measure_id=measure.id,
        name=measure_name(measure, lang),
        mechanism=measure_mechanism(measure, lang),
        family=measure.family.value,
        direction=direction,
        direction_reason=reason,
        end_uses=list(measure.end_uses),
        targeted_energy_gj=float(s["targeted_gj"][row]),
        fraction_of_end_use=float(s["fraction"][row]),
        tco2e_avoided=tco2e,
        tco2e_low=float(s["tco2e_low"][row]),
        tco2e_high=float(s["tco2e_high"][row]),
        energy_saved={c: float(v) for c, v in zip(CARRIERS, standalone, strict=True) if v},
        cost_savings_per_year=savings,
        capex=capex,
        capex_low=float(s["capex_low"][row]) if "capex_low" in s else capex,
        capex_high=float(s["capex_high"][row]) if "capex_high" in s else capex,
        payback_years=capex / savings if savings > 0 else None,
        abatement_cost_per_tco2e=None if math.isnan(abatement) else abatement,
        adoption_probability=None if math.isnan(adoption) else adoption,
        recommendation_probability=None
        if app is None or math.isnan(float(app[row]))
        else float(app[row]),
        basis="engineering" if engineering else "learned",
        basis_note=text("engineering_note", lang) if engineering else "",
        process_tco2e_avoided=process,
        maturity=measure.route.maturity if measure.route is not None else None,
        evidence_outcomes=None if engineering or "evidence" not in s else int(s["evidence"][row]),
        evidence_outcomes_in_sector=None
        if engineering or "evidence_sector" not in s
        else int(s["evidence_sector"][row]),
        portfolio_tco2e_avoided=portfolio_tco2e,
        portfolio_energy_saved={}
        if portfolio_saved is None
        else {c: float(v) for c, v in zip(CARRIERS, portfolio_saved, strict=True) if v},
        explanation=None if engineering else explanation,
    )


@dataclass(frozen=True)
class Stacked:
    """One factory's footprint, its returned measures stacked in rank order and its pathway's
    plan and stack."""

    footprint: Footprint
    portfolio: Stack
    plan: PathwayPlan
    pathway: Stack


def stack_factories(
    profiles: list[FactoryProfile],
    cells_gj: np.ndarray,
    found: Pairs,
    chosen: list[Chosen],
    s: dict[str, np.ndarray],
    kg: np.ndarray,
    catalogue: Catalogue,
    table: FactorTable,
    all_rows: list[np.ndarray],
    options: RecommendOptions,
    lifetimes: np.ndarray | None,
) -> list[Stacked]:
    """Footprints, portfolios and pathway stacks of a batch of factories, stacked together
    (:func:`stack_batch`)."""
    footprints = [compute_footprint(p, table) for p in profiles]
    scope1 = np.array([f.scope1_tco2e for f in footprints])
    plans = [pathway_plan(found, s, catalogue, rows, options, lifetimes) for rows in all_rows]
    trials = stack_batch([p.efficiency for p in plans], profiles, cells_gj, found, s, kg,
                         catalogue, scope1)  # fmt: skip
    plans = [
        choose_programme(p, t, s, s["factory_prices"][i])
        for i, (p, t) in enumerate(zip(plans, trials, strict=True))
    ]
    portfolios = stack_batch([c.rows for c in chosen], profiles, cells_gj, found, s, kg,
                             catalogue, scope1)  # fmt: skip
    pathways = stack_batch([p.sequence for p in plans], profiles, cells_gj, found, s, kg,
                           catalogue, scope1)  # fmt: skip
    return [Stacked(*parts) for parts in zip(footprints, portfolios, plans, pathways, strict=True)]


def assemble_factory(
    profile: FactoryProfile,
    found: Pairs,
    chosen: Chosen,
    s: dict[str, np.ndarray],
    kg: np.ndarray,
    explanations: list[Explanation],
    catalogue: Catalogue,
    table: FactorTable,
    currency: str,
    warnings: list[str],
    n_candidates: int,
    stacked: Stacked,
    input_warnings: list[InputWarning] | None = None,
    options: RecommendOptions | None = None,
    prices: np.ndarray | None = None,
    shares: np.ndarray | None = None,
) -> FactoryRecommendations:
    """Everything returned for one factory (``prices``: its carriers' prices in ``currency``
    per canonical unit, as the savings were valued; ``stacked``: its footprint, portfolio and
    pathway stacks, :func:`stack_factories`; ``shares``: its end-use share tensor).

    Portfolio: each ranked measure acts on what the measures above it left of its end uses;
    its net effect shrinks in proportion, and the end-use cells it acts on shrink by the share
    it displaces.
    """
    lang: Lang = options.lang if options is not None else "en"
    footprint, stack = stacked.footprint, stacked.portfolio
    recs = [
        _recommendation(
            rank,
            catalogue.measures[str(found.keys[row])],
            int(row),
            s,
            kg,
            float(chosen.abatement[rank - 1]),
            float(stack.tco2e[rank - 1]),
            explanations[rank - 1] if explanations else None,
            stack.saved[rank - 1],
            lang,
        )
        for rank, row in enumerate(chosen.rows, start=1)
    ]
    apart = [
        [
            _recommendation(
                0, catalogue.measures[str(found.keys[row])], int(row), s, kg, math.nan, 0.0,
                None, None, lang,
            )
            for row in group
        ]
        for group in (chosen.increases, chosen.thin)
    ]  # fmt: skip
    inferred = profile.inferred_route()  # None when production[] is declared or nothing fits
    if inferred is not None:
        recs, apart = (
            _on_inferred_route(recs, inferred, lang),
            [_on_inferred_route(group, inferred, lang) for group in apart],
        )
    return FactoryRecommendations(
        factory_id=profile.factory_id,
        currency=currency,
        lang=lang,
        footprint=localised_footprint(footprint, lang),
        recommendations=recs,
        market_instruments=market_instruments(profile, stack.remaining, footprint, catalogue, lang),
        pathway=pathway_to_zero(
            profile,
            kg,
            footprint,
            options,
            stacked.plan,
            stacked.pathway,
            *_pathway_money(stacked, found, s, catalogue, kg, footprint, lang),
        ),
        portfolio=_portfolio_summary(recs, stack, footprint, s, chosen.rows, lang),
        emission_increases=apart[0],
        not_enough_evidence=[
            r.model_copy(
                update={"evidence_note": _thin_note(r, catalogue.measures[r.measure_id], lang)}
            )
            for r in apart[1]
        ],
        input_warnings=[
            w.model_copy(update={"message": translate(w.message, lang)})
            for w in input_warnings or []
        ],
        end_use_balance=end_use_balance(profile, shares),
        prices=[] if prices is None else prices_used(profile, prices, currency),
        readiness=zero_carbon_readiness(profile, footprint, lang),
        candidates_considered=n_candidates,
        factor_table_version=table.version,
        catalogue_version=catalogue.version,
        warnings=[translate(w, lang) for w in warnings]
        + ([inferred.warning(lang)] if inferred is not None else []),
    )


def _on_inferred_route(
    recs: list[Recommendation], inferred: InferredRoute, lang: Lang
) -> list[Recommendation]:
    """Route measures (engineering estimates) marked as resting on an inferred route."""
    sep = "；" if lang == "zh" else "; "
    return [
        r.model_copy(update={"basis_note": r.basis_note + sep + inferred.note(lang)})
        if r.basis == "engineering"
        else r
        for r in recs
    ]


def prices_used(profile: FactoryProfile, row: np.ndarray, currency: str) -> list[PriceUsed]:
    """The price (``row``, per carrier in ``currency``) of every carrier the factory uses, with
    its source."""
    sources = price_sources(profile)
    return [
        PriceUsed(carrier=c, price=float(row[j]), unit=f"{currency}/{CANONICAL_UNIT[c]}",
                  source=sources[c])
        for j, c in enumerate(CARRIERS)
        if profile.energy(c) > 0
    ]  # fmt: skip


def localised_footprint(footprint: Footprint, lang: Lang) -> Footprint:
    """The footprint with its notes in ``lang`` (numbers, ids and cited sources unchanged)."""
    if lang == "en":
        return footprint
    market = footprint.market_based
    residual = market.residual_factor
    return footprint.model_copy(
        update={
            "notes": [translate(n, lang) for n in footprint.notes],
            "by_carrier": [
                e.model_copy(
                    update={"factor": e.factor.model_copy(
                        update={"note": translate(e.factor.note, lang)})}
                )
                for e in footprint.by_carrier
            ],
            "market_based": market.model_copy(
                update={"residual_factor": residual.model_copy(
                    update={"note": translate(residual.note, lang)})}
            ),
        }
    )  # fmt: skip


def _thin_note(r: Recommendation, measure: Measure, lang: Lang = "en") -> str:
    """Why a measure is listed apart, with the catalogue's published range where there is one."""
    note = text("thin_note", lang, n=r.evidence_outcomes, n_sector=r.evidence_outcomes_in_sector)
    t = measure.typical_saving
    if t is not None:
        rng = text(
            "thin_range", lang, low=f"{t.low:.3g}", high=f"{t.high:.3g}", of=t.of,
            source=t.source[:160],
        )  # fmt: skip
        note += ("；" if lang == "zh" else "; ") + rng
    return note


@dataclass(frozen=True)
class Stack:
    """Measures applied one after another: each one's energy saved per carrier and tCO2e (on
    the location basis) given the ones before it, and what is left of each carrier."""

    saved: np.ndarray  # (rows, carriers) canonical units
    tco2e: np.ndarray  # (rows,)
    process: np.ndarray  # (rows,) process emissions removed or CO2 captured
    remaining: np.ndarray  # (carriers,) energy left after all rows


def stack_batch(
    sequences: list[np.ndarray],
    profiles: list[FactoryProfile],
    cells_gj: np.ndarray,
    found: Pairs,
    s: dict[str, np.ndarray],
    kg: np.ndarray,
    catalogue: Catalogue,
    scope1_tco2e: np.ndarray,
) -> list[Stack]:
    """Each factory's rows (``sequences[i]``, in order) applied one after another: each row
    acts on what the rows before it left of its end uses: its net effect shrinks in proportion
    and the cells it acts on shrink by the share it displaces; no carrier saves more than is
    left of it, and process-side effects (route changes, capture) no more than the direct
    emissions left (``scope1_tco2e``). ``cells_gj`` is (factories, carriers, end uses) energy
    in GJ, ``kg`` (factories, carriers) kg CO2e per canonical unit.

    The recurrence runs compiled (:func:`_stack_kernel`); each factory's numbers are its own."""
    n, longest = len(sequences), max((len(q) for q in sequences), default=0)
    arrays = catalogue.arrays
    padded = np.zeros((n, longest), dtype=np.intp)
    lengths = np.array([len(q) for q in sequences], dtype=np.int64)
    for i, q in enumerate(sequences):
        padded[i, : len(q)] = q
    measure = arrays.rows(found.keys[padded.ravel()]).reshape(n, longest)
    base = np.array([[p.energy(c) for c in CARRIERS] for p in profiles], dtype=float)
    scope1 = np.array([c not in (Carrier.ELECTRICITY, Carrier.PURCHASED_HEAT) for c in CARRIERS])
    has_process = "process_tco2e" in s
    saved, tco2e, process, left = _stack_kernel(
        lengths,
        np.ascontiguousarray(arrays.reduced[measure]),
        np.ascontiguousarray(arrays.end_uses[measure]),
        np.ascontiguousarray(cells_gj, dtype=float),
        base.reshape(n, len(CARRIERS)),
        np.ascontiguousarray(s["saved"][padded], dtype=float),
        np.ascontiguousarray(s["fraction"][padded], dtype=float),
        np.ascontiguousarray(
            s["process_tco2e"][padded] if has_process else np.zeros((n, longest)), dtype=float
        ),
        np.ascontiguousarray(kg, dtype=float),
        scope1,
        np.array(scope1_tco2e, dtype=float),
        np.ascontiguousarray(arrays.pool[measure]),
        arrays.pool_end_uses,
        arrays.pool_ceiling,
        np.ascontiguousarray(arrays.plant_wide[measure]),
        arrays.plant_ceiling,
    )
    return [
        Stack(saved[i, : len(q)], tco2e[i, : len(q)], process[i, : len(q)], left[i])
        for i, q in enumerate(sequences)
    ]


def compile_kernels() -> None:
    """Compile :func:`_stack_kernel` for the types :func:`stack_batch` passes (numba keeps it on
    disk after the first time), so no request waits for it."""
    c, e = len(CARRIERS), len(EndUse)
    _stack_kernel(
        np.zeros(0, dtype=np.int64), np.zeros((0, 0, c), dtype=bool),
        np.zeros((0, 0, e), dtype=bool), np.zeros((0, c, e)), np.zeros((0, c)),
        np.zeros((0, 0, c)), np.zeros((0, 0)), np.zeros((0, 0)), np.zeros((0, c)),
        np.zeros(c, dtype=bool), np.zeros(0), np.zeros((0, 0), dtype=np.int64),
        np.zeros((0, e), dtype=bool), np.zeros(0), np.zeros((0, 0), dtype=bool), 1.0,
    )  # fmt: skip


@numba.njit(cache=True)
def _stack_kernel(
    lengths: np.ndarray,
    reduced: np.ndarray,
    end_uses: np.ndarray,
    cells: np.ndarray,
    base: np.ndarray,
    row_saved: np.ndarray,
    row_fraction: np.ndarray,
    row_process: np.ndarray,
    kg: np.ndarray,
    scope1: np.ndarray,
    direct: np.ndarray,
    pool: np.ndarray,
    pool_end_uses: np.ndarray,
    pool_ceiling: np.ndarray,
    plant_wide: np.ndarray,
    plant_ceiling: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`stack_batch`'s arithmetic, factory by factory and row by row (a sequential
    recurrence: each row acts on what the rows before it left). Per factory ``f`` and step
    ``k``: ``reduced[f, k]`` (carriers) and ``end_uses[f, k]`` (end uses) say which cells the
    row acts on, ``row_saved`` its standalone saving per carrier, ``row_fraction`` the share of
    those cells it displaces, ``row_process`` its process-side tCO2e, ``pool[f, k]`` the pool
    it shares savings in (-1 none). A pool saves at most ``pool_ceiling`` of the energy of its
    end uses (``pool_end_uses``) per carrier, with diminishing returns: a member whose saving
    would be ``s`` adds ``h (1 - exp(-s / h))`` where ``h`` is what the pool has left. Rows with
    ``plant_wide[f, k]`` (efficiency measures) then share the plant's ceiling the same way:
    ``plant_ceiling`` of each carrier."""
    n, longest, n_c = row_saved.shape
    n_e = cells.shape[2]
    saved = np.zeros((n, longest, n_c))
    tco2e = np.zeros((n, longest))
    process = np.zeros((n, longest))
    left = np.zeros((n, n_c))
    original_c = np.empty(n_c)
    left_c = np.empty(n_c)
    n_p = pool_ceiling.shape[0]
    for f in range(n):
        remaining = cells[f].copy()
        total = np.zeros(n_c)
        direct_left = direct[f]
        # What each pool may still save, per carrier, in the carrier's canonical unit (cells
        # are GJ; base is canonical).
        head = np.zeros((n_p, n_c))
        for c in range(n_c):
            gj = 0.0
            for e in range(n_e):
                gj += cells[f, c, e]
            unit = base[f, c] / gj if gj > 0 else 0.0
            for q in range(n_p):
                for e in range(n_e):
                    if pool_end_uses[q, e]:
                        head[q, c] += cells[f, c, e]
                head[q, c] *= pool_ceiling[q] * unit
        plant = base[f] * plant_ceiling  # what efficiency may still save, per carrier
        for k in range(lengths[f]):
            original, remains = 0.0, 0.0
            for c in range(n_c):
                o, r = 0.0, 0.0
                if reduced[f, k, c]:
                    for e in range(n_e):
                        if end_uses[f, k, e]:
                            o += cells[f, c, e]
                            r += remaining[c, e]
                original_c[c], left_c[c] = o, r
                original += o
                remains += r
            # Per carrier: what is left of the cells it acts on; added energy shrinks with the
            # total.
            overall = remains / original if original > 0 else 0.0
            t, scope1_t = 0.0, 0.0
            q = pool[f, k]
            asked, given = 0.0, 0.0
            for c in range(n_c):
                scale = left_c[c] / original_c[c] if original_c[c] > 0 else overall
                # On-site generation and efficiency together cannot save more of a carrier
                # than is left.
                step = min(row_saved[f, k, c] * scale, max(base[f, c] - total[c], 0.0))
                if step > 0 and (q >= 0 or plant_wide[f, k]):
                    asked += step
                    if q >= 0:
                        h = head[q, c]
                        step = h * (1.0 - np.exp(-step / h)) if h > 0 else 0.0
                        head[q, c] -= step
                    if plant_wide[f, k]:
                        h = plant[c]
                        step = h * (1.0 - np.exp(-step / h)) if h > 0 else 0.0
                        plant[c] -= step
                    given += step
                saved[f, k, c] = step
                total[c] += step
                t += step * kg[f, c]
                if scope1[c]:
                    scope1_t += step * kg[f, c]
            # A pooled row displaces less of its cells when its pools gave it less.
            shrink = 1 - row_fraction[f, k] * (given / asked if asked > 0 else 1.0)
            for c in range(n_c):
                if reduced[f, k, c]:
                    for e in range(n_e):
                        if end_uses[f, k, e]:
                            remaining[c, e] *= shrink
            direct_left -= scope1_t / 1000
            taken = min(row_process[f, k], max(direct_left, 0.0))
            direct_left -= taken
            process[f, k] = taken
            tco2e[f, k] = t / 1000 + taken
        for c in range(n_c):
            left[f, c] = max(base[f, c] - total[c], 0.0)
    return saved, tco2e, process, left


#: Measures that generate renewable energy on site (their step in the pathway).
ONSITE_RENEWABLE = ("pv", "wind_hydro", "solar_thermal")
ONSITE_MEASURES = ("green_microgrid_storage",)
MARKET_NOTE = text("market_note")


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


def pathway_plan(
    found: Pairs,
    s: dict[str, np.ndarray],
    catalogue: Catalogue,
    rows: np.ndarray | None,
    options: RecommendOptions,
    lifetimes: np.ndarray | None = None,
) -> PathwayPlan:
    """Every beneficial physical measure of ``rows`` in order of abatement cost, split into
    efficiency (technology upgrades and management that only save), structural change (fuel
    switching, electrification, route changes), on-site renewables with the microgrid, and CO2
    capture (independent of ``top_k`` and ``objective``). The sequence holds every efficiency
    candidate until :func:`choose_programme` keeps the programme."""
    candidates = np.arange(0, dtype=np.intp) if rows is None else rows
    if lifetimes is None:
        lifetimes = catalogue.arrays.lifetime[catalogue.arrays.rows(found.keys)]
    full = options.model_copy(
        update={"objective": "lowest_cost_per_tco2e", "top_k": 10**6, "capex_budget": None}
    )
    ordered = rank_rows(candidates, lifetimes, s, full, options.min_evidence).rows
    conversion = np.array([found.conversions[r] for r in ordered], dtype=object)
    keys = found.keys[ordered].astype(str)
    onsite = np.isin(conversion, ONSITE_RENEWABLE) | np.isin(keys, ONSITE_MEASURES)
    capture = np.array([_captures(catalogue.measures[k]) for k in keys], dtype=bool)
    capture &= ~onsite
    structural = np.array([_structural(catalogue.measures[k]) for k in keys], dtype=bool).reshape(
        -1
    )
    structural &= ~onsite & ~capture
    efficiency = ~onsite & ~capture & ~structural
    eff, struct, site, cap = (
        ordered[m].astype(np.intp) for m in (efficiency, structural, onsite, capture)
    )
    return _plan(eff, eff, struct, site, cap, options.programme_payback_years)


def _plan(
    programme: np.ndarray,
    efficiency: np.ndarray,
    structural: np.ndarray,
    onsite: np.ndarray,
    capture: np.ndarray,
    payback_years: float,
) -> PathwayPlan:
    # Efficiency first, then structural change on what it left, on-site supply, then capture
    # on what is left (CCUS).
    sequence = np.concatenate([programme, structural, onsite, capture]).astype(np.intp)
    return PathwayPlan(
        sequence, len(programme) + len(structural), len(onsite), len(programme), efficiency,
        structural, onsite, capture, payback_years,
    )  # fmt: skip


def _structural(measure: Measure) -> bool:
    """Fuel switching, electrification and route changes: measures that change what energy is
    used (a conversion), or a production route, rather than only using less of it."""
    route = measure.route
    return measure.conversion is not None or (
        route is not None and (route.to_route is not None or route.replace_with is not None)
    )


def choose_programme(
    plan: PathwayPlan, trial: Stack, s: dict[str, np.ndarray], prices: np.ndarray
) -> PathwayPlan:
    """The efficiency programme out of ``plan.efficiency`` stacked alone (``trial``): each
    measure kept when it avoids emissions and its simple payback on the saving it adds after
    the ones before it (its cost savings scaled by what stacking left of its energy, valued at
    the factory's ``prices`` per carrier) is within ``plan.payback_years``."""
    rows = plan.efficiency
    if not len(rows):
        return plan
    alone = (s["saved"][rows] * prices).sum(axis=1)
    together = (trial.saved[: len(rows)] * prices).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(alone > 0, together / alone, 0.0)
        adds = s["cost_savings"][rows] * share
        payback = np.where(adds > 0, s["capex"][rows] / adds, np.inf)
    keep = (trial.tco2e[: len(rows)] > MIN_TCO2E) & (payback <= plan.payback_years)
    return _plan(rows[keep], rows, plan.structural, plan.onsite, plan.capture, plan.payback_years)


def pathway_to_zero(
    profile: FactoryProfile,
    kg: np.ndarray,
    footprint: Footprint,
    options: RecommendOptions | None,
    plan: PathwayPlan,
    stack: Stack,
    programme: list[ProgrammeMeasure] | None = None,
    capex: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0),
) -> Pathway:
    """From today's net market-based footprint to the gap to a zero-carbon factory, on one
    stated basis and independent of ``top_k`` and ``objective``: every beneficial physical
    measure in order of abatement cost (each acting on what the ones before left), then on-site
    renewables and the microgrid, green-electricity contracts for the grid electricity left
    (net of contracts and certificates the factory already has), CO2 capture and storage on the
    direct emissions left, the offsets the factory retires, then the residual. ``plan``: the
    factory's :func:`pathway_plan`; ``stack``: its rows stacked (:func:`stack_batch`)."""
    options = options or RecommendOptions()
    market = footprint.market_based
    # Electricity on the market basis: the residual-mix factor; other carriers as located.
    kg_market = kg.copy()
    kg_market[ELECTRICITY] = market.residual_factor.kgco2e_per_unit
    sequence, n_phys, n_onsite = plan.sequence, plan.n_physical, plan.n_onsite
    n_prog = plan.n_programme
    steps = (
        slice(0, n_prog), slice(n_prog, n_phys), slice(n_phys, n_phys + n_onsite),
        slice(n_phys + n_onsite, None),
    )  # fmt: skip

    def market_t(part: slice) -> float:
        saved = stack.saved[part].sum(axis=0)
        return float((saved * kg_market).sum() / 1000) + float(stack.process[part].sum())

    efficiency, structural, renewables, ccus = (market_t(part) for part in steps)
    physical = efficiency + structural
    programme = programme or []
    prog_saved = stack.saved[steps[0]].sum(axis=0)
    used = np.array([profile.energy(c) for c in CARRIERS], dtype=float)
    prog_capex = float(sum(m.capex for m in programme))
    prog_savings = float(sum(m.cost_savings_per_year for m in programme))
    elec = ELECTRICITY
    grid_left = float(stack.remaining[elec])
    already = profile.green_electricity_contract_kwh + profile.green_certificates_kwh
    uncovered = max(grid_left - already, 0.0)
    # The rest of the grid electricity: green contracts for the share the options name,
    # unbundled certificates for the remainder, both at the residual-mix factor they displace.
    contract_kwh = uncovered * options.green_contract_share
    certificate_kwh = uncovered - contract_kwh
    green = contract_kwh * kg_market[elec] / 1000
    certificates = certificate_kwh * kg_market[elec] / 1000
    baseline = footprint.net_market_tco2e
    after_physical = baseline - physical
    after_renewables = after_physical - renewables
    after_green = after_renewables - green - certificates
    after_ccus = after_green - ccus
    offsets = min(profile.offsets_tco2e, max(after_ccus, 0.0))
    residual = after_ccus - offsets
    target = None
    if options.target_reduction is not None:
        target = baseline * (1 - options.target_reduction)
    notes = []
    if footprint.scope2_market_tco2e > footprint.scope2_location_tco2e + 1e-9:
        notes.append(text("market_note", options.lang))
    if profile.offsets_tco2e > 0:
        notes.append(text("offsets_note", options.lang))
    return Pathway(
        basis=text("pathway_basis", options.lang),
        baseline_tco2e=baseline,
        baseline_location_tco2e=footprint.net_location_tco2e,
        scope1_tco2e=footprint.scope1_tco2e,
        scope2_location_tco2e=footprint.scope2_location_tco2e,
        scope2_market_tco2e=footprint.scope2_market_tco2e,
        process_tco2e=footprint.process_tco2e,
        removals_tco2=footprint.removals_tco2,
        measures_counted=len(sequence),
        physical_measures_tco2e=physical,
        efficiency_programme=programme,
        efficiency_programme_tco2e=efficiency,
        efficiency_programme_capex=prog_capex,
        efficiency_programme_cost_savings_per_year=prog_savings,
        efficiency_programme_payback_years=prog_capex / prog_savings if prog_savings > 0 else None,
        efficiency_programme_energy_saved={
            c: float(v)
            for c, v in zip(CARRIERS, prog_saved, strict=True)
            if used[CARRIERS.index(c)] > 0
        },
        efficiency_programme_energy_share={
            c: float(v / u) for c, v, u in zip(CARRIERS, prog_saved, used, strict=True) if u > 0
        },
        programme_payback_years=plan.payback_years,
        efficiency_measures_beyond_payback=len(plan.efficiency) - n_prog,
        structural_measures=n_phys - n_prog,
        structural_tco2e=structural,
        structural_capex=capex[1],
        onsite_renewables_measures=n_onsite,
        onsite_renewables_capex=capex[2],
        ccus_capex=capex[3],
        portfolio_process_tco2e_avoided=float(stack.process.sum()),
        after_physical_measures_tco2e=after_physical,
        onsite_renewables_tco2e=renewables,
        after_onsite_renewables_tco2e=after_renewables,
        grid_electricity_left_kwh=grid_left,
        green_electricity_already_covered_kwh=min(already, grid_left),
        green_electricity_to_contract_kwh=contract_kwh,
        green_electricity_tco2e=green,
        certificates_kwh=certificate_kwh,
        certificates_tco2e=certificates,
        after_green_electricity_tco2e=after_green,
        ccus_measures=len(sequence) - n_phys - n_onsite,
        ccus_tco2=ccus,
        after_ccus_tco2e=after_ccus,
        offsets_tco2e=offsets,
        residual_tco2e=residual,
        gap_to_zero_carbon_tco2e=max(residual, 0.0),
        target_tco2e=target,
        gap_to_target_tco2e=None if target is None else max(residual - target, 0.0),
        notes=notes,
    )


def _pathway_money(
    stacked: Stacked,
    found: Pairs,
    s: dict[str, np.ndarray],
    catalogue: Catalogue,
    kg: np.ndarray,
    footprint: Footprint,
    lang: Lang,
) -> tuple[list[ProgrammeMeasure], tuple[float, float, float, float]]:
    """The efficiency programme's measures as they act in the pathway (what each adds after the
    ones before it), and the capex of each pathway step (programme, structural, on-site, CCUS)
    in the answer's currency."""
    plan, stack = stacked.plan, stacked.pathway
    kg_market = kg.copy()
    kg_market[ELECTRICITY] = footprint.market_based.residual_factor.kgco2e_per_unit
    prices = (
        s["factory_prices"][int(found.factory_index[plan.sequence[0]])]
        if len(plan.sequence)
        else None
    )
    programme = []
    for k, row in enumerate(plan.sequence[: plan.n_programme].tolist()):
        measure = catalogue.measures[str(found.keys[row])]
        alone = float((s["saved"][row] * prices).sum()) if prices is not None else 0.0
        together = float((stack.saved[k] * prices).sum()) if prices is not None else 0.0
        adds = float(s["cost_savings"][row]) * (together / alone if alone > 0 else 0.0)
        capex = float(s["capex"][row])
        pool = catalogue.pool_of(measure.id)
        programme.append(
            ProgrammeMeasure(
                order=k + 1,
                measure_id=measure.id,
                name=measure_name(measure, lang),
                tco2e_avoided=float((stack.saved[k] * kg_market).sum() / 1000)
                + float(stack.process[k]),
                capex=capex,
                cost_savings_per_year=adds,
                payback_years=capex / adds if adds > 0 else None,
                pool=None if pool is None else pool.id,
            )
        )
    n_prog, n_phys, n_onsite = plan.n_programme, plan.n_physical, plan.n_onsite
    capex_of = s["capex"][plan.sequence] if len(plan.sequence) else np.zeros(0)
    steps = (
        float(capex_of[:n_prog].sum()), float(capex_of[n_prog:n_phys].sum()),
        float(capex_of[n_phys : n_phys + n_onsite].sum()),
        float(capex_of[n_phys + n_onsite :].sum()),
    )  # fmt: skip
    return programme, steps


def _portfolio_summary(
    recs: list[Recommendation],
    stack: Stack,
    footprint: Footprint,
    s: dict[str, np.ndarray],
    rows: np.ndarray,
    lang: Lang,
) -> PortfolioSummary:
    """The listed measures together beside their standalone figures added up."""
    standalone = float(sum(r.tco2e_avoided for r in recs))
    combined = float(sum(r.portfolio_tco2e_avoided for r in recs))
    base = footprint.net_location_tco2e
    saved = stack.saved.sum(axis=0) if len(recs) else np.zeros(len(CARRIERS))
    return PortfolioSummary(
        measures=len(recs),
        standalone_sum_tco2e=standalone,
        combined_tco2e=combined,
        combined_share_of_footprint=combined / base if base > 0 else 0.0,
        combined_energy_saved={
            c: float(v) for c, v in zip(CARRIERS, saved, strict=True) if abs(v) > 0
        },
        capex=float(s["capex"][rows].sum()) if len(rows) else 0.0,
        note=text(
            "portfolio_note",
            lang,
            n=len(recs),
            standalone=human(standalone),
            combined=human(combined),
            share=f"{(combined / base if base > 0 else 0.0):.1%}",
        ),
    )


def _captures(measure: Measure) -> bool:
    """Whether the measure captures CO2 for storage (CCUS): a removals step of the pathway."""
    return measure.route is not None and measure.route.capture is not None


def market_instruments(
    profile: FactoryProfile,
    remaining: np.ndarray,
    footprint: Footprint,
    catalogue: Catalogue,
    lang: Lang = "en",
) -> list[MarketInstrument]:
    """Green electricity and certificates for the grid electricity left after the portfolio and
    not already covered, valued on the market basis they claim (the residual-mix factor the
    market-based footprint uses)."""
    grid_kwh = max(
        float(remaining[ELECTRICITY])
        - profile.green_electricity_contract_kwh
        - profile.green_certificates_kwh,
        0.0,
    )
    factor = footprint.market_based.residual_factor.kgco2e_per_unit
    out = []
    for m in catalogue.measures.values():
        if m.reduction_kind == "physical" or m.id in profile.measures_in_place:
            continue
        out.append(
            MarketInstrument(
                measure_id=m.id,
                name=measure_name(m, lang),
                reduction_kind=m.reduction_kind,
                covers_electricity_kwh=grid_kwh,
                market_based_tco2e_avoided=grid_kwh * factor / 1000,
                note=text(
                    "certificate_note" if m.reduction_kind == "certificate" else "contract_note",
                    lang,
                ),
            )
        )
    return out
