"""The model card: what a bundle was trained on, its held-out metrics as recorded by the
training pipeline, and the caveats every answer of it carries (served by ``/v1/model`` and in
each response's model block)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from models.bundle import COARSE_MODEL_WARNING, RecommendationBundle
from models.schemas import RecommendOptions

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
)


class TrainedOn(BaseModel):
    """The training data, in numbers."""

    model_config = ConfigDict(frozen=True)

    source: str | None = Field(description="synthetic (generated), iac, files, or None if unknown.")
    generated: bool | None = Field(description="True: generated data, not real outcomes.")
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


class ModelCard(BaseModel):
    """What the served model is, what it was trained on and what to keep in mind."""

    model_config = ConfigDict(frozen=True)

    trained_on: TrainedOn
    summary: str = Field(description="One sentence on the training data.")
    headline_metrics: dict[str, float] = Field(
        description="Held-out metrics recorded by the training pipeline (empty if not recorded)."
    )
    caveats: list[str]


def model_card(bundle: RecommendationBundle) -> ModelCard:
    """The card of a fitted bundle."""
    domain = getattr(bundle, "domain_", None)
    source = getattr(bundle, "training_source_", None)
    numeric = domain.numeric if domain is not None else {}
    years = numeric.get("reporting_year")
    employees = numeric.get("employees")
    sectors = domain.categories.get("sector", {}) if domain is not None else {}
    trained_on = TrainedOn(
        source=source,
        generated=None if source is None else source == "synthetic",
        factories=domain.n_factories if domain is not None else 0,
        outcomes=bundle.n_training_outcomes_,
        outcomes_naming_a_measure=int(getattr(bundle, "n_identified_outcomes_", 0)),
        sectors=dict(sorted(sectors.items(), key=lambda kv: -kv[1])),
        reporting_years=f"{years.low:.0f}-{years.high:.0f}" if years else None,
        employees=f"{employees.low:.0f}-{employees.high:.0f}" if employees else None,
        money_base_year=getattr(bundle, "money_base_year_", None),
    )
    kind = {"synthetic": "generated data", "iac": "the US DOE IAC release", "files": "files"}
    summary = (
        f"trained on {kind.get(source or '', 'data of unrecorded origin')}: "
        f"{trained_on.factories:,} factories, {trained_on.outcomes:,} measure outcomes"
        + (f", years {trained_on.reporting_years}" if trained_on.reporting_years else "")
        + (f"; money in {base} prices" if (base := trained_on.money_base_year) else "")
    )
    metrics = getattr(bundle, "metrics_", {})
    caveats = list(bundle.data_warnings(RecommendOptions()))
    if not bundle.ranks_measures:
        caveats.append(COARSE_MODEL_WARNING)
    ndcg = metrics.get("model_tco2e.ndcg_at_5")
    popular = metrics.get("baseline_sector_popularity.ndcg_at_5")
    if ndcg is not None and popular is not None and ndcg < popular:
        caveats.append(
            f"its ranking matches what auditors recommended less often than sector popularity "
            f"does (NDCG@5 {ndcg:.3f} vs {popular:.3f}); it ranks by tCO2e, not by what "
            "auditors usually pick"
        )
    return ModelCard(
        trained_on=trained_on,
        summary=summary,
        headline_metrics={k: metrics[k] for k in HEADLINE_METRICS if k in metrics},
        caveats=caveats,
    )
