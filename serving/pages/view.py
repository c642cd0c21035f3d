"""What a person reads of one factory's answer: numbers rounded and in the units people use
(zh: 万kWh, tce, 万元), sentences in the answer's language, and the charts. The page and the PDF
both render this one view, so they cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from features.i18n import Lang, field_words, human, word
from features.profile import FactoryProfile
from features.units import Carrier
from models.card import ModelCard
from models.schemas import FactoryRecommendations, Recommendation
from serving.pages.amounts import (
    WAN,
    energy,
    money,
    per_tonne,
    price_source,
    say,
    typed_units,
    zh_units,
)
from serving.pages.charts import (
    BLUE,
    GREEN,
    SLATE,
    Chart,
    CurveItem,
    Step,
    bars,
    cost_curve,
    waterfall,
)

#: Target years in words.
_ZH_YEARS = {"unclear": "未明确"}


@dataclass(frozen=True)
class Card:
    """One measure as a card."""

    rank: int
    measure_id: str
    name: str
    mechanism: str
    family: str
    tco2e: str
    interval: str
    capex: str
    savings: str
    payback: str
    cost_per_tco2e: str
    adoption: str
    evidence: str
    direction: str
    direction_reason: str
    energy: list[str]
    reasons: list[str]
    raises: bool = False


@dataclass
class PageView:
    """Everything the results page and the report show, already in words and rounded."""

    lang: Lang
    factory_id: str
    title: str
    meta: str
    caveats: list[str]
    scope_rows: list[tuple[str, str]]
    energy_tce: str
    carrier_rows: list[list[str]]
    process_rows: list[list[str]]
    charts: dict[str, Chart]
    cost_curve_help: str
    raises: list[str]
    cards: list[Card]
    low_evidence: str
    pathway_notes: list[str]
    pathway_holds: list[str] = field(default_factory=list)
    portfolio_line: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    readiness_notes: list[str] = field(default_factory=list)
    readiness_rows: list[list[str]] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Training:
    """What the model learned from, in rows: real audit outcomes and generated rows (None when
    not recorded), and whether a measure's outcome counts are generated rows."""

    real_rows: int | None = None
    generated_rows: int | None = None
    measure_rows_generated: bool = True


def training_of(card: ModelCard) -> Training:
    """The model's training rows, real and generated, from its card. A measure's outcome
    count is of generated rows unless the model learned from real data alone (real audits
    name coarse classes, not catalogue measures: models/card.py)."""
    trained = card.trained_on
    if trained.source is None:
        return Training()
    if trained.parts:
        real = sum(p.outcomes for p in trained.parts if not p.generated)
        generated = sum(p.outcomes for p in trained.parts if p.generated)
    elif trained.generated:
        real, generated = 0, trained.outcomes
    else:
        real, generated = trained.outcomes, 0
    return Training(real, generated, measure_rows_generated=generated > 0)


@dataclass(frozen=True)
class Answered:
    """Which model answered and when: its URI (kept for the record; people read the model's
    name and version), version, training rows, and the day (today when None)."""

    model_uri: str
    model_version: str
    training: Training = field(default_factory=Training)
    on: date | None = None


