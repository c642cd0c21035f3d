"""One training run: data -> split -> fit -> evaluate -> MLflow run -> registry, champion gate."""

from __future__ import annotations

import json
import os
import re
import socket
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException

from features.errors import InvalidValueError
from features.sources import SyntheticConfig, load_dataset
from features.sources.combined import combine, training_parts
from features.sources.outcome_store import safe_url
from features.sources.schema import Dataset
from models.bundle import RecommendationBundle
from models.card import card_markdown
from models.cluster import DaskTrainer, dask_client
from models.estimators import trained_with
from models.pyfunc import CHAMPION_ALIAS, alias_uri, load_bundle, log_bundle, use_store
from models.trust import UntrustedModelError
from training.config import TrainConfig
from training.evaluate import COMPARISONS, evaluate
from training.heartbeat import Heartbeat, reap_dead_runs
from training.plots import save_plots
from training.search import search
from training.split import Split, split_by_factory
from training.verified import with_verifications


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
    """The data set a training configuration names (with the outcomes store beside it when
    ``outcomes_url`` is set)."""
    data = load_dataset(
        config.source,
        config.path,
        assess_path=config.assess_path,
        eia_state_factors=config.eia_state_factors,
        synthetic=SyntheticConfig(n_factories=config.n_factories, seed=config.seed),
    )
    if config.source == "outcomes" and config.path is not None:
        data = with_verifications(data, config.path)
    if config.outcomes_url is None:
        return data
    if config.source == "outcomes":
        raise InvalidValueError(
            "outcomes_url", config.outcomes_url, "none when the source is outcomes itself"
        )
    reported = with_verifications(
        load_dataset("outcomes", config.outcomes_url), config.outcomes_url
    )
    return combine(data, reported, config.outcomes_weight)


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
    use_store(config.resolved_tracking_uri(), config.experiment, config.artifact_root)
    for gone in reap_dead_runs(config.experiment):
        progress(f"run {gone.run_id} was left RUNNING by a training that is gone ({gone.reason})")

    progress("loading data")
    data = load_configured(config)
    timings["data_s"] = time.perf_counter() - started
    split = split_by_factory(data, config)

    name, description = run_label(config, data, split)
    with (
        mlflow.start_run(run_name=name, description=description) as run,
        Heartbeat(run.info.run_id),  # a killed training's run is marked FAILED later
        tempfile.TemporaryDirectory() as tmp,
    ):
        # Who runs it, so a later start can tell a run whose process was killed.
        mlflow.set_tags({"host": socket.gethostname(), "pid": str(os.getpid())})
        if config.search_trials:
            config = _searched(config, data, split, progress, timings)
        bundle = _fit(config, split, progress, timings)
        t0 = time.perf_counter()
        metrics = _evaluate_held_out(bundle, split, data, progress)
        timings["evaluate_s"] = time.perf_counter() - t0
        _describe(bundle, config, data, split, metrics)
        _log_run(config, bundle, data, split, metrics)
        progress("plots")
        for plot in save_plots(bundle, split, Path(tmp)):
            mlflow.log_artifact(str(plot), "plots")
        progress("logging the model")
        t0 = time.perf_counter()
        info = log_bundle(bundle, split.train_factories, Path(tmp))
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


def _describe(
    bundle: RecommendationBundle,
    config: TrainConfig,
    data: Dataset,
    split: Split,
    metrics: dict[str, float],
) -> None:
    """Tell the bundle what it was trained on and how it scored (its card and caveats say
    so); a primary metric the evaluation did not compute stops the training."""
    bundle.describe_training(
        data.report.source,
        metrics,
        data.report.money_base_year,
        parts=training_parts(split.train_factories, split.train_outcomes),
    )
    if len(split.test_factories) and config.primary_metric not in metrics:
        raise ValueError(
            f"primary_metric {config.primary_metric!r} not computed; available: {sorted(metrics)}"
        )


def _searched(
    config: TrainConfig,
    data: Dataset,
    split: Split,
    progress: Callable[[str], None],
    timings: dict[str, float],
) -> TrainConfig:
    """The config with the hyperparameters a search on the training side found best."""
    progress(f"searching hyperparameters ({config.search_trials} trials)")
    t0 = time.perf_counter()
    train_only = Dataset(split.train_factories, split.train_outcomes, None, data.report)
    best = search(train_only, config, progress)
    timings["search_s"] = time.perf_counter() - t0
    mlflow.log_params({f"search.best.{k}": v for k, v in best.items()})
    return config.model_copy(update=best)


