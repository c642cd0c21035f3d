"""``decarb-evaluate``: evaluate any registered model on any data source exactly as served, on the
same split a training run with the same options would use (so its numbers match that run's
evaluation), print the metrics, write them as JSON and log an evaluation run linked to the model
version.

    decarb-evaluate --model-uri models:/decarb-recommender/3 --source iac PATH --assess PATH \\
        --json out.json
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import mlflow
import typer
from rich.console import Console

from features.sources import Dataset
from models.pyfunc import CHAMPION_URI, LoadedModel, load_bundle, use_store
from models.redact import redact
from models.trust import UntrustedModelError
from training.config import load_config
from training.evaluate import evaluate
from training.pipeline import load_configured
from training.split import split_by_factory

app = typer.Typer(add_completion=False, help=__doc__)

EVALUATION_EXPERIMENT = "decarb-evaluations"
#: Metrics printed first (all are written to the JSON and logged).
SHOWN = (
    "savings_r2_log", "savings_interval_coverage", "savings_interval_coverage_all_candidates",
    "savings_interval_coverage_all_candidates.not_picked", "cost_r2_log", "adoption_roc_auc",
    "adoption_audit_time_roc_auc", "baseline_measure_rate.adoption_roc_auc",
    "baseline_logistic.adoption_roc_auc", "model_tco2e.ndcg_at_5",
    "baseline_sector_popularity.ndcg_at_5", "model_tco2e.hit_at_5", "model_tco2e.regret_at_5",
)  # fmt: skip


@app.command()
def main(
    model_uri: Annotated[str, typer.Option(help="Registered model URI.")] = (CHAMPION_URI),
    source: Annotated[str | None, typer.Option(help="synthetic, iac or files.")] = None,
    path: Annotated[
        Path | None, typer.Argument(help="IAC release or folder of tables (iac, files).")
    ] = None,
    config: Annotated[Path | None, typer.Option(help="YAML config; flags override it.")] = None,
    assess: Annotated[Path | None, typer.Option(help="IAC: the ASSESS table.")] = None,
    eia_state_factors: Annotated[Path | None, typer.Option(help="EIA state-year factors.")] = None,
    n_factories: Annotated[int | None, typer.Option(help="Synthetic: factories.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (data and split).")] = None,
    split: Annotated[str | None, typer.Option(help="auto, random or time.")] = None,
    time_holdout_from_year: Annotated[
        int | None, typer.Option(help="Test = factories from this year on.")
    ] = None,
    tracking_uri: Annotated[str | None, typer.Option(help="MLflow tracking URI.")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write metrics here.")] = None,
    log: Annotated[bool, typer.Option(help="Log an evaluation run to MLflow.")] = True,
) -> None:
    """Evaluate MODEL_URI on the held-out side of a source's split."""
    console = Console()
    overrides: dict[str, object] = {
        "source": source, "path": str(path) if path else None,
        "assess_path": str(assess) if assess else None,
        "eia_state_factors": str(eia_state_factors) if eia_state_factors else None,
        "n_factories": n_factories, "seed": seed, "split": split,
        "time_holdout_from_year": time_holdout_from_year, "tracking_uri": tracking_uri,
    }  # fmt: skip
    resolved = load_config(config, overrides)
    store = resolved.resolved_tracking_uri()
    mlflow.set_tracking_uri(store)
    try:
        model = load_bundle(model_uri)
    except (OSError, TypeError, UntrustedModelError, mlflow.exceptions.MlflowException) as exc:
        console.print(f"[red]error:[/red] cannot load {model_uri}: {redact(exc, store)}")
        raise typer.Exit(2) from None
    data = load_configured(resolved)
    parts = split_by_factory(data, resolved)
    metrics = evaluate(
        model.bundle,
        parts.train_factories,
        parts.train_outcomes,
        parts.test_factories,
        parts.test_outcomes,
        data.truth,
    )
    console.print(
        f"{model_uri} (version {model.version}) on {data.report.source}: {parts.description}; "
        f"test {len(parts.test_factories):,} factories / {len(parts.test_outcomes):,} outcomes"
    )
    _print_metrics(console, metrics)
    if json_out is not None:
        json_out.write_text(json.dumps(metrics, indent=2, sort_keys=True))
        console.print(f"wrote {json_out}")
    if log:
        run_id = _log_evaluation(store, metrics, model_uri, model, data, parts.description)
        console.print(f"logged run {run_id} to {EVALUATION_EXPERIMENT}")


def _print_metrics(console: Console, metrics: dict[str, float]) -> None:
    """The headline metrics, then coverage per test year."""
    for name in (*SHOWN, *sorted(k for k in metrics if ".year_" in k)):
        if name in metrics:
            console.print(f"  {name:55s} {metrics[name]:.4f}")


def _log_evaluation(
    store: str,
    metrics: dict[str, float],
    model_uri: str,
    model: LoadedModel,
    data: Dataset,
    split: str,
) -> str:
    """Log the metrics as a run of the evaluations experiment; returns the run id."""
    use_store(store, EVALUATION_EXPERIMENT)
    with mlflow.start_run(run_name=f"evaluate v{model.version} on {data.report.source}") as run:
        mlflow.set_tags(
            {
                "model_uri": model_uri,
                "model_version": str(model.version),
                "model_run_id": str(model.run_id),
                "data.source": data.report.source,
                "data.fingerprint": data.report.fingerprint,
                "split": split,
            }
        )
        mlflow.log_metrics({k.replace("@", "_at_"): v for k, v in metrics.items()})
        mlflow.log_dict(metrics, "evaluation.json")
    return str(run.info.run_id)
