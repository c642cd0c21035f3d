"""``decarb-drift``: compare a table of factory profiles (what the service is being asked about, or
any new batch) with the data a registered model was trained on: population stability index per
numeric field, share of values outside the training range, share of unseen categories. Prints a
table, writes JSON and logs a run to MLflow linked to the model version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import mlflow
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table as RichTable

from features.domain import PSI_DRIFT, DomainSummary
from features.errors import InvalidValueError
from features.profile import profiles_from_frame, profiles_to_frame
from models.pyfunc import (
    CHAMPION_URI,
    LoadedModel,
    load_bundle,
    resolve_tracking_uri,
    use_store,
)
from models.redact import redact
from models.trust import UntrustedModelError

app = typer.Typer(add_completion=False, help=__doc__)

DRIFT_EXPERIMENT = "decarb-drift"


def read_profiles(path: Path) -> pd.DataFrame:
    """A profile table (CSV, CSV.GZ or Parquet; columns as features.profile.PROFILE_COLUMNS),
    validated row by row; invalid rows are reported, not silently dropped."""
    if not path.exists():
        raise InvalidValueError("profiles", str(path), "an existing CSV or Parquet file")
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
    else:
        frame = pd.read_csv(path, keep_default_na=False, na_values=[""], low_memory=False)
    profiles, rejected = profiles_from_frame(frame)
    if rejected:
        row, error = rejected[0]
        raise InvalidValueError(
            f"row {row}: {error.field}", error.value, f"{error.allowed} ({len(rejected)} rows bad)"
        )
    return profiles_to_frame(profiles)


def drift_report(domain: DomainSummary, factories: pd.DataFrame) -> dict[str, Any]:
    """Per-field drift and the fields above the thresholds (``Any``: JSON values)."""
    fields = domain.drift(factories)
    drifted = sorted(
        name
        for name, v in fields.items()
        if v.get("psi", 0.0) > PSI_DRIFT or v.get("share_unseen", 0.0) > 0.1
    )
    return {
        "n_profiles": len(factories),
        "n_training_factories": domain.n_factories,
        "psi_threshold": PSI_DRIFT,
        "fields": fields,
        "drifted_fields": drifted,
    }


@app.command()
def main(
    profiles: Annotated[Path, typer.Argument(help="Profile table (CSV or Parquet).")],
    model_uri: Annotated[str, typer.Option(help="Registered model URI.")] = (CHAMPION_URI),
    tracking_uri: Annotated[str | None, typer.Option(help="MLflow store.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the report as JSON here.")] = None,
    log: Annotated[bool, typer.Option(help="Log the report as an MLflow run.")] = True,
) -> None:
    """Drift of PROFILES against the training data of MODEL_URI."""
    console = Console()
    store = resolve_tracking_uri(tracking_uri)
    mlflow.set_tracking_uri(store)
    try:
        factories = read_profiles(profiles)
        model = load_bundle(model_uri)
    except (
        InvalidValueError,
        OSError,
        UntrustedModelError,
        mlflow.exceptions.MlflowException,
    ) as exc:
        console.print(f"[red]error:[/red] {redact(exc, store)}")
        raise typer.Exit(2) from None
    domain = getattr(model.bundle, "domain_", None)
    if domain is None:
        console.print(f"[red]error:[/red] {model_uri} holds no training-data summary (retrain it)")
        raise typer.Exit(2)
    report = drift_report(domain, factories)
    report.update(
        {"model_uri": model_uri, "model_version": model.version, "profiles": str(profiles)}
    )
    _print_report(console, report, len(factories), domain.n_factories)
    if out is not None:
        out.write_text(json.dumps(report, indent=2))
        console.print(f"wrote {out}")
    if log:
        run_id = _log_report(store, report, model_uri, model, profiles)
        console.print(f"logged run {run_id} to {DRIFT_EXPERIMENT}")


def _print_report(
    console: Console, report: dict[str, Any], n_profiles: int, n_training: int
) -> None:
    """The drift table, drifted fields in red, and the line naming them."""
    table = RichTable(title=f"Drift of {n_profiles} profiles vs {n_training} training factories")
    for col in ("field", "PSI", "outside training range", "unseen categories", "n"):
        table.add_column(col, justify="left" if col == "field" else "right")
    for name, v in report["fields"].items():
        psi = v.get("psi")
        table.add_row(
            ("[red]" if name in report["drifted_fields"] else "") + name,
            "-" if psi is None else f"{psi:.3f}",
            f"{v['share_outside_training_range']:.1%}"
            if "share_outside_training_range" in v
            else "-",
            f"{v['share_unseen']:.1%}" if "share_unseen" in v else "-",
            f"{v['n']:.0f}",
        )
    console.print(table)
    console.print(
        f"drifted fields (PSI > {PSI_DRIFT} or > 10% unseen): {report['drifted_fields'] or 'none'}"
    )


def _log_report(
    store: str, report: dict[str, Any], model_uri: str, model: LoadedModel, profiles: Path
) -> str:
    """Log the report as a run of the drift experiment; returns the run id."""
    use_store(store, DRIFT_EXPERIMENT)
    with mlflow.start_run(run_name=f"drift {profiles.name}") as run:
        mlflow.set_tags(
            {
                "model_uri": model_uri,
                "model_version": str(model.version),
                "model_run_id": str(model.run_id),
                "profiles": str(profiles),
            }
        )
        mlflow.log_metrics(
            {f"psi.{k}": v["psi"] for k, v in report["fields"].items() if "psi" in v}
            | {"n_drifted_fields": float(len(report["drifted_fields"]))}
        )
        mlflow.log_dict(report, "drift.json")
    return str(run.info.run_id)