def _fit(
    config: TrainConfig, split: Split, progress: Callable[[str], None], timings: dict[str, float]
) -> RecommendationBundle:
    """The bundle fitted on the training side (its boosters on Dask when configured)."""
    progress(f"training on {len(split.train_outcomes):,} outcomes")
    t0 = time.perf_counter()
    with _booster_training(config, progress) as cluster:
        bundle = RecommendationBundle(config.bundle_config()).fit(
            split.train_factories, split.train_outcomes, progress=progress
        )
        if cluster is not None:
            timings["dask_boosters_distributed"] = cluster.distributed
            timings["dask_boosters_local"] = cluster.local
            for i, (_, mb) in enumerate(sorted(cluster.worker_peak_rss_mb().items())):
                timings[f"dask_worker{i}_peak_rss_mb"] = mb
    timings["fit_s"] = time.perf_counter() - t0
    return bundle


def _evaluate_held_out(
    bundle: RecommendationBundle, split: Split, data: Dataset, progress: Callable[[str], None]
) -> dict[str, float]:
    """Metrics on the held-out factories, then on each source's part of them alone."""
    if not len(split.test_factories):
        return {}
    progress("evaluating on held-out factories")
    metrics = evaluate(
        bundle,
        split.train_factories,
        split.train_outcomes,
        split.test_factories,
        split.test_outcomes,
        data.truth,
    )
    for source, (factories, outcomes) in test_parts(split).items():
        progress(f"evaluating on the held-out {source} part ({len(outcomes):,} outcomes)")
        part = evaluate(
            bundle, split.train_factories, split.train_outcomes, factories, outcomes, data.truth
        )
        metrics |= {f"part.{source}.{k}": v for k, v in part.items() if ".year_" not in k}
    return metrics


def _log_run(
    config: TrainConfig,
    bundle: RecommendationBundle,
    data: Dataset,
    split: Split,
    metrics: dict[str, float],
) -> None:
    """Params (database URLs without passwords), tags, the training data as an MLflow dataset,
    the data report, metrics, the evaluation and the model card."""
    params = config.model_dump()
    # A database URL may carry a password: logged without it.
    for name in ("outcomes_url", "path"):
        if isinstance(params.get(name), str) and "://" in params[name]:
            params[name] = safe_url(params[name])
    mlflow.log_params(params)
    mlflow.set_tags(
        {
            "data.fingerprint": data.report.fingerprint,
            "data.source": data.report.source,
            "split": split.description,
            "catalogue.version": bundle.catalogue_version_,
            "factor_table.version": bundle.factor_table_version_,
        }
    )
    # The training data as an MLflow dataset: its digest and where it came from.
    with warnings.catch_warnings():
        # MLflow's dataset digest calls a pandas API slated to change in pandas 4.
        warnings.simplefilter("ignore", category=FutureWarning)
        warnings.simplefilter("ignore", category=pd.errors.Pandas4Warning)
        dataset = mlflow.data.from_pandas(  # type: ignore[attr-defined]
            split.train_outcomes, name=f"{data.report.source}-outcomes"
        )
    mlflow.set_tag("data.detail", data.report.detail[:5000])
    mlflow.log_input(dataset, context="training")
    mlflow.log_text(data.report.summary(), "data_report.txt")
    mlflow.log_metrics({k.replace("@", "_at_"): v for k, v in metrics.items()})
    mlflow.log_dict(metrics, "evaluation.json")
    mlflow.log_text(_evaluation_markdown(metrics, config, split), "evaluation.md")
    mlflow.log_text(card_markdown(bundle), "model_card.md")


@contextmanager
def _booster_training(
    config: TrainConfig, progress: Callable[[str], None]
) -> Iterator[DaskTrainer | None]:
    """Boosters train in this process, or on the Dask cluster ``config.dask``."""
    if config.dask is None:
        yield None
        return
    with dask_client(config.dask) as client:
        workers = len(client.scheduler_info()["workers"])
        progress(f"training boosters on Dask ({config.dask}, {workers} workers)")
        trainer = DaskTrainer(client, min_rows=config.dask_min_rows)
        with trained_with(trainer):
            yield trainer


def run_label(config: TrainConfig, data: Dataset, split: Split) -> tuple[str, str]:
    """A run's name (source, size, seed, key settings) and its description."""
    n = len(data.factories)
    name = (
        f"{config.source}-{n}f-seed{config.seed}-{config.n_estimators}trees-"
        f"lr{config.learning_rate:g}-{config.split}"
    )
    description = (
        f"Training on {data.report.source} data ({n:,} factories, {len(data.outcomes):,} "
        f"outcomes; fingerprint {data.report.fingerprint[:12]}); split: {split.description}; "
        f"{config.n_estimators} trees, learning rate {config.learning_rate:g}, "
        f"{config.num_leaves} leaves; gate on {config.primary_metric} with guards "
        f"{', '.join(config.guard_metrics)} (tolerance {config.guard_tolerance:g})."
    )
    return name, description