def build_view(
    result: FactoryRecommendations, answered: Answered, profile: FactoryProfile | None = None
) -> PageView:
    """The page's and the report's content for one answer by ``answered``'s model, in the
    units ``profile`` was typed in."""
    training, model_version = answered.training, answered.model_version
    units = typed_units(profile)
    lang = result.lang
    fp = result.footprint
    on = answered.on or date.today()
    cur = result.currency
    # Each caveat once, however many parts of the answer carry it.
    caveats: list[str] = list(
        dict.fromkeys([*result.warnings, *(w.message for w in result.input_warnings), *fp.notes])
    )
    scope_rows = _scope_rows(result, lang)
    carrier_rows = [
        [word(c.carrier.value, lang), energy(c.carrier, c.energy, lang, units),
         human(c.tco2e), c.factor.source]
        for c in fp.by_carrier
    ]  # fmt: skip
    process_rows = [
        [f"{line.product} {line.route}: {line.name} ({line.gas})", human(line.tco2e), line.source]
        for line in fp.process
    ]
    charts = _charts(result, lang)
    p = result.pathway
    raises = [
        zh_units(f"{r.name}: {r.direction_reason}", lang, cur) for r in result.emission_increases
    ]
    return PageView(
        lang=lang,
        factory_id=result.factory_id,
        title=say("page_results_for", lang, factory=result.factory_id),
        meta=_meta(result, on, model_version, training),
        caveats=caveats,
        scope_rows=scope_rows,
        energy_tce=say(
            "page_energy_tce",
            lang,
            tce=human(fp.comprehensive_energy_tce),
            equivalent=human(fp.comprehensive_energy_equivalent_tce),
        ),
        carrier_rows=carrier_rows,
        process_rows=process_rows,
        charts=charts,
        cost_curve_help=say("page_cost_curve_help", lang, cur=per_tonne(cur, lang).split("/")[0]),
        raises=raises,
        cards=[_card(r, cur, lang, training, units) for r in result.recommendations]
        + [_card(r, cur, lang, training, units) for r in result.emission_increases],
        low_evidence=_low_evidence(result),
        pathway_notes=[n for n in dict.fromkeys(p.notes) if n not in caveats],
        pathway_holds=_pathway_holds(result, cur, lang),
        portfolio_line=_portfolio_line(result, lang),
        readiness_notes=_readiness_notes(result),
        readiness_rows=_readiness_rows(result, lang),
        assumptions=_assumptions(result, profile, lang),
    )


def _low_evidence(result: FactoryRecommendations) -> str:
    """The measures left out for want of evidence, or nothing."""
    low = result.not_enough_evidence
    if not low:
        return ""
    names = "; ".join(r.name for r in low)
    return say("page_low_evidence", result.lang, n=len(low), names=names)


def _meta(result: FactoryRecommendations, on: date, model_version: str, training: Training) -> str:
    """The line under the title: date, model, factor table, catalogue, training rows."""
    lang = result.lang
    said = say(
        "page_meta",
        lang,
        date=on.isoformat(),
        model=say("page_model_name", lang, version=model_version),
        factors=result.factor_table_version,
        catalogue=result.catalogue_version,
    )
    return f"{said} · {_trained_line(training, lang)}"


def _scope_rows(result: FactoryRecommendations, lang: Lang) -> list[tuple[str, str]]:
    """The footprint by scope, rounded."""
    fp = result.footprint
    return [
        (say("rpt_scope1_combustion", lang), human(fp.scope1_combustion_tco2e)),
        (say("rpt_scope1_process", lang), human(fp.process_tco2e)),
        (say("page_scope2_location", lang), human(fp.scope2_location_tco2e)),
        (say("page_scope2_market", lang), human(fp.scope2_market_tco2e)),
        (say("page_removals", lang), human(-fp.removals_tco2)),
        (say("page_net_location", lang), human(fp.net_location_tco2e)),
        (say("page_net_market", lang), human(fp.net_market_tco2e)),
    ]


