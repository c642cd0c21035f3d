"""One factory's answer from its scored and stacked rows: each recommendation with its reason,
the portfolio, market instruments, the pathway, prices, balance and readiness, in the
requested language. Measures that would raise emissions are listed apart with the reason.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from features.accounting.footprint import Footprint
from features.accounting.prices import price_sources
from features.accounting.readiness import zero_carbon_readiness
from features.carriers import CARRIERS, ELECTRICITY
from features.catalogue.measures import Catalogue, Measure, measure_mechanism, measure_name
from features.domain import InputWarning
from features.enduses.balance import end_use_balance
from features.i18n import Lang, human
from features.messages import COMMA, EMPTY, SEMICOLON, Message
from features.process_routes.inference import InferredRoute
from features.profile import FactoryProfile
from features.units import CANONICAL_UNIT, Carrier, from_canonical
from models.pathway import Stacked, pathway_to_zero
from models.ranking import Chosen
from models.schemas import (
    Direction,
    Explanation,
    FactoryRecommendations,
    MarketInstrument,
    PortfolioSummary,
    PriceUsed,
    Recommendation,
)
from models.scores import Batch


@dataclass(frozen=True)
class FactoryParts:
    """What the request worked out for factory ``index`` of a batch before its answer is put
    together: its ranked rows, their stacks, the explanations of the ranked rows (rank order;
    empty when not asked for), the answer's warnings (rendered in the answer's language here)
    and the profile's input warnings."""

    index: int
    chosen: Chosen
    stacked: Stacked
    explanations: list[Explanation]
    warnings: list[Message]
    input_warnings: list[InputWarning]


@dataclass(frozen=True)
class _Placed:
    """Where a recommendation sits: its rank (0: listed apart), abatement cost, tCO2e and
    energy saved in the portfolio after the ones above it, and its explanation."""

    rank: int = 0
    abatement: float = math.nan
    portfolio_tco2e: float = 0.0
    explanation: Explanation | None = None
    portfolio_saved: np.ndarray | None = None


def direction_reason(  # noqa: PLR0913  (the sentence's six inputs, read once per row)
    saved: np.ndarray,
    kg: np.ndarray,
    tco2e: float,
    process: float = 0.0,
    *,
    lang: Lang = "en",
    units: Mapping[Carrier, str] | None = None,
) -> tuple[Direction, Message]:
    """("decrease" | "increase", a plain sentence naming the carriers that change and the
    process emissions removed or CO2 captured), in ``lang``; a carrier's energy in its unit of
    ``units`` (:meth:`FactoryProfile.shown_units`: as typed, or a US plant's MWh and MMBtu),
    else in its canonical unit."""
    parts_less: list[Message] = []
    parts_more: list[Message] = []
    grid_more = False
    for j, value in enumerate(saved.tolist()):
        if abs(value) < 1e-9:
            continue
        c = CARRIERS[j]
        t = value * float(kg[j]) / 1000
        amount, unit = _in_unit(c, abs(value), (units or {}).get(c))
        part = Message(
            "carrier_change",
            lang,
            carrier=c.value.replace("_", " "),
            amount=amount,
            unit=unit,
            t=human(abs(t)),
        )
        (parts_less if value > 0 else parts_more).append(part)
        grid_more = grid_more or (value < 0 and c == Carrier.ELECTRICITY)
    if process > 1e-9:
        parts_less.append(Message("process_removed", lang, t=human(process)))
    elif process < -1e-9:
        parts_more.append(Message("process_added", lang, t=human(-process)))
    less = Message.joined(parts_less, lang=lang) if parts_less else Message("nothing", lang)
    more = Message.joined(parts_more, lang=lang)
    if tco2e < 0:
        sentence = Message("raises_emissions", lang, t=human(-tco2e), more=more, less=less)
        if grid_more:
            sentence = Message("with_note", lang, sentence=sentence, note=Message("dirty_grid"))
        return "increase", sentence
    saves = Message("saves", lang, parts=less)
    if more:
        saves = Message.joined([saves, Message("adds", lang, parts=more)], COMMA)
    return "decrease", Message.joined([saves, Message("net_less", lang, t=human(tco2e))])


def _in_unit(carrier: Carrier, value: float, unit: str | None) -> tuple[str, str]:
    """(amount, unit) of ``value`` (canonical unit) in ``unit`` as the plant gave it (万kWh stays
    万kWh in either language, so a sentence reads the same numbers in both); its canonical unit
    when the plant gave none."""
    if unit is None:
        return human(value), CANONICAL_UNIT[carrier]
    return human(from_canonical(carrier, value, unit)), unit