def _register_and_gate(
    config: TrainConfig,
    model_uri: str,
    bundle: RecommendationBundle,
    split: Split,
    data: Dataset,
    result: TrainResult,
) -> TrainResult:
    """Decide, then register: the version is created with its role and gate tags in one call,
    so a run killed midway leaves either no version or a tagged one (never an untagged one);
    the alias moves last."""
    client = mlflow.MlflowClient()
    promote, reason = _gate(config, bundle, split, data, result)
    # Registered as challenger with the gate's reason; only a promoted version then takes the
    # alias and the champion role.
    version = mlflow.register_model(
        model_uri, config.model_name, tags={"role": "challenger", "gate": reason}
    ).version
    # The full reason also as the version's description: the registry shows it whole.
    client.update_model_version(config.model_name, version, description=f"Gate: {reason}")
    result.model_version = str(version)
    if promote:
        client.set_registered_model_alias(config.model_name, CHAMPION_ALIAS, version)
        client.set_model_version_tag(config.model_name, version, "role", "champion")
    mlflow.set_tag("gate", reason)
    result.promoted, result.reason = promote, reason
    mlflow.log_text(json.dumps({"promoted": promote, "reason": reason}), "gate.json")
    return result


def _gate(
    config: TrainConfig,
    bundle: RecommendationBundle,
    split: Split,
    data: Dataset,
    result: TrainResult,
) -> tuple[bool, str]:
    """Whether the new model takes the champion alias, and why (in words). Sets
    ``result.champion_metrics`` when it was compared with a champion."""
    try:
        champion = mlflow.MlflowClient().get_model_version_by_alias(
            config.model_name, CHAMPION_ALIAS
        )
    except MlflowException:
        champion = None
    insane = insane_metrics(result.metrics, config.primary_metric)
    if not len(split.test_factories):
        return False, (
            "not promoted: trained on all data (split none), so there is no held-out "
            "evaluation to gate on; evaluate it with decarb-evaluate on newer data"
        )
    if not bundle.ranks_measures:
        # The service ranks catalogue measures; a model that cannot tell them apart must not
        # serve, whatever its metrics.
        return False, "not promoted: trained without measure identity (coarse groups)"
    if insane:
        return False, "not promoted: evaluation fails sanity checks: " + "; ".join(insane)
    if lost := baseline_losses(result.metrics, config):
        return False, "not promoted: loses to a baseline: " + "; ".join(lost)
    if champion is None:
        return True, "no champion yet"
    if (old := _trusted_champion(config)) is None:
        # The service refuses to load it too: nothing serves until a trusted model takes over.
        return True, (
            f"champion v{champion.version} is not a model this project's training produced "
            "(the loader refuses it); replaced"
        )
    result.champion_metrics = evaluate(
        old,
        split.train_factories,
        split.train_outcomes,
        split.test_factories,
        split.test_outcomes,
        data.truth,
    )
    return _against_champion(config, result.metrics, result.champion_metrics, champion.version)


def _against_champion(
    config: TrainConfig, new: dict[str, float], old: dict[str, float], champion_version: str
) -> tuple[bool, str]:
    """Promote when the primary metric beats the champion's on the same held-out data and no
    guard metric fails."""
    new_value = new.get(config.primary_metric, float("nan"))
    old_value = old.get(config.primary_metric, float("nan"))
    better = _better(new_value, old_value, config.primary_metric_higher_is_better)
    verdict = "beats" if better else "does not beat"
    reason = (
        f"{config.primary_metric} {new_value:.4f} {verdict} champion v{champion_version} "
        f"({old_value:.4f}) on the same held-out data"
    )
    failed = guard_failures(new, old, config)
    if better and failed:
        reason += "; not promoted: " + "; ".join(failed)
    elif failed:
        reason += "; also " + "; ".join(failed)
    return better and not failed, reason


def _trusted_champion(config: TrainConfig) -> RecommendationBundle | None:
    """The current champion, or None when the loader refuses it (models/trust.py: no digest
    recorded by this project's training, or a file that no longer matches it); nothing of a
    refused model is unpickled."""
    try:
        return load_bundle(alias_uri(config.model_name)).bundle
    except UntrustedModelError:
        return None


