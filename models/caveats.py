"""Caveats every answer of a bundle carries: what it was trained on, what its interval is of,
and whether its adoption weighting beats a plain rate (in English: the answer renders them in
its language)."""

from __future__ import annotations

from features.messages import Message
from models.fitted import FittedBundle
from models.schemas import RecommendOptions
from models.served import audits_warning

COARSE_MODEL_WARNING = Message("coarse_model")
GENERATED_DATA_WARNING = Message("generated_data")
UNKNOWN_SOURCE_WARNING = Message("unknown_source")


def data_warnings(bundle: FittedBundle, options: RecommendOptions) -> list[Message]:
    """Caveats every answer of ``bundle`` carries (its training data, its metrics)."""
    out = []
    source = getattr(bundle, "training_source_", None)
    if source == "synthetic":
        out.append(GENERATED_DATA_WARNING)
    elif source == "audits":
        out.append(
            audits_warning(
                getattr(bundle, "training_parts_", []), getattr(bundle, "money_base_year_", None)
            )
        )
    elif source is None:
        out.append(UNKNOWN_SOURCE_WARNING)
    if bundle.config.interval_served_margins:
        out.append(bundle.served_interval_warning())
    metrics = getattr(bundle, "metrics_", {})
    served = metrics.get("adoption_roc_auc")
    rate = metrics.get("baseline_measure_rate.adoption_roc_auc")
    weighted = options.objective == "most_adopted_tco2e"
    if weighted and served is not None and rate is not None and served <= rate:
        out.append(
            Message(
                "adoption_uninformative",
                objective="most_adopted_tco2e",
                served=f"{served:.3f}",
                rate=f"{rate:.3f}",
            )
        )
    return out