def _charts(result: FactoryRecommendations, lang: Lang) -> dict[str, Chart]:
    """The footprint by scope and by end use, the cost curve and the pathway."""
    fp, cur, p = result.footprint, result.currency, result.pathway
    charts = {
        "scopes": bars(
            [
                (say("rpt_scope1_combustion", lang), fp.scope1_combustion_tco2e, SLATE),
                (say("rpt_scope1_process", lang), fp.process_tco2e, SLATE),
                (say("page_scope2_location", lang), fp.scope2_location_tco2e, BLUE),
                (say("page_scope2_market", lang), fp.scope2_market_tco2e, BLUE),
                (say("page_removals", lang), -fp.removals_tco2, GREEN),
            ],
            say("page_by_scope", lang),
            "tCO2e",
        ),
        "end_uses": bars(
            [(label, value, SLATE) for label, value in _by_end_use(result, lang)],
            say("page_by_end_use", lang),
            "tCO2e",
        ),
    }
    curve = [
        CurveItem(r.rank, r.name, r.tco2e_avoided, r.abatement_cost_per_tco2e)
        for r in result.recommendations
        if r.direction == "decrease"
        and r.tco2e_avoided > 0
        and r.abatement_cost_per_tco2e is not None
    ]
    charts["cost_curve"] = cost_curve(
        curve,
        say("page_cost_curve", lang),
        cur,
        axis=say("chart_total", lang, total="{total}"),
        per_tonne=per_tonne(cur, lang),
    )
    charts["pathway"] = waterfall(
        [
            Step(say("page_step_baseline", lang), p.baseline_tco2e, total=True),
            Step(say("page_step_efficiency", lang), p.efficiency_programme_tco2e),
            Step(say("page_step_structural", lang), p.structural_tco2e),
            Step(say("page_step_onsite", lang), p.onsite_renewables_tco2e),
            Step(say("page_step_green", lang), p.green_electricity_tco2e),
            Step(say("page_step_certificates", lang), p.certificates_tco2e),
            Step(say("page_step_ccus", lang), p.ccus_tco2),
            Step(say("page_step_offsets", lang), p.offsets_tco2e),
            Step(say("page_step_gap", lang), p.residual_tco2e, total=True),
        ],
        say("page_pathway", lang),
        target=p.target_tco2e,
        axis=say("chart_per_year", lang),
        target_words=say("chart_target", lang, target="{target}"),
    )
    return charts


def _trained_line(training: Training, lang: Lang) -> str:
    """How many training rows are real audits and how many generated."""
    if training.real_rows is None and training.generated_rows is None:
        return say("page_trained_unknown", lang)
    real, generated = training.real_rows or 0, training.generated_rows or 0
    return say("page_trained_rows", lang, real=f"{real:,}", generated=f"{generated:,}")


#: A source's confidence in words.
_CONFIDENCE = {
    "medium": "route_confidence_medium",
    "medium-low": "readiness_conf_medium-low",
    "low": "route_confidence_low",
}


def _readiness_notes(result: FactoryRecommendations) -> list[str]:
    """That the national guidance publishes no thresholds, and whose thresholds are shown."""
    r = result.readiness
    return [] if r is None else [r.national_statement, r.province_statement]


def _readiness_rows(result: FactoryRecommendations, lang: Lang) -> list[list[str]]:
    """One row per zero-carbon factory indicator: indicator, value, threshold, target year,
    result with how it was computed or what is missing, basis, source, confidence."""
    if result.readiness is None:
        return []
    rows = []
    for c in result.readiness.checks:
        threshold = c.threshold_text if c.threshold_value is None else human(c.threshold_value)
        source = "; ".join(
            part for part in (c.scheme, c.issuer, c.doc_number, c.doc_date, c.source_url) if part
        )
        unit = zh_units(c.unit, lang)
        rows.append(
            [
                c.indicator,
                "-" if c.value is None else f"{human(c.value)} {unit}",
                f"{c.threshold_op} {threshold} {unit}",  # ASCII: Helvetica has no ≤
                _ZH_YEARS.get(c.target_year, c.target_year) if lang == "zh" else c.target_year,
                f"{c.status_text}: {c.explanation}",
                c.basis_text,
                zh_units(source, lang),
                say(_CONFIDENCE[c.confidence], lang),
            ]
        )
    return rows


