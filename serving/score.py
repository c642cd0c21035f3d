"""``decarb-score``: rank measures for a whole table of factories (a provincial portal's list,
an analyst's sample) into a table of answers, in one process or on a Dask cluster.

The table is cut into partitions of whole factories; each is scored by the same
:meth:`RecommendationBundle.recommend` the service uses, so a factory's rows do not depend on
where or with whom it was scored. Invalid factories come back as rows with their ``error``."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer
from rich.console import Console

from features.errors import DecarbError, InvalidValueError
from features.profile import FactoryProfile, profiles_from_frame
from features.sources.files import read_table
from models.bundle import RecommendationBundle
from models.cluster import dask_client
from models.pyfunc import CHAMPION_URI
from models.schemas import RecommendOptions
from serving.terminal import load_model_or_exit

#: Columns of the answer table: one row per factory and returned measure.
SCORE_COLUMNS = (
    "factory_id", "rank", "measure_id", "name", "family", "direction", "basis",
    "tco2e_avoided", "tco2e_low", "tco2e_high", "capex", "cost_savings_per_year",
    "payback_years", "abatement_cost_per_tco2e", "adoption_probability", "currency",
    "footprint_net_location_tco2e", "pathway_gap_tco2e", "error",
)  # fmt: skip

score_app = typer.Typer(add_completion=False, help=__doc__)


def score_partition(
    bundle: RecommendationBundle, profiles: list[FactoryProfile], options: RecommendOptions
) -> pd.DataFrame:
    """The answer rows of one partition of valid factories."""
    rows: list[dict[str, Any]] = []  # Any: cell values of mixed types
    for result in bundle.recommend(profiles, options):
        fp, gap = result.footprint, result.pathway.gap_to_zero_carbon_tco2e
        for r in result.recommendations:
            rows.append(
                {
                    "factory_id": result.factory_id,
                    "rank": r.rank,
                    "measure_id": r.measure_id,
                    "name": r.name,
                    "family": r.family,
                    "direction": r.direction,
                    "basis": r.basis,
                    "tco2e_avoided": r.tco2e_avoided,
                    "tco2e_low": r.tco2e_low,
                    "tco2e_high": r.tco2e_high,
                    "capex": r.capex,
                    "cost_savings_per_year": r.cost_savings_per_year,
                    "payback_years": r.payback_years,
                    "abatement_cost_per_tco2e": r.abatement_cost_per_tco2e,
                    "adoption_probability": r.adoption_probability,
                    "currency": result.currency,
                    "footprint_net_location_tco2e": fp.net_location_tco2e,
                    "pathway_gap_tco2e": gap,
                    "error": None,
                }
            )
    return pd.DataFrame(rows, columns=list(SCORE_COLUMNS))


def partitions(profiles: list[FactoryProfile], size: int) -> list[list[FactoryProfile]]:
    """Whole factories in runs of ``size``."""
    return [profiles[i : i + size] for i in range(0, len(profiles), size)]


def rejected_rows(
    frame: pd.DataFrame, rejected: list[tuple[int, InvalidValueError]]
) -> pd.DataFrame:
    """One row per invalid factory, with why (nothing sent is dropped silently)."""
    rows = [
        {**dict.fromkeys(SCORE_COLUMNS), "factory_id": str(frame.iloc[i].get("factory_id", "")),
         "error": f"row {i}: {exc}"}
        for i, exc in rejected
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=list(SCORE_COLUMNS))


def _quiet(_done: int, _total: int) -> None:
    return None


@dataclass(frozen=True)
class Partitioning:
    """How a table is scored: ``size`` whole factories per partition, in this process (``dask``
    None) or on a Dask cluster ("local" starts a LocalCluster of 2 workers; else a scheduler
    address); ``progress(done, total)`` is told after each partition."""

    size: int = 500
    dask: str | None = None
    progress: Callable[[int, int], None] = _quiet


def score_table(
    frame: pd.DataFrame,
    bundle: RecommendationBundle,
    options: RecommendOptions,
    how: Partitioning | None = None,
) -> pd.DataFrame:
    """Score every factory of ``frame`` (profile columns) as ``how`` says (default: in this
    process, 500 factories a partition). Rows come back in the table's order of factories,
    invalid factories last."""
    how = how or Partitioning()
    progress, dask = how.progress, how.dask
    profiles, rejected = profiles_from_frame(frame)
    parts = partitions(profiles, how.size)
    results: list[pd.DataFrame] = [pd.DataFrame(columns=list(SCORE_COLUMNS))] * len(parts)
    if dask is None:
        for i, part in enumerate(parts):
            results[i] = score_partition(bundle, part, options)
            progress(i + 1, len(parts))
    else:
        with dask_client(dask) as client:
            from distributed import as_completed  # noqa: PLC0415 (optional at import)

            shared = client.scatter(bundle, broadcast=True)
            futures = client.map(
                score_partition, [shared] * len(parts), parts, [options] * len(parts), pure=False
            )
            index = {f.key: i for i, f in enumerate(futures)}
            for done, future in enumerate(as_completed(futures), start=1):
                results[index[future.key]] = future.result()
                progress(done, len(parts))
    frames = [r for r in results if len(r)] + [rejected_rows(frame, rejected)]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=list(SCORE_COLUMNS))
    return pd.concat(frames, ignore_index=True)


FactoriesArg = Annotated[
    Path,
    typer.Argument(
        help="Factories table (Parquet or CSV), profile columns as decarb-data writes them."
    ),
]
OutOpt = Annotated[Path, typer.Option(help="Answer table to write (.parquet or .csv).")]
DaskOpt = Annotated[
    str | None,
    typer.Option(
        help="Score on Dask: 'local' (a LocalCluster of 2 workers) or a scheduler "
        "address tcp://host:8786."
    ),
]
TopKOpt = Annotated[int, typer.Option(help="Measures per factory.")]
ObjectiveOpt = Annotated[str, typer.Option(help="Ranking objective.")]
PartitionOpt = Annotated[int, typer.Option(help="Factories per partition.")]
ModelUriOpt = Annotated[str, typer.Option(help="Model URI.")]
TrackingOpt = Annotated[str | None, typer.Option(help="MLflow store.")]


@score_app.command()
def score(  # noqa: PLR0913  Typer reads the command's options from its signature
    factories: FactoriesArg,
    *,
    out: OutOpt,
    dask: DaskOpt = None,
    top_k: TopKOpt = 10,
    objective: ObjectiveOpt = "most_tco2e",
    partition_size: PartitionOpt = 500,
    model_uri: ModelUriOpt = CHAMPION_URI,
    tracking_uri: TrackingOpt = None,
) -> None:
    """Rank measures for every factory of a table and write one row per factory and measure."""
    console = Console(width=140)
    try:
        frame = read_table(factories)
        options = RecommendOptions.model_validate(
            {"top_k": top_k, "objective": objective, "explain": "none"}
        )
        if out.suffix not in (".parquet", ".csv"):
            raise InvalidValueError("out", str(out), "a .parquet or .csv file")
        if partition_size < 1:
            raise InvalidValueError("partition_size", partition_size, "a whole number >= 1")
    except (DecarbError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=2) from None
    model = load_model_or_exit(model_uri, tracking_uri, console)
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        console.print(
            f"[dim]{time.perf_counter() - started:7.1f} s[/dim]  partition {done}/{total}"
        )

    how = Partitioning(size=partition_size, dask=dask, progress=progress)
    table = score_table(frame, model.bundle, options, how)
    if out.suffix == ".parquet":
        table.to_parquet(out, index=False)
    else:
        table.to_csv(out, index=False)
    seconds, n = time.perf_counter() - started, len(frame)
    console.print(
        f"wrote {out}: {len(table):,} rows for {n:,} factories "
        f"({int(table['error'].notna().sum())} invalid) in {seconds:.1f} s "
        f"({n / seconds if seconds else np.nan:,.0f} factories/s), model "
        f"{model.uri} v{model.version}"
    )
