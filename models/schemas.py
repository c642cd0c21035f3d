"""Options and results of a recommendation: the contract of :meth:`RecommendationBundle.recommend`
(and of the HTTP service, which returns these models)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from features import bounds
from features.accounting.footprint import Footprint
from features.accounting.readiness import ZeroCarbonReadiness
from features.domain import InputWarning
from features.enduses.balance import EndUseEnergy
from features.enduses.taxonomy import EndUse
from features.messages import MessageText
from features.profile import CurrencyCode
from features.units import CURRENCIES, Carrier

Direction = Literal["decrease", "increase"]

Objective = Literal["most_tco2e", "lowest_cost_per_tco2e", "most_adopted_tco2e"]
ExplainLevel = Literal["none", "top", "full"]


class RecommendOptions(BaseModel):
    """How to rank and what to return."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)

    objective: Objective = Field(
        default="most_tco2e",
        description="most_tco2e: largest tCO2e/yr avoided; lowest_cost_per_tco2e: cheapest "
        "abatement first; most_adopted_tco2e: tCO2e/yr x adoption probability.",
    )
    top_k: int = Field(default=10, ge=1, le=60, description="Number of measures returned.")
    capex_budget: float | None = Field(
        default=None,
        ge=0,
        json_schema_extra={"maximum": bounds.money(None).high},
        description="Total capital budget, bundle currency; greedy by rank.",
    )
    discount_rate: float = Field(
        default=0.08, ge=0, le=0.5, description="For annualising capex, per year (0.08 = 8%)."
    )
    explain: ExplainLevel = Field(
        default="top", description="none, top (top_features per model) or full (all fields)."
    )
    top_features: int = Field(default=5, ge=1, le=40)
    currency: CurrencyCode | None = Field(
        default=None,
        description="Currency of every amount in the answer (one of features/data/"
        "exchange_rates.csv); default: the profile's revenue_currency where it gives one, else "
        "the country's (CN: CNY, US: USD). Converted at the table's dated annual averages.",
    )
    lang: Literal["en", "zh"] = Field(
        default="en",
        description="Language of every sentence in the answer (measure names and mechanisms, "
        "reasons, notes, warnings): en or zh (中文). Field names, ids, units and cited sources "
        "stay as they are.",
    )
    green_contract_share: float = Field(
        default=1.0,
        ge=0,
        le=1,
        description="Pathway: share of the grid electricity left that is contracted as green "
        "power (PPA, green-power trading); the rest is covered by certificates.",
    )
    target_reduction: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Reduction target as a share of the baseline (1 = net zero) for the "
        "pathway's gap to target.",
    )
    programme_payback_years: float = Field(
        default=4.2,
        ge=0,
        le=30,
        description="Pathway: the efficiency programme takes a measure when its simple payback "
        "on the saving it adds after the ones before it is at most this (default 4.2 years: "
        "the 90th percentile of the payback of 128,572 IAC recommendations, FY1981-2021).",
    )
    min_evidence: int = Field(
        default=30,
        ge=0,
        le=100_000,
        description="Training outcomes a learned measure needs to be ranked; below it the "
        "measure is listed in not_enough_evidence with its catalogue range (0 = rank all).",
    )

    @field_validator("top_k", "top_features", "min_evidence", mode="before")
    @classmethod
    def _whole_number(cls, value: object) -> object:
        # JSON does not tell 3 from 3.0 (nor does the schema's "integer"): a whole-number
        # float is taken as its integer; any other value goes on to the strict check.
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    @field_validator("capex_budget")
    @classmethod
    def _plausible_budget(cls, value: float | None) -> float | None:
        # The answer's currency may not be known yet: the bound holds in every currency.
        bounds.money(None).check("capex_budget", value)
        return value

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str | None) -> str | None:
        if value is not None and value not in CURRENCIES:
            raise ValueError(f"currency: invalid value {value!r}; allowed: {list(CURRENCIES)}")
        return value


class FeatureContribution(BaseModel):
    """One profile field's share of a prediction (exact tree SHAP, grouped by field)."""

    model_config = ConfigDict(frozen=True)

    field: str = Field(description="Profile field (or a predicted input of the adoption model).")
    value: str | float | int | None = Field(description="The factory's value of the field.")
    unit: str
    contribution: float = Field(description="In the model's output scale (see Explanation).")
    tco2e: float | None = Field(
        default=None,
        description="Savings only: the field's share of the tCO2e/yr saved, against what the "
        "measure saves at an average factory (log contributions apportioned in proportion).",
    )
    effect: MessageText = Field(
        default="",
        validate_default=True,
        description="Savings: raises or lowers the share of the energy saved.",
    )