def _by_end_use(result: FactoryRecommendations, lang: Lang) -> list[tuple[str, float]]:
    """Location-based tCO2e per end use: each carrier's emissions split by its end-use shares,
    process emissions as their own line."""
    per_carrier = {c.carrier: c.tco2e for c in result.footprint.by_carrier}
    totals: dict[str, float] = {}
    for row in result.end_use_balance:
        tco2e = per_carrier.get(row.carrier, 0.0) * row.share
        if tco2e:
            key = word(row.end_use.value, lang).replace("_", " ")
            totals[key] = totals.get(key, 0.0) + tco2e
    rows = sorted(totals.items(), key=lambda kv: -kv[1])
    if result.footprint.process_tco2e:
        rows.append((say("page_process", lang), result.footprint.process_tco2e))
    return rows


def _card(
    r: Recommendation,
    currency: str,
    lang: Lang,
    training: Training,
    units: dict[Carrier, str] | None = None,
) -> Card:
    if r.basis == "engineering" or r.evidence_outcomes is None:
        evidence = say("page_card_engineering", lang)
    else:
        evidence = say(
            "page_card_generated_rows" if training.measure_rows_generated else "page_card_outcomes",
            lang,
            n=r.evidence_outcomes,
            sector=r.evidence_outcomes_in_sector or 0,
        )
    if r.evidence_note:
        evidence += f" {r.evidence_note}"
    reasons: list[str] = []
    if r.explanation is not None:
        if r.explanation.summary:
            reasons.append(zh_units(r.explanation.summary, lang, currency))
        for c in r.explanation.savings[:3]:
            value = (
                human(float(c.value))
                if isinstance(c.value, int | float)
                else say("page_not_given", lang)
                if c.value is None
                else c.value
            )
            shown = f"{field_words(c.field, lang)} = {value} {zh_units(c.unit, lang, currency)}"
            shown = shown.strip()
            reasons.append(f"{shown}：{c.effect}" if c.effect and lang == "zh" else
                           f"{shown}: {c.effect}" if c.effect else shown)  # fmt: skip
    energy_rows = [energy(c, v, lang, units) for c, v in r.energy_saved.items() if v]
    return Card(
        rank=r.rank,
        measure_id=r.measure_id,
        name=r.name,
        mechanism=r.mechanism,
        family=word(r.family, lang),
        tco2e=human(r.tco2e_avoided),
        interval=say("page_card_interval", lang, low=human(r.tco2e_low), high=human(r.tco2e_high)),
        capex=money(r.capex, currency, lang),
        savings=money(r.cost_savings_per_year, currency, lang),
        payback="-"
        if r.payback_years is None
        else say("page_card_years", lang, n=human(r.payback_years, 2)),
        cost_per_tco2e="-"
        if r.abatement_cost_per_tco2e is None
        else f"{human(r.abatement_cost_per_tco2e)} {per_tonne(currency, lang)}",
        adoption="-" if r.adoption_probability is None else f"{r.adoption_probability:.0%}",
        evidence=evidence,
        direction=say("page_lowers" if r.direction == "decrease" else "page_raises_word", lang),
        direction_reason=zh_units(r.direction_reason, lang, currency),
        energy=energy_rows,
        reasons=reasons,
        raises=r.direction == "increase",
    )


