"""``decarb-train``: train, evaluate against baselines, log to MLflow, register and gate the
champion."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import mlflow
import typer
from mlflow.exceptions import MlflowException
from rich.console import Console
from rich.table import Table

from models.pyfunc import CHAMPION_ALIAS
from training.config import TrainConfig, load_config
from training.evaluate import COMPARISONS
from training.pipeline import TrainResult, run_training

app = typer.Typer(add_completion=False, help=__doc__)

KEY_METRICS = (
    "savings_r2_log", "savings_interval_coverage", "cost_r2_log", "adoption_roc_auc",
    "adoption_audit_time_roc_auc",
    "baseline_logistic.adoption_roc_auc", "baseline_measure_rate.adoption_roc_auc",
    "model_tco2e.hit_at_5", "model_tco2e.regret_at_5", "baseline_global_popularity.regret_at_5",
    "model_applicability.ndcg_at_10", "baseline_global_popularity.ndcg_at_10",
)  # fmt: skip


def comparison_rows(metrics: dict[str, float]) -> list[tuple[str, str, str, str]]:
    """(metric, model value, baseline and its value, better/worse) for each comparison."""
    rows = []
    for name, (baselines, higher) in COMPARISONS.items():
        if name not in metrics:
            continue
        for baseline in baselines:
            if baseline not in metrics:
                continue
            mine, theirs = metrics[name], metrics[baseline]
            wins = mine > theirs if higher else mine < theirs
            mark = "better" if wins else ("same" if mine == theirs else "worse")
            rows.append((name, f"{mine:.4f}", f"{baseline.split('.')[0]} {theirs:.4f}", mark))
    return rows


def train(config: TrainConfig, console: Console | None = None) -> TrainResult:
    """Run training, printing each stage with the time since the start; then the metrics,
    each against its baselines (better / worse), and the gate's verdict."""
    console = console or Console()
    started = time.perf_counter()

    def stage(message: str) -> None:
        console.print(f"[dim]{time.perf_counter() - started:7.1f} s[/dim]  {message}")

    result = run_training(config, progress=stage)
    console.print(f"run {result.run_id}  model version {result.model_version}")
    table = Table(title="Held-out metrics against the baselines")
    for column in ("metric", "model", "baseline", "model is"):
        table.add_column(column)
    for name, mine, baseline, mark in comparison_rows(result.metrics):
        colour = {"better": "green", "worse": "red"}.get(mark, "white")
        table.add_row(name, mine, baseline, f"[{colour}]{mark}[/{colour}]")
    console.print(table)
    for name in KEY_METRICS:
        if name in result.metrics and name not in COMPARISONS:
            console.print(f"  {name:45s} {result.metrics[name]:.4f}")
    verdict = "[green]champion[/green]" if result.promoted else "[yellow]challenger[/yellow]"
    console.print(f"{verdict}: {result.reason}")
    console.print("timings: " + ", ".join(f"{k} {v:.1f}" for k, v in result.timings.items()))
    return result


