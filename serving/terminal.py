"""What the terminal commands (decarb-recommend, decarb-report --pdf, decarb-score) share: the
model from the store, or one error line and exit code 3."""

from __future__ import annotations

import mlflow
import typer
from mlflow.exceptions import MlflowException
from rich.console import Console

from models.pyfunc import LoadedModel, load_bundle, resolve_tracking_uri
from models.redact import redact
from models.trust import UntrustedModelError


def load_model_or_exit(model_uri: str, tracking_uri: str | None, console: Console) -> LoadedModel:
    """Load ``model_uri`` from the store at ``tracking_uri`` (or the default)."""
    store = resolve_tracking_uri(tracking_uri)
    mlflow.set_tracking_uri(store)
    try:
        return load_bundle(model_uri)
    except (MlflowException, UntrustedModelError) as exc:
        console.print(f"[red]error:[/red] {redact(f'cannot load {model_uri}: {exc}', store)}")
        raise typer.Exit(code=3) from None