def guard_failures(new: dict[str, float], old: dict[str, float], config: TrainConfig) -> list[str]:
    """Guard metrics the challenger loses by more than the tolerance, and a held-out interval
    coverage outside the band; empty when the challenger may take over."""
    out = []
    for name in config.guard_metrics:
        a, b = new.get(name, float("nan")), old.get(name, float("nan"))
        if np.isfinite(a) and np.isfinite(b) and a < b - config.guard_tolerance:
            out.append(
                f"guard {name} {a:.4f} is below the champion's {b:.4f} by more than "
                f"{config.guard_tolerance:g}"
            )
    low, high = config.coverage_band
    coverage = new.get("savings_interval_coverage", float("nan"))
    if np.isfinite(coverage) and not low <= coverage <= high:
        out.append(f"guard savings_interval_coverage {coverage:.3f} outside {low:g}-{high:g}")
    return out


#: Held-out outcomes a part of blended data needs to be evaluated on its own.
PART_MIN_TEST_OUTCOMES = 200


def test_parts(split: Split) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """The held-out factories and outcomes of each source of blended data (``provenance``),
    for parts with at least :data:`PART_MIN_TEST_OUTCOMES` outcomes; empty for one source."""
    outcomes, factories = split.test_outcomes, split.test_factories
    if "provenance" not in outcomes or "x_provenance" not in factories:
        return {}
    sources = pd.unique(outcomes["provenance"].astype(str))
    if len(sources) < 2:
        return {}
    out = {}
    for source in sources:
        o = outcomes[outcomes["provenance"].astype(str) == source]
        if len(o) >= PART_MIN_TEST_OUTCOMES:
            f = factories[factories["x_provenance"].astype(str) == source]
            out[str(source)] = (f.reset_index(drop=True), o.reset_index(drop=True))
    return out


def baseline_losses(metrics: dict[str, float], config: TrainConfig) -> list[str]:
    """The baselines the model loses to on its primary metric or a guard metric, on the same
    held-out data (empty when it beats or ties every one it was compared with), on the whole
    test set and on each part of blended data (``part.<source>.`` metrics).

    A ROC AUC loses when it is below the baseline's by more than its standard error (recorded
    as ``<metric>_se`` by the evaluation; Hanley & McNeil 1982): on a few hundred held-out
    outcomes two equally good classifiers differ by about that much. Every other metric loses
    when it is worse at all."""
    out = []
    gated = {config.primary_metric: config.primary_metric_higher_is_better}
    gated |= {name: True for name in config.guard_metrics}
    parts = {m.group(0) for k in metrics if (m := re.match(r"part\.[^.]+\.", k)) is not None}
    prefixes = ["", *sorted(parts)]
    for prefix in prefixes:
        for name, higher in gated.items():
            mine = metrics.get(prefix + name, float("nan"))
            noise = metrics.get(f"{prefix}{name}_se", 0.0)
            noise = noise if np.isfinite(noise) else 0.0
            baselines = COMPARISONS.get(name, ((), higher))[0]
            for baseline in baselines:
                theirs = metrics.get(prefix + baseline, float("nan"))
                if not (np.isfinite(mine) and np.isfinite(theirs)):
                    continue
                if (mine < theirs - noise) if higher else (mine > theirs + noise):
                    allowance = f" (beyond its standard error {noise:.4f})" if noise else ""
                    out.append(
                        f"{prefix}{name} {mine:.4f} vs {prefix}{baseline} {theirs:.4f}{allowance}"
                    )
    return out


def insane_metrics(metrics: dict[str, float], primary: str) -> list[str]:
    """Why an evaluation cannot be trusted to gate on (empty when it can): a non-finite primary
    metric, coverage or AUC; a share (coverage, AUC, NDCG, recall, hit rate) outside [0, 1];
    an 80% interval that covers less than half of the held-out outcomes."""
    out = []
    for name in (primary, "savings_interval_coverage", "adoption_roc_auc"):
        if name in metrics and not np.isfinite(metrics[name]):
            out.append(f"{name} is {metrics[name]}")
    for name, value in metrics.items():
        share = any(word in name for word in ("coverage", "auc", "ndcg", "recall", "hit_at"))
        if share and np.isfinite(value) and not 0.0 <= value <= 1.0:
            out.append(f"{name} {value:.4g} outside [0, 1]")
    coverage = metrics.get("savings_interval_coverage")
    if coverage is not None and np.isfinite(coverage) and coverage < 0.5:
        out.append(f"savings_interval_coverage {coverage:.3f} below 0.5 for an 80% interval")
    return out