class Explanation(BaseModel):
    """Why the models predict what they predict for this factory and measure."""

    model_config = ConfigDict(frozen=True)

    savings_scale: str = "log of the fraction of the targeted end uses' energy saved"
    savings_base_value: float = Field(
        description="What the model predicts for this measure at an average factory: the "
        "model's base plus the measure's own attributes (the measure is the base, not a reason)."
    )
    summary: MessageText = Field(
        default="", validate_default=True, description="The main reason, in one sentence."
    )
    savings_prediction: float
    savings: list[FeatureContribution]
    adoption_scale: str = "log-odds of adoption"
    adoption_base_value: float
    adoption_prediction: float
    adoption: list[FeatureContribution]


class Recommendation(BaseModel):
    """One ranked measure for one factory. Money in the bundle's currency."""

    model_config = ConfigDict(frozen=True)

    rank: int
    measure_id: str
    name: str
    mechanism: str = Field(default="", description="How the measure saves, in words.")
    family: str
    direction: Direction = Field(
        description="decrease: the measure lowers this factory's emissions; increase: it raises "
        "them (listed apart, never ranked among reductions)."
    )
    direction_reason: MessageText = Field(
        description="Why, in words, with the carriers that change."
    )
    end_uses: list[EndUse] = Field(description="End uses the measure acts on.")
    targeted_energy_gj: float = Field(
        description="Energy of those end uses on the carriers the measure reduces, GJ/yr."
    )
    fraction_of_end_use: float = Field(
        description="Median share of that energy the measure displaces (capped by physics)."
    )
    tco2e_avoided: float = Field(description="Median, tCO2e/yr; negative = emissions rise.")
    tco2e_low: float = Field(description="Lower end of the interval, tCO2e/yr.")
    tco2e_high: float = Field(description="Upper end of the interval, tCO2e/yr.")
    energy_saved: dict[Carrier, float] = Field(
        description="Per carrier, canonical unit per year (kWh; GJ); negative = more used."
    )
    cost_savings_per_year: float
    capex: float = Field(
        description="Up-front cost at the price level of the factory's country "
        "(features/data/capex_levels.csv), answer currency."
    )
    capex_low: float | None = Field(
        default=None,
        description="Low end of the capex interval: the range of the price level (local prices, "
        "or a price-level ratio moved from another country, which widens it); the cost model's "
        "own error is not in it. None when not computed.",
    )
    capex_high: float | None = Field(
        default=None, description="High end of the capex interval (as capex_low)."
    )
    payback_years: float | None
    abatement_cost_per_tco2e: float | None = Field(
        description="(annualised capex - annual savings) / tCO2e; None when tCO2e <= 0."
    )
    adoption_probability: float | None = Field(
        description="Chance the factory implements it (learned); None where no outcome data "
        "exist for the measure (basis 'engineering')."
    )
    recommendation_probability: float | None = Field(
        description="Chance an auditor would recommend it for this factory (applicability)."
    )
    basis: Literal["learned", "engineering"] = Field(
        default="learned",
        description="learned: models trained on outcomes; engineering: arithmetic on the "
        "catalogue's sourced ranges and the factory's production (no outcome data exist).",
    )
    basis_note: MessageText = Field(default="", validate_default=True)
    process_tco2e_avoided: float = Field(
        default=0.0,
        description="Part of tco2e_avoided that is process emissions removed or CO2 captured.",
    )
    maturity: str | None = Field(
        default=None, description="commercial, demonstration or emerging (route measures)."
    )
    evidence_outcomes: int | None = Field(
        default=None,
        description="Training outcomes of this measure (None for engineering estimates).",
    )
    evidence_outcomes_in_sector: int | None = Field(
        default=None, description="Of those, outcomes in the factory's sector."
    )
    evidence_note: MessageText = Field(default="", validate_default=True)
    portfolio_tco2e_avoided: float = Field(
        description="tCO2e/yr this measure adds when applied after the ones ranked above it."
    )
    portfolio_energy_saved: dict[Carrier, float] = Field(
        default_factory=dict,
        description="Energy saved per carrier when applied after the ones ranked above it "
        "(canonical units per year; negative = more used).",
    )
    explanation: Explanation | None = None