def _pathway_holds(result: FactoryRecommendations, cur: str, lang: Lang) -> list[str]:
    """What each pathway bar holds: measures and their capex, the green kWh to contract, the
    prices used and the target line."""
    p = result.pathway
    payback = p.efficiency_programme_payback_years
    lines = [
        f"{say('page_step_efficiency', lang)}: "
        + say(
            "page_holds_efficiency", lang, n=len(p.efficiency_programme),
            capex=money(p.efficiency_programme_capex, cur, lang),
            payback="-" if payback is None else f"{payback:.1f}",
            limit=f"{p.programme_payback_years:g}", beyond=p.efficiency_measures_beyond_payback,
        )
        + (" (" + ", ".join(m.name for m in p.efficiency_programme) + ")"
           if p.efficiency_programme else ""),
        f"{say('page_step_structural', lang)}: "
        + say("page_holds_measures", lang, n=p.structural_measures,
              capex=money(p.structural_capex, cur, lang)),
        f"{say('page_step_onsite', lang)}: "
        + say("page_holds_measures", lang, n=p.onsite_renewables_measures,
              capex=money(p.onsite_renewables_capex, cur, lang)),
        f"{say('page_step_green', lang)}: "
        + say("page_holds_green", lang, kwh=human(p.green_electricity_to_contract_kwh),
              cert=human(p.certificates_kwh)),
    ]  # fmt: skip
    if result.prices:
        used = ", ".join(
            f"{word(x.carrier.value, lang)} {human(x.price)} {_price_unit(x.unit, cur, lang)}"
            for x in result.prices
        )
        lines.append(say("page_holds_prices", lang, prices=used))
    if p.target_tco2e is not None:
        lines.append(say("page_holds_target", lang, target=human(p.target_tco2e)))
    return [" ".join(line.split()) for line in lines]


def _assumptions(
    result: FactoryRecommendations, profile: FactoryProfile | None, lang: Lang
) -> list[str]:
    """What the answer rests on: the prices and their sources, the target and the gap to it,
    the green electricity to contract, and carbon per 10,000 of revenue and per tonne of
    product where the profile gives them."""
    cur, p, fp = result.currency, result.pathway, result.footprint
    lines = [
        say("page_assume_price", lang, carrier=word(x.carrier.value, lang),
            price=f"{human(x.price)} {_price_unit(x.unit, cur, lang)}",
            source=price_source(x.source, lang))
        for x in result.prices
    ]  # fmt: skip
    if p.target_tco2e is None:
        lines.append(say("page_assume_no_target", lang))
    else:
        share = 1 - p.target_tco2e / p.baseline_tco2e if p.baseline_tco2e else 0.0
        gap = p.gap_to_target_tco2e
        lines.append(
            say("page_assume_target", lang, share=f"{share:.0%}", target=human(p.target_tco2e),
                residual=human(p.residual_tco2e),
                gap=human(max(gap if gap is not None else p.residual_tco2e - p.target_tco2e, 0)))
        )  # fmt: skip
    kwh = p.green_electricity_to_contract_kwh
    lines.append(say("page_assume_green", lang, kwh=human(kwh)))
    revenue = profile.annual_revenue if profile is not None else None
    currency = profile.revenue_currency if profile is not None else None
    if revenue and currency and (lang == "en" or currency == "CNY"):
        lines.append(
            say("page_assume_revenue", lang, currency="元" if lang == "zh" else currency,
                value=human(fp.net_market_tco2e / (revenue / WAN), 3),
                revenue=money(revenue, currency, lang))
        )  # fmt: skip
    for line in profile.production_lines() if profile is not None else []:
        if line.output_t:
            lines.append(
                say("page_assume_product", lang, product=word(line.product, lang),
                    value=human(fp.net_market_tco2e / line.output_t, 3),
                    output=human(line.output_t))
            )  # fmt: skip
    return lines


def _price_unit(unit: str, currency: str, lang: Lang) -> str:
    """A price's unit: ``CNY/kWh`` (the answer's unit may already carry the currency), 元/kWh in
    Chinese."""
    per = unit.split("/", 1)[1] if "/" in unit else unit
    money_unit = "元" if lang == "zh" and currency == "CNY" else currency
    return f"{money_unit}/{per}"


def _portfolio_line(result: FactoryRecommendations, lang: Lang) -> str:
    """The listed measures together beside their standalone figures added up."""
    s = result.portfolio
    if s is None or not s.measures:
        return ""
    return say(
        "page_portfolio", lang, n=s.measures, combined=human(s.combined_tco2e),
        share=f"{s.combined_share_of_footprint:.1%}", standalone=human(s.standalone_sum_tco2e),
    )  # fmt: skip
