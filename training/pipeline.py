"""One training run: data -> split -> fit -> evaluate -> MLflow run -> registry, champion gate."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException

from features.sources import SyntheticConfig, load_dataset
from features.sources.schema import Dataset
from models.bundle import RecommendationBundle
from models.pyfunc import CHAMPION_ALIAS, load_bundle, log_bundle, use_store
from training.config import TrainConfig
from training.evaluate import evaluate
from training.plots import save_plots
from training.search import search


@dataclass
class Split:
    """Train and test tables; no factory on both sides."""

    train_factories: pd.DataFrame
    train_outcomes: pd.DataFrame
    test_factories: pd.DataFrame
    test_outcomes: pd.DataFrame
    description: str


@dataclass
class TrainResult:
    """What a run produced and decided."""

    run_id: str
    model_version: str | None
    promoted: bool
    reason: str
    metrics: dict[str, float]
    champion_metrics: dict[str, float] | None
    timings: dict[str, float] = field(default_factory=dict)


def load_configured(config: TrainConfig) -> Dataset:
    """The data set a training configuration names."""
    return load_dataset(
        config.source,
        config.path,
        assess_path=config.assess_path,
        eia_state_factors=config.eia_state_factors,
        synthetic=SyntheticConfig(n_factories=config.n_factories, seed=config.seed),
    )


def split_by_factory(data: Dataset, config: TrainConfig) -> Split:
    """Grouped split by factory; a time holdout (test = factories from a year on) if configured."""
    f = data.factories.reset_index(drop=True)
    if config.split == "none":
        return Split(
            train_factories=f,
            train_outcomes=data.outcomes.reset_index(drop=True),
            test_factories=f.iloc[:0],
            test_outcomes=data.outcomes.iloc[:0],
            description="all data (split none): no held-out evaluation",
        )
    years = f["reporting_year"].astype(float)
    timed = config.time_holdout_from_year is not None or config.split == "time"
    if config.split == "auto" and config.source == "iac":
        timed = True  # real outcomes: the later years are what the model will meet
    if timed:
        first = config.time_holdout_from_year
        if first is None:
            first = int(years.max()) - config.time_holdout_years + 1
        test = years >= first
        description = f"time holdout: test = reporting_year >= {first}"
    else:
        rng = np.random.default_rng(config.seed)
        ids = f["factory_id"].astype(str).unique()
        test_ids = set(rng.choice(ids, size=int(len(ids) * config.test_fraction), replace=False))
        test = f["factory_id"].astype(str).isin(test_ids)
        description = f"grouped by factory, {config.test_fraction:.0%} of factories held out"
    test_ids_set = set(f.loc[test, "factory_id"].astype(str))
    in_test = data.outcomes["factory_id"].astype(str).isin(test_ids_set)
    result = Split(
        train_factories=f[~test].reset_index(drop=True),
        train_outcomes=data.outcomes[~in_test].reset_index(drop=True),
        test_factories=f[test].reset_index(drop=True),
        test_outcomes=data.outcomes[in_test].reset_index(drop=True),
        description=description,
    )
    overlap = set(result.train_factories["factory_id"]) & set(result.test_factories["factory_id"])
    if overlap:
        raise AssertionError(f"factories on both sides of the split: {sorted(overlap)[:3]}")
    if result.test_factories.empty or result.train_factories.empty:
        raise ValueError(f"empty side in split ({description})")
    return result


def _better(new: float, old: float, higher_is_better: bool) -> bool:
    if np.isnan(new):
        return False
    if np.isnan(old):
        return True
    return new > old if higher_is_better else new < old


def _evaluation_markdown(metrics: dict[str, float], config: TrainConfig, split: Split) -> str:
    lines = [
        "# Evaluation on held-out factories",
        "",
        f"Split: {split.description}; train {len(split.train_factories):,} factories / "
        f"{len(split.train_outcomes):,} outcomes, test {len(split.test_factories):,} / "
        f"{len(split.test_outcomes):,}.",
        f"Primary metric: `{config.primary_metric}`.",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    lines += [f"| {k} | {v:.4f} |" for k, v in sorted(metrics.items())]
    return "\n".join(lines) + "\n"


def run_training(
    config: TrainConfig, progress: Callable[[str], None] = lambda _msg: None
) -> TrainResult:
    """Run a full training; see the module docstring."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    use_store(config.resolved_tracking_uri(), config.experiment)

    progress("loading data")
    data = load_configured(config)
    timings["data_s"] = time.perf_counter() - started
    split = split_by_factory(data, config)

    with mlflow.start_run() as run, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if config.search_trials:
            progress(f"searching hyperparameters ({config.search_trials} trials)")
            t0 = time.perf_counter()
            train_only = Dataset(split.train_factories, split.train_outcomes, None, data.report)
            best = search(train_only, config, progress)
            timings["search_s"] = time.perf_counter() - t0
            mlflow.log_params({f"search.best.{k}": v for k, v in best.items()})
            config = config.model_copy(update=best)

        progress(f"training on {len(split.train_outcomes):,} outcomes")
        t0 = time.perf_counter()
        bundle = RecommendationBundle(config.bundle_config()).fit(
            split.train_factories, split.train_outcomes
        )
        timings["fit_s"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        metrics: dict[str, float] = {}
        if len(split.test_factories):
            progress("evaluating on held-out factories")
            metrics = evaluate(
                bundle, split.train_factories, split.train_outcomes, split.test_factories,
                split.test_outcomes, data.truth,
            )  # fmt: skip
        timings["evaluate_s"] = time.perf_counter() - t0
        bundle.describe_training(data.report.source, metrics)
        if len(split.test_factories) and config.primary_metric not in metrics:
            raise ValueError(
                f"primary_metric {config.primary_metric!r} not computed; "
                f"available: {sorted(metrics)}"
            )
        mlflow.log_params(config.model_dump())
        mlflow.set_tags(
            {
                "data.fingerprint": data.report.fingerprint,
                "data.source": data.report.source,
                "split": split.description,
            }
        )
        mlflow.log_text(data.report.summary(), "data_report.txt")
        mlflow.log_metrics({k.replace("@", "_at_"): v for k, v in metrics.items()})
        mlflow.log_dict(metrics, "evaluation.json")
        mlflow.log_text(_evaluation_markdown(metrics, config, split), "evaluation.md")
        progress("plots")
        for plot in save_plots(bundle, split, workdir):
            mlflow.log_artifact(str(plot), "plots")
        progress("logging the model")
        t0 = time.perf_counter()
        info = log_bundle(bundle, split.train_factories, workdir)
        timings["log_model_s"] = time.perf_counter() - t0
        result = TrainResult(
            run_id=run.info.run_id,
            model_version=None,
            promoted=False,
            reason="not registered (register_model=false)",
            metrics=metrics,
            champion_metrics=None,
            timings=timings,
        )
        if config.register_model:
            progress("registering and applying the champion gate")
            result = _register_and_gate(config, info.model_uri, bundle, split, data, result)
        mlflow.log_dict(timings, "timings.json")
    timings["total_s"] = time.perf_counter() - started
    return result


def _register_and_gate(
    config: TrainConfig,
    model_uri: str,
    bundle: RecommendationBundle,
    split: Split,
    data: Dataset,
    result: TrainResult,
) -> TrainResult:
    client = mlflow.MlflowClient()
    version = mlflow.register_model(model_uri, config.model_name).version
    result.model_version = str(version)
    new_value = result.metrics.get(config.primary_metric, float("nan"))
    try:
        champion = client.get_model_version_by_alias(config.model_name, CHAMPION_ALIAS)
    except MlflowException:
        champion = None
    if not len(split.test_factories):
        promote, reason = (
            False,
            (
                "not promoted: trained on all data (split none), so there is no held-out "
                "evaluation to gate on; evaluate it with decarb-evaluate on newer data"
            ),
        )
    elif not bundle.ranks_measures:
        # The service ranks catalogue measures; a model that cannot tell them apart must not
        # serve, whatever its metrics.
        promote, reason = False, "not promoted: trained without measure identity (coarse groups)"
    elif champion is None:
        promote, reason = True, "no champion yet"
    else:
        old = load_bundle(f"models:/{config.model_name}@{CHAMPION_ALIAS}").bundle
        result.champion_metrics = evaluate(
            old, split.train_factories, split.train_outcomes, split.test_factories,
            split.test_outcomes, data.truth,
        )  # fmt: skip
        old_value = result.champion_metrics.get(config.primary_metric, float("nan"))
        promote = _better(new_value, old_value, config.primary_metric_higher_is_better)
        verdict = "beats" if promote else "does not beat"
        reason = (
            f"{config.primary_metric} {new_value:.4f} {verdict} champion v{champion.version} "
            f"({old_value:.4f}) on the same held-out data"
        )
    if promote:
        client.set_registered_model_alias(config.model_name, CHAMPION_ALIAS, version)
        client.set_model_version_tag(config.model_name, version, "role", "champion")
    else:
        client.set_model_version_tag(config.model_name, version, "role", "challenger")
    client.set_model_version_tag(config.model_name, version, "gate", reason)
    mlflow.set_tag("gate", reason)
    result.promoted, result.reason = promote, reason
    mlflow.log_text(json.dumps({"promoted": promote, "reason": reason}), "gate.json")
    return result