class MarketInstrument(BaseModel):
    """Green electricity or certificates: market-based reductions, listed apart."""

    model_config = ConfigDict(frozen=True)

    measure_id: str
    name: str
    reduction_kind: str
    covers_electricity_kwh: float
    market_based_tco2e_avoided: float
    note: MessageText


class ProgrammeMeasure(BaseModel):
    """One measure of the pathway's efficiency programme, as it acts after the ones before it."""

    model_config = ConfigDict(frozen=True)

    order: int = Field(description="1 = first carried out (cheapest abatement first).")
    measure_id: str
    name: str
    tco2e_avoided: float = Field(
        description="What it adds after the ones before it (market basis)."
    )
    capex: float = Field(description="In the answer's currency.")
    cost_savings_per_year: float = Field(description="What it adds, answer currency per year.")
    payback_years: float | None = Field(description="capex / cost_savings_per_year.")
    pool: str | None = Field(
        default=None, description="The pool of savings it shares with others (catalogue pools)."
    )


class PortfolioSummary(BaseModel):
    """What the listed measures save together, beside what their standalone figures add to."""

    model_config = ConfigDict(frozen=True)

    measures: int
    standalone_sum_tco2e: float = Field(
        description="The listed measures' standalone tCO2e/yr added up: NOT a saving any plant "
        "can reach, because measures on the same end use or pool share savings."
    )
    combined_tco2e: float = Field(
        description="What they save together, each acting on what the ones above it left."
    )
    combined_share_of_footprint: float = Field(
        description="combined_tco2e / the net location-based footprint."
    )
    combined_energy_saved: dict[Carrier, float] = Field(
        default_factory=dict, description="Together, per carrier (canonical units per year)."
    )
    capex: float = Field(description="Their capex added up, answer currency.")
    note: MessageText


class Pathway(BaseModel):
    """From today's footprint to the gap to a zero-carbon factory, tCO2e/yr, on one stated basis
    (market-based, as green power counts in the programme), independent of top_k and objective."""

    model_config = ConfigDict(frozen=True)

    basis: MessageText
    baseline_tco2e: float = Field(
        description="Net market-based footprint: scope 1 (combustion + process) + market-based "
        "scope 2 - removals."
    )
    baseline_location_tco2e: float = Field(description="The same on the location basis.")
    scope1_tco2e: float
    scope2_location_tco2e: float
    scope2_market_tco2e: float
    process_tco2e: float = Field(description="Process emissions in the baseline.")
    removals_tco2: float = Field(description="Removals deducted in the baseline.")
    measures_counted: int = Field(
        description="Beneficial measures stacked: physical, on-site renewables and CCUS."
    )
    physical_measures_tco2e: float = Field(
        description="The efficiency programme plus fuel switching, electrification and route "
        "changes (market basis): efficiency_programme_tco2e + structural_tco2e."
    )
    efficiency_programme: list[ProgrammeMeasure] = Field(
        default_factory=list,
        description="The efficiency measures a plant would carry out, in order: cheapest "
        "abatement first, each kept when its payback on what it adds after the ones before it "
        "is within programme_payback_years; measures sharing a pool share its savings.",
    )
    efficiency_programme_tco2e: float = 0.0
    efficiency_programme_capex: float = Field(default=0.0, description="Answer currency.")
    efficiency_programme_cost_savings_per_year: float = 0.0
    efficiency_programme_payback_years: float | None = None
    efficiency_programme_energy_saved: dict[Carrier, float] = Field(
        default_factory=dict, description="Per carrier, canonical units per year."
    )
    efficiency_programme_energy_share: dict[Carrier, float] = Field(
        default_factory=dict,
        description="Per carrier the factory uses, the share of its use the programme saves "
        "(compare real audits: docs/evaluation.md, 'Portfolio totals against real audits').",
    )
    programme_payback_years: float = Field(
        default=4.2, description="The payback limit the programme was built with."
    )
    efficiency_measures_beyond_payback: int = Field(
        default=0,
        description="Beneficial efficiency measures left out of the programme: their payback on "
        "what they would add exceeds programme_payback_years.",
    )
    structural_measures: int = Field(
        default=0, description="Fuel switching, electrification and route changes stacked."
    )
    structural_tco2e: float = Field(
        default=0.0,
        description="What they avoid after the efficiency programme (market basis).",
    )
    structural_capex: float = Field(default=0.0, description="Answer currency.")
    onsite_renewables_measures: int = 0
    onsite_renewables_capex: float = Field(default=0.0, description="Answer currency.")
    ccus_capex: float = Field(default=0.0, description="Answer currency.")
    portfolio_process_tco2e_avoided: float = Field(
        description="Of the measures' total, process emissions removed or CO2 captured."
    )
    after_physical_measures_tco2e: float
    onsite_renewables_tco2e: float = Field(
        description="On-site PV, wind/hydro, solar heat, microgrid."
    )
    after_onsite_renewables_tco2e: float
    grid_electricity_left_kwh: float
    green_electricity_already_covered_kwh: float = Field(
        description="Existing green contracts and certificates, netted (at most what is left)."
    )
    green_electricity_to_contract_kwh: float
    green_electricity_tco2e: float = Field(
        description="Contracting options.green_contract_share of the rest as green power, at "
        "the residual-mix factor."
    )
    certificates_kwh: float = Field(
        default=0.0, description="The remainder covered by unbundled certificates (GEC, REC)."
    )
    certificates_tco2e: float = Field(
        default=0.0, description="Their market-based claim, at the residual-mix factor."
    )
    after_green_electricity_tco2e: float = Field(
        description="After green contracts and certificates."
    )
    ccus_measures: int = Field(default=0, description="CO2 capture measures stacked last.")
    ccus_tco2: float = Field(
        default=0.0,
        description="CO2 captured and stored by the CCUS measures that apply, acting on the "
        "direct emissions left after every other step (energy they need included).",
    )
    after_ccus_tco2e: float
    offsets_tco2e: float = Field(
        default=0.0,
        description="Credits the factory retires (offsets_tco2e, e.g. CCER), at most what is "
        "left: counted last, never a reduction of its own emissions.",
    )
    residual_tco2e: float = Field(description="What is left: the gap to a zero-carbon factory.")
    gap_to_zero_carbon_tco2e: float
    target_tco2e: float | None = Field(
        default=None, description="baseline x (1 - target_reduction), when a target is given."
    )
    gap_to_target_tco2e: float | None = None
    notes: list[MessageText] = Field(default_factory=list)