def _recommendation(batch: Batch, i: int, row: int, placed: _Placed) -> Recommendation:
    """Candidate ``row`` of factory ``i`` as returned."""
    s, lang = batch.scores, batch.options.lang
    measure = batch.catalogue.measures[str(batch.found.keys[row])]
    standalone = s.saved[row]
    tco2e = float(s.tco2e[row])
    process = float(s.process_tco2e[row])
    direction, reason = direction_reason(
        standalone, batch.kg[i], tco2e, process, lang=lang, units=batch.units[i]
    )
    capex = float(s.capex[row])
    savings = float(s.cost_savings[row])
    app = s.applicability
    engineering = bool(s.engineering[row])
    adoption = float(s.adoption[row])
    abatement = placed.abatement
    return Recommendation(
        rank=placed.rank,
        measure_id=measure.id,
        name=measure_name(measure, lang),
        mechanism=measure_mechanism(measure, lang),
        family=measure.family.value,
        direction=direction,
        direction_reason=reason,
        end_uses=list(measure.end_uses),
        targeted_energy_gj=float(s.targeted_gj[row]),
        fraction_of_end_use=float(s.fraction[row]),
        tco2e_avoided=tco2e,
        tco2e_low=float(s.tco2e_low[row]),
        tco2e_high=float(s.tco2e_high[row]),
        energy_saved={c: float(v) for c, v in zip(CARRIERS, standalone, strict=True) if v},
        cost_savings_per_year=savings,
        capex=capex,
        capex_low=float(s.capex_low[row]) if s.capex_low is not None else capex,
        capex_high=float(s.capex_high[row]) if s.capex_high is not None else capex,
        payback_years=capex / savings if savings > 0 else None,
        abatement_cost_per_tco2e=None if math.isnan(abatement) else abatement,
        adoption_probability=None if math.isnan(adoption) else adoption,
        recommendation_probability=None
        if app is None or math.isnan(float(app[row]))
        else float(app[row]),
        basis="engineering" if engineering else "learned",
        basis_note=Message("engineering_note", lang) if engineering else EMPTY,
        process_tco2e_avoided=process,
        maturity=measure.route.maturity if measure.route is not None else None,
        evidence_outcomes=None if engineering else int(s.evidence[row]),
        evidence_outcomes_in_sector=None if engineering else int(s.evidence_sector[row]),
        portfolio_tco2e_avoided=placed.portfolio_tco2e,
        portfolio_energy_saved={}
        if placed.portfolio_saved is None
        else {c: float(v) for c, v in zip(CARRIERS, placed.portfolio_saved, strict=True) if v},
        explanation=None if engineering else placed.explanation,
    )


def _listed(
    batch: Batch, parts: FactoryParts, inferred: InferredRoute | None
) -> tuple[list[Recommendation], list[Recommendation], list[Recommendation]]:
    """(ranked, raising emissions, too little evidence) recommendations of one factory, the
    route measures marked when they rest on an ``inferred`` route."""
    i, chosen, stack = parts.index, parts.chosen, parts.stacked.portfolio
    lang, explanations = batch.options.lang, parts.explanations
    recs = [
        _recommendation(
            batch,
            i,
            int(row),
            _Placed(
                rank,
                float(chosen.abatement[rank - 1]),
                float(stack.tco2e[rank - 1]),
                explanations[rank - 1] if explanations else None,
                stack.saved[rank - 1],
            ),
        )
        for rank, row in enumerate(chosen.rows, start=1)
    ]
    increases, thin = (
        [_recommendation(batch, i, int(row), _Placed()) for row in group]
        for group in (chosen.increases, chosen.thin)
    )
    if inferred is not None:
        recs, increases, thin = (
            _on_inferred_route(group, inferred, lang) for group in (recs, increases, thin)
        )
    return recs, increases, thin


def assemble_factory(batch: Batch, parts: FactoryParts) -> FactoryRecommendations:
    """Everything returned for one factory of ``batch`` (prices: its carriers' prices in its
    answer's currency per canonical unit, as the savings were valued).

    Portfolio: each ranked measure acts on what the measures above it left of its end uses;
    its net effect shrinks in proportion, and the end-use cells it acts on shrink by the share
    it displaces.
    """
    i, lang, catalogue = parts.index, batch.options.lang, batch.catalogue
    profile, currency = batch.profiles[i], batch.currencies[i]
    footprint, stack = parts.stacked.footprint, parts.stacked.portfolio
    inferred = profile.inferred_route()  # None: production[] declared or none fits
    recs, increases, thin = _listed(batch, parts, inferred)
    rows = parts.chosen.rows
    capex = float(batch.scores.capex[rows].sum()) if len(rows) else 0.0
    prices = batch.scores.factory_prices[i] * batch.rates[i]
    return FactoryRecommendations(
        factory_id=profile.factory_id,
        currency=currency,
        lang=lang,
        footprint=localised_footprint(footprint, lang),
        recommendations=recs,
        market_instruments=market_instruments(profile, stack.remaining, footprint, catalogue, lang),
        pathway=pathway_to_zero(batch, i, parts.stacked),
        portfolio=_portfolio_summary(recs, parts.stacked, capex, lang),
        emission_increases=increases,
        not_enough_evidence=[
            r.model_copy(
                update={"evidence_note": _thin_note(r, catalogue.measures[r.measure_id], lang)}
            )
            for r in thin
        ],
        input_warnings=[
            w.model_copy(update={"message": w.message.in_lang(lang)}) for w in parts.input_warnings
        ],
        end_use_balance=end_use_balance(profile, batch.energy.shares[i]),
        prices=prices_used(profile, prices, currency),
        readiness=zero_carbon_readiness(profile, footprint, lang),
        candidates_considered=len(batch.factory_rows[i]),
        factor_table_version=batch.table.version,
        catalogue_version=catalogue.version,
        warnings=[w.in_lang(lang) for w in parts.warnings]
        + ([inferred.warning(lang)] if inferred is not None else []),
    )


