"""The model card: what a bundle was trained on, its held-out metrics as recorded by the
training pipeline, and the caveats every answer of it carries (served by ``/v1/model`` and in
each response's model block)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from models.bundle import RecommendationBundle
from models.caveats import COARSE_MODEL_WARNING
from models.schemas import RecommendOptions
from models.served import REALISATION_PRIOR

#: Sources whose data are generated, not real outcomes.
GENERATED_SOURCES = frozenset({"synthetic", "world2"})
#: Held-out metrics shown first on the card (as recorded; missing ones are left out).
HEADLINE_METRICS: tuple[str, ...] = (
    "savings_r2_log",
    "savings_interval_coverage",
    "savings_interval_coverage_all_candidates",
    "cost_r2_log",
    "adoption_roc_auc",
    "adoption_audit_time_roc_auc",
    "baseline_measure_rate.adoption_roc_auc",
    "baseline_logistic.adoption_roc_auc",
    "model_tco2e.ndcg_at_5",
    "baseline_sector_popularity.ndcg_at_5",
    "model_tco2e.hit_at_5",
    "model_tco2e.regret_at_5",
    # blended data (source audits): the real audits' part on its own
    "part.iac.savings_r2_log",
    "part.iac.savings_interval_coverage",
    "part.iac.cost_r2_log",
    "part.iac.adoption_roc_auc",
    "part.iac.baseline_logistic.adoption_roc_auc",
    "part.iac.baseline_logistic_served.adoption_roc_auc",
    "part.synthetic.savings_r2_log",
    "part.synthetic.model_tco2e.hit_at_5",
)


class TrainingPart(BaseModel):
    """One source of blended training data."""

    model_config = ConfigDict(frozen=True)

    source: str = Field(description="iac (real audits) or synthetic (calibrated generated).")
    generated: bool
    factories: int
    outcomes: int
    years: str | None = Field(description="First-last reporting year of its factories.")
    countries: list[str]


class TrainedOn(BaseModel):
    """The training data, in numbers."""

    model_config = ConfigDict(frozen=True)

    source: str | None = Field(
        description="audits (real IAC audits + calibrated generated data), synthetic "
        "(generated), iac, world2, files, outcomes, or None if unknown."
    )
    generated: bool | None = Field(
        description="True: generated data only, no real outcomes (see parts for blended data)."
    )
    factories: int
    outcomes: int
    outcomes_naming_a_measure: int
    sectors: dict[str, int] = Field(description="Training factories per sector.")
    reporting_years: str | None
    employees: str | None = Field(description="0.5-99.5th percentile of employees.")
    money_base_year: int | None = Field(
        default=None,
        description="Year whose prices the learned costs and savings are in (real audits: "
        "nominal dollars restated with the US CPI-U); None if not recorded.",
    )
    parts: list[TrainingPart] = Field(
        default_factory=list,
        description="Blended training data (source audits): each part with its counts, years "
        "and countries; empty for data of one source.",
    )


class Realisation(BaseModel):
    """Metered over estimated savings as the served interval allows for it, per measure family."""

    model_config = ConfigDict(frozen=True)

    family: str = Field(description="Measure family, or 'default' for every family not listed.")
    median: float = Field(description="Median metered / estimated savings.")
    log_sd: float = Field(description="Spread, standard deviation of its logarithm.")
    metered_outcomes: int = Field(description="Metered outcomes it was learned from (0: prior).")
    source: str


class ModelCard(BaseModel):
    """What the served model is, what it was trained on and what to keep in mind."""

    model_config = ConfigDict(frozen=True)

    trained_on: TrainedOn
    realisation: list[Realisation] = Field(
        default_factory=list,
        description="What the low end of each served tCO2e interval allows for: learned per "
        "family from metered outcomes of the outcomes store where there are enough, else the "
        "prior from evaluations of efficiency programmes.",
    )
    summary: str = Field(description="One sentence on the training data.")
    headline_metrics: dict[str, float] = Field(
        description="Held-out metrics recorded by the training pipeline (empty if not recorded)."
    )
    caveats: list[str]


def model_card(bundle: RecommendationBundle) -> ModelCard:
    """The card of a fitted bundle."""
    source = getattr(bundle, "training_source_", None)
    trained_on = _trained_on(bundle)
    kind = {
        "synthetic": "generated data",
        "iac": "the US DOE IAC release",
        "files": "files",
        "audits": "real US DOE IAC audits and generated data calibrated to them",
    }
    detail = "".join(
        f"; {p.source}: {p.factories:,} factories, {p.outcomes:,} outcomes, years {p.years}"
        for p in trained_on.parts
    )
    summary = (
        f"trained on {kind.get(source or '', 'data of unrecorded origin')}: "
        f"{trained_on.factories:,} factories, {trained_on.outcomes:,} measure outcomes"
        + (f", years {trained_on.reporting_years}" if trained_on.reporting_years else "")
        + detail
        + (f"; money in {base} prices" if (base := trained_on.money_base_year) else "")
    )
    metrics = getattr(bundle, "metrics_", {})
    return ModelCard(
        trained_on=trained_on,
        realisation=_realisation(bundle) if bundle.config.interval_served_margins else [],
        summary=summary,
        headline_metrics={k: metrics[k] for k in HEADLINE_METRICS if k in metrics},
        caveats=_caveats(bundle, metrics),
    )


def _trained_on(bundle: RecommendationBundle) -> TrainedOn:
    """What the bundle was trained on, from its domain summary and recorded parts."""
    domain = getattr(bundle, "domain_", None)
    source = getattr(bundle, "training_source_", None)
    numeric = domain.numeric if domain is not None else {}
    years = numeric.get("reporting_year")
    employees = numeric.get("employees")
    sectors = domain.categories.get("sector", {}) if domain is not None else {}
    return TrainedOn(
        source=source,
        generated=None if source is None else source in GENERATED_SOURCES,
        parts=[
            TrainingPart(
                source=str(p["source"]),
                generated=str(p["source"]) in GENERATED_SOURCES,
                factories=int(p["factories"]),
                outcomes=int(p["outcomes"]),
                years=None if p.get("years") is None else str(p["years"]),
                countries=[str(c) for c in p.get("countries", [])],
            )
            for p in getattr(bundle, "training_parts_", [])
        ],
        factories=domain.n_factories if domain is not None else 0,
        outcomes=bundle.n_training_outcomes_,
        outcomes_naming_a_measure=int(getattr(bundle, "n_identified_outcomes_", 0)),
        sectors=dict(sorted(sectors.items(), key=lambda kv: -kv[1])),
        reporting_years=f"{years.low:.0f}-{years.high:.0f}" if years else None,
        employees=f"{employees.low:.0f}-{employees.high:.0f}" if employees else None,
        money_base_year=getattr(bundle, "money_base_year_", None),
    )


def _caveats(bundle: RecommendationBundle, metrics: dict[str, float]) -> list[str]:
    """The answers' caveats, and the ranking's when it loses to sector popularity."""
    caveats: list[str] = list(bundle.data_warnings(RecommendOptions()))
    if not bundle.ranks_measures:
        caveats.append(COARSE_MODEL_WARNING)
    # Blended data: the ranking is judged on the part that names measures (the real audits'
    # coarse classes are no catalogue measures to rank).
    ranked = "part.synthetic." if "part.synthetic.model_tco2e.ndcg_at_5" in metrics else ""
    ndcg = metrics.get(f"{ranked}model_tco2e.ndcg_at_5")
    popular = metrics.get(f"{ranked}baseline_sector_popularity.ndcg_at_5")
    if ndcg is not None and popular is not None and ndcg < popular:
        caveats.append(
            f"its ranking matches what auditors recommended less often than sector popularity "
            f"does (NDCG@5 {ndcg:.3f} vs {popular:.3f}); it ranks by tCO2e, not by what "
            "auditors usually pick"
        )
    return caveats


def _realisation(bundle: RecommendationBundle) -> list[Realisation]:
    """The realisation the served interval allows for: learned per family, then the prior."""
    median, sd = REALISATION_PRIOR
    return [
        Realisation(
            family=f,
            median=m,
            log_sd=s,
            metered_outcomes=n,
            source="metered outcomes reported to the outcomes store",
        )
        for f, (m, s, n) in sorted(getattr(bundle, "realisation_", {}).items())
    ] + [
        Realisation(
            family="default",
            median=median,
            log_sd=sd,
            metered_outcomes=0,
            source="prior: evaluations of efficiency programmes (realisation 0.6-0.75 "
            "central, 0.4-1.0 range), an assumption for industrial measures",
        )
    ]


def card_markdown(bundle: RecommendationBundle) -> str:
    """The card of a fitted bundle as Markdown (the training run keeps it beside the model):
    the summary, the realisation per measure family with the metered outcomes it was learned
    from, the weight metered outcomes had in training, the headline metrics and the caveats."""
    card = model_card(bundle)
    lines = ["# Model card", "", card.summary + ".", ""]
    metered = int(getattr(bundle, "n_metered_outcomes_", 0))
    weight = getattr(bundle.config, "metered_weight", 1.0)
    lines += [
        "## Metered outcomes",
        "",
        f"{metered:,} metered outcomes (reported to the outcomes store with measured savings) "
        f"were in the training data, each counting up to {weight:g} times an auditor's estimate "
        "in the savings models.",
        "",
    ]
    if card.realisation:
        lines += [
            "## Realisation: metered over predicted savings, per measure family",
            "",
            "What the low end of each served tCO2e interval allows for.",
            "",
            "| family | median | log sd | metered outcomes | source |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {r.family} | {r.median:.3f} | {r.log_sd:.3f} | {r.metered_outcomes:,} | "
            f"{r.source} |"
            for r in card.realisation
        ]
        lines.append("")
    if card.headline_metrics:
        lines += ["## Held-out metrics", "", "| metric | value |", "|---|---|"]
        lines += [f"| {k} | {v:.4f} |" for k, v in card.headline_metrics.items()]
        lines.append("")
    lines += ["## Caveats", ""] + [f"- {c}" for c in card.caveats]
    return "\n".join(lines) + "\n"