class PriceUsed(BaseModel):
    """The price a carrier's savings are valued at for this factory, and where it comes from."""

    model_config = ConfigDict(frozen=True)

    carrier: Carrier
    price: float = Field(description="In the answer's currency per unit.")
    unit: str
    source: str = Field(description="The profile's own price or bills, or the default's source.")


class FactoryRecommendations(BaseModel):
    """Everything returned for one factory."""

    model_config = ConfigDict(frozen=True)

    factory_id: str
    currency: str
    lang: Literal["en", "zh"] = "en"
    footprint: Footprint
    recommendations: list[Recommendation]
    market_instruments: list[MarketInstrument]
    pathway: Pathway
    portfolio: PortfolioSummary | None = Field(
        default=None,
        description="The listed recommendations together: their combined saving beside the "
        "sum of their standalone figures, which does not add.",
    )
    emission_increases: list[Recommendation] = Field(
        default_factory=list,
        description="Candidate measures that would raise this factory's emissions, most harmful "
        "first, with the reason (direction 'increase').",
    )
    not_enough_evidence: list[Recommendation] = Field(
        default_factory=list,
        description="Learned measures with fewer training outcomes than min_evidence: not "
        "ranked, shown with their catalogue range (evidence_note).",
    )
    input_warnings: list[InputWarning] = Field(
        default_factory=list,
        description="Inputs outside the training data: {code, field, value, training_range}.",
    )
    prices: list[PriceUsed] = Field(
        default_factory=list,
        description="Energy prices the savings are valued at (carriers the factory uses).",
    )
    end_use_balance: list[EndUseEnergy] = Field(
        default_factory=list,
        description="The factory's energy by carrier and end use, with where each split came from.",
    )
    readiness: ZeroCarbonReadiness | None = Field(
        default=None,
        description="Chinese plants: held against every zero-carbon factory indicator with a "
        "published number (the national guidance publishes none), each with its source and "
        "confidence; None elsewhere.",
    )
    candidates_considered: int
    factor_table_version: str
    catalogue_version: str
    warnings: list[MessageText] = Field(
        default_factory=list, description="Caveats about these results (e.g. the model's data)."
    )