def _on_inferred_route(
    recs: list[Recommendation], inferred: InferredRoute, lang: Lang
) -> list[Recommendation]:
    """Route measures (engineering estimates) marked as resting on an inferred route."""
    note = inferred.note(lang)
    return [
        r.model_copy(update={"basis_note": Message.joined([r.basis_note, note], SEMICOLON, lang)})
        if r.basis == "engineering"
        else r
        for r in recs
    ]


def prices_used(profile: FactoryProfile, row: np.ndarray, currency: str) -> list[PriceUsed]:
    """The price (``row``, per carrier in ``currency``) of every carrier the factory uses, with
    its source."""
    sources = price_sources(profile)
    return [
        PriceUsed(
            carrier=c,
            price=float(row[j]),
            unit=f"{currency}/{CANONICAL_UNIT[c]}",
            source=sources[c],
        )
        for j, c in enumerate(CARRIERS)
        if profile.energy(c) > 0
    ]


def localised_footprint(footprint: Footprint, lang: Lang) -> Footprint:
    """The footprint with its notes in ``lang`` (numbers, ids and cited sources unchanged)."""
    if lang == "en":
        return footprint
    market = footprint.market_based
    residual = market.residual_factor
    return footprint.model_copy(
        update={
            "notes": [n.in_lang(lang) for n in footprint.notes],
            "by_carrier": [
                e.model_copy(
                    update={
                        "factor": e.factor.model_copy(update={"note": e.factor.note.in_lang(lang)})
                    }
                )
                for e in footprint.by_carrier
            ],
            "market_based": market.model_copy(
                update={
                    "residual_factor": residual.model_copy(
                        update={"note": residual.note.in_lang(lang)}
                    )
                }
            ),
        }
    )


def _thin_note(r: Recommendation, measure: Measure, lang: Lang = "en") -> Message:
    """Why a measure is listed apart, with the catalogue's published range where there is one."""
    note = Message("thin_note", lang, n=r.evidence_outcomes, n_sector=r.evidence_outcomes_in_sector)
    t = measure.typical_saving
    if t is not None:
        rng = Message(
            "thin_range",
            lang,
            low=f"{t.low:.3g}",
            high=f"{t.high:.3g}",
            of=_range_of(t.of),
            source=t.source[:160],
        )
        return Message.joined([note, rng])
    return note


#: The one form the catalogue's ranges name what they are of (features/data/measures.yaml).
_END_USES_OF = re.compile(r"energy of its end uses \(([a-z_, ]+)\) on the carriers it reduces")


def _range_of(of: str) -> Message:
    """What a catalogue range is a share of, as a sentence (the end uses named in words)."""
    found = _END_USES_OF.fullmatch(of)
    if found is None:
        return Message.plain(of)
    return Message("range_of_end_uses", uses=found.group(1))


def _portfolio_summary(
    recs: list[Recommendation], stacked: Stacked, capex: float, lang: Lang
) -> PortfolioSummary:
    """The listed measures together beside their standalone figures added up (``capex``: of
    the listed measures)."""
    standalone = float(sum(r.tco2e_avoided for r in recs))
    combined = float(sum(r.portfolio_tco2e_avoided for r in recs))
    base = stacked.footprint.net_location_tco2e
    saved = stacked.portfolio.saved.sum(axis=0) if len(recs) else np.zeros(len(CARRIERS))
    return PortfolioSummary(
        measures=len(recs),
        standalone_sum_tco2e=standalone,
        combined_tco2e=combined,
        combined_share_of_footprint=combined / base if base > 0 else 0.0,
        combined_energy_saved={
            c: float(v) for c, v in zip(CARRIERS, saved, strict=True) if abs(v) > 0
        },
        capex=capex,
        note=Message(
            "portfolio_note",
            lang,
            n=len(recs),
            standalone=human(standalone),
            combined=human(combined),
            share=f"{(combined / base if base > 0 else 0.0):.1%}",
        ),
    )


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
                note=Message(
                    "certificate_note" if m.reduction_kind == "certificate" else "contract_note",
                    lang,
                ),
            )
        )
    return out
