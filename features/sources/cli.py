"""``decarb-data``: load a data source, print its report and a summary, optionally write it out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from features.errors import DecarbError
from features.sources import SOURCES, load_dataset
from features.sources.schema import Dataset
from features.sources.synthetic import SyntheticConfig

app = typer.Typer(add_completion=False, help=__doc__)


def summarise(data: Dataset) -> str:
    """Counts a user checks first: plants, recommendations, implementation, measure coverage."""
    f, o = data.factories, data.outcomes
    known = o["implemented"].dropna()
    lines = [
        f"factories: {len(f):,}   outcomes: {len(o):,}   "
        f"outcomes per factory: {len(o) / max(len(f), 1):.2f}",
        f"implementation rate (implemented / known outcome): "
        f"{known.astype(bool).mean():.1%} of {len(known):,}"
        if len(known)
        else "implementation rate: no known outcomes",
        f"outcomes with a catalogue measure: {o['measure_id'].notna().mean():.1%}",
        f"outcomes with tCO2e: {o['tco2e_saved'].notna().mean():.1%}, median "
        f"{o['tco2e_saved'].median():,.1f} tCO2e/yr",
        f"years: {int(f['reporting_year'].min())}-{int(f['reporting_year'].max())}"
        if len(f)
        else "years: -",
        "factories by sector: "
        + ", ".join(f"{k} {v:,}" for k, v in f["sector"].value_counts().items()),
        "outcomes by status: "
        + ", ".join(f"{k} {v:,}" for k, v in o["implementation_status"].value_counts().items()),
    ]
    if data.truth is not None:
        lines.append(f"ground truth: {len(data.truth):,} (factory, measure) pairs")
    return "\n".join(lines)


def write_dataset(data: Dataset, directory: Path, fmt: str) -> list[Path]:
    """Write the tables in the layout ``--source files`` reads back."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    tables: dict[str, pd.DataFrame | None] = {
        "factories": data.factories,
        "outcomes": data.outcomes,
        "truth": data.truth,
    }
    for name, frame in tables.items():
        if frame is None:
            continue
        path = directory / f"{name}.{fmt}"
        if fmt == "parquet":
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
        written.append(path)
    return written


@app.command()
def main(
    source: Annotated[str, typer.Option(help=f"Data source: {', '.join(SOURCES)}.")] = "synthetic",
    path: Annotated[
        Path | None,
        typer.Argument(help="IAC workbook/folder/RECC file (iac) or folder of tables (files)."),
    ] = None,
    assess: Annotated[
        Path | None, typer.Option(help="IAC only: the ASSESS table, if not next to RECC.")
    ] = None,
    eia_state_factors: Annotated[
        Path | None, typer.Option(help="EIA state-by-year grid CO2 intensity CSV.")
    ] = None,
    n_factories: Annotated[
        int,
        typer.Option(help="Generated factories (synthetic, world2; audits: the generated part)."),
    ] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed of the generated data.")] = 0,
    write: Annotated[
        Path | None, typer.Option(help="Write the tables to this folder (readable as files).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="Format for --write: parquet or csv.")] = (
        "parquet"
    ),
) -> None:
    """Print the data report and a summary of a source."""
    try:
        data = load_dataset(
            source,
            path,
            assess_path=assess,
            eia_state_factors=eia_state_factors,
            synthetic=SyntheticConfig(n_factories=n_factories, seed=seed),
        )
        if fmt not in ("parquet", "csv"):
            raise typer.BadParameter(f"--format {fmt!r}; allowed: parquet, csv")
    except DecarbError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(data.report.summary())
    typer.echo("--- summary")
    typer.echo(summarise(data))
    if write is not None:
        for written in write_dataset(data, write, fmt):
            typer.echo(f"wrote {written}")