#: The options of ``decarb-train``: each names a field of TrainConfig (None: the config's value).
Source = Annotated[
    str | None,
    typer.Option(
        help="audits (default: the shipped real IAC audits + calibrated generated data), "
        "synthetic, world2, iac, files or outcomes (the service's store)."
    ),
]
DataPath = Annotated[
    str | None,
    typer.Argument(
        help="IAC release or folder of tables (iac, files; audits: instead of the shipped "
        "copy); the store's database URL (outcomes)."
    ),
]
OutcomesUrl = Annotated[
    str | None, typer.Option(help="Also learn from the outcomes store at this database URL.")
]
OutcomesWeight = Annotated[
    int | None, typer.Option(help="Rows of the base one reported outcome counts as.")
]
MeteredWeight = Annotated[
    float | None,
    typer.Option(help="How much a metered outcome counts against an auditor's estimate."),
]
ConfigFile = Annotated[Path | None, typer.Option(help="YAML config; flags override it.")]
AssessFile = Annotated[Path | None, typer.Option(help="IAC: the ASSESS table.")]
EiaFile = Annotated[Path | None, typer.Option(help="EIA state-year factors.")]
NFactories = Annotated[
    int | None,
    typer.Option(help="Generated factories (synthetic, world2; audits: the generated part)."),
]
Seed = Annotated[int | None, typer.Option(help="Random seed (data and models).")]
NEstimators = Annotated[int | None, typer.Option(help="Boosting rounds.")]
LearningRate = Annotated[float | None, typer.Option(help="Boosting learning rate.")]
NumLeaves = Annotated[int | None, typer.Option(help="Leaves per tree.")]
MaxDepth = Annotated[int | None, typer.Option(help="Tree depth limit (-1: none).")]
HoldoutYear = Annotated[int | None, typer.Option(help="Test = factories from this year on.")]
Split = Annotated[
    str | None,
    typer.Option(help="auto (time for iac), random, time, or none (all data, no holdout)."),
]
TrackingUri = Annotated[str | None, typer.Option(help="MLflow tracking URI.")]
PrimaryMetric = Annotated[str | None, typer.Option(help="Metric of the champion gate.")]
GuardTolerance = Annotated[
    float | None,
    typer.Option(help="Gate: how much a guard metric (adoption AUC, cost R2) may drop."),
]
SearchTrials = Annotated[
    int | None, typer.Option(help="Optuna trials (nested runs) before the final fit.")
]
DaskAddress = Annotated[
    str | None,
    typer.Option(
        help="Train the boosters on Dask: 'local' (a LocalCluster of 2 workers) or a "
        "scheduler address such as tcp://scheduler:8786."
    ),
]
IfNoChampion = Annotated[
    bool, typer.Option(help="Do nothing if the registry already has a champion.")
]


@app.command()
def main(
    source: Source = None,
    path: DataPath = None,
    outcomes_url: OutcomesUrl = None,
    outcomes_weight: OutcomesWeight = None,
    metered_weight: MeteredWeight = None,
    config: ConfigFile = None,
    assess: AssessFile = None,
    eia_state_factors: EiaFile = None,
    n_factories: NFactories = None,
    seed: Seed = None,
    n_estimators: NEstimators = None,
    learning_rate: LearningRate = None,
    num_leaves: NumLeaves = None,
    max_depth: MaxDepth = None,
    time_holdout_from_year: HoldoutYear = None,
    split: Split = None,
    tracking_uri: TrackingUri = None,
    primary_metric: PrimaryMetric = None,
    guard_tolerance: GuardTolerance = None,
    search_trials: SearchTrials = None,
    dask: DaskAddress = None,
    if_no_champion: IfNoChampion = False,
) -> None:
    """Train on a source and register the model; it becomes champion only if it beats the
    current champion on the primary metric on the same held-out data without losing more than
    the tolerance on the guard metrics, with its interval's coverage in the band."""
    overrides: dict[str, object] = {
        "source": source, "path": path, "outcomes_url": outcomes_url,
        "outcomes_weight": outcomes_weight, "metered_weight": metered_weight,
        "assess_path": str(assess) if assess else None,
        "eia_state_factors": str(eia_state_factors) if eia_state_factors else None,
        "n_factories": n_factories, "seed": seed, "n_estimators": n_estimators,
        "learning_rate": learning_rate, "num_leaves": num_leaves, "max_depth": max_depth,
        "time_holdout_from_year": time_holdout_from_year, "tracking_uri": tracking_uri,
        "primary_metric": primary_metric, "search_trials": search_trials, "split": split,
        "guard_tolerance": guard_tolerance, "dask": dask,
    }  # fmt: skip
    resolved = load_config(config, overrides)
    if if_no_champion and champion_exists(resolved):
        typer.echo(f"{resolved.model_name}@{CHAMPION_ALIAS} exists; not training")
        return
    if if_no_champion:
        typer.echo(f"no {resolved.model_name}@{CHAMPION_ALIAS} yet: training one")
    train(resolved)


def champion_exists(config: TrainConfig) -> bool:
    """Whether the registry of ``config`` has a champion version."""
    client = mlflow.MlflowClient(tracking_uri=config.resolved_tracking_uri())
    try:
        client.get_model_version_by_alias(config.model_name, CHAMPION_ALIAS)
    except MlflowException:
        return False
    return True
