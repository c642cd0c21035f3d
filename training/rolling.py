"""Rolling-origin evaluation on real audits: train on every year up to an origin, test each of
the following years on its own, for several origins, with every baseline beside the model.

    decarb-rolling --source iac PATH --assess ASSESS --origins 2006 2011 2016 --horizon 5 \\
        --json rolling.json --doc docs/evaluation.md

Real audits drift (recommendation mix, prices, plant types): a model is judged on the years it
will meet, never on a random split of the years it learned from.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

from features.sources.schema import Dataset
from models.bundle import RecommendationBundle
from training.config import load_config
from training.evaluate import COMPARISONS, evaluate
from training.pipeline import load_configured

#: Test years with fewer outcomes than this are not reported on their own.
MIN_YEAR_OUTCOMES = 200
#: Markers of the generated table in a markdown document.
DOC_START, DOC_END = "<!-- rolling:start -->", "<!-- rolling:end -->"

#: Columns of the table: (heading, metric), grouped by task.
TABLE: tuple[tuple[str, str], ...] = (
    ("adoption served", "adoption_roc_auc"),
    ("rate", "baseline_measure_rate.adoption_roc_auc"),
    ("logistic served", "baseline_logistic_served.adoption_roc_auc"),
    ("adoption audit-time", "adoption_audit_time_roc_auc"),
    ("logistic audit-time", "baseline_logistic.adoption_roc_auc"),
    ("savings R2", "savings_r2_log"),
    ("measure median", "baseline_measure_median.savings_r2_log"),
    ("measure x sector median", "baseline_measure_sector_median.savings_r2_log"),
    ("LightGBM raw", "baseline_lightgbm_raw.savings_r2_log"),
    ("coverage 80%", "savings_interval_coverage"),
    ("cost R2", "cost_r2_log"),
    ("cost measure x sector median", "baseline_measure_sector_median.cost_r2_log"),
    ("cost LightGBM raw", "baseline_lightgbm_raw.cost_r2_log"),
)


def _years(frame: pd.DataFrame) -> np.ndarray:
    return pd.to_numeric(frame["reporting_year"], errors="coerce").to_numpy(dtype=float)


def _subset(data: Dataset, keep: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    factories = data.factories[keep].reset_index(drop=True)
    ids = set(factories["factory_id"].astype(str))
    outcomes = data.outcomes[data.outcomes["factory_id"].astype(str).isin(ids)]
    return factories, outcomes.reset_index(drop=True)


def rolling_origin(
    data: Dataset,
    origins: Sequence[int],
    horizon: int,
    fit: Callable[[pd.DataFrame, pd.DataFrame], RecommendationBundle],
    progress: Callable[[str], None] = lambda _msg: None,
    min_year_outcomes: int = MIN_YEAR_OUTCOMES,
) -> pd.DataFrame:
    """One row per (origin, test year): the bundle ``fit`` returns for the factories audited up
    to ``origin`` evaluated on the factories of each of the ``horizon`` following years that has
    at least ``min_year_outcomes`` outcomes, with every baseline fitted on the same training
    side."""
    years = _years(data.factories)
    rows: list[dict[str, float]] = []
    for origin in origins:
        if not (years <= origin).any():
            raise ValueError(f"origin {origin}: no factory audited in or before it")
        train_f, train_o = _subset(data, years <= origin)
        progress(f"origin {origin}: training on {len(train_o):,} outcomes up to {origin}")
        bundle = fit(train_f, train_o)
        for year in range(origin + 1, origin + horizon + 1):
            test_f, test_o = _subset(data, years == year)
            if len(test_o) < min_year_outcomes:
                continue
            progress(f"origin {origin}: testing {year} ({len(test_o):,} outcomes)")
            metrics = evaluate(bundle, train_f, train_o, test_f, test_o, data.truth)
            rows.append(
                {
                    "origin": origin,
                    "test_year": year,
                    "n_outcomes": len(test_o),
                    "years_ahead": year - origin,
                    **metrics,
                }
            )
    if not rows:
        raise ValueError(f"no test year with >= {min_year_outcomes} outcomes after {origins}")
    return pd.DataFrame(rows)


def losses(table: pd.DataFrame) -> list[str]:
    """Every (origin, test year, metric, baseline) where the model loses to a baseline."""
    out = []
    for _, row in table.iterrows():
        for name, (baselines, higher) in COMPARISONS.items():
            mine = row.get(name, np.nan)
            for baseline in baselines:
                theirs = row.get(baseline, np.nan)
                if not (np.isfinite(mine) and np.isfinite(theirs)):
                    continue
                if (mine < theirs) if higher else (mine > theirs):
                    out.append(
                        f"origin {int(row['origin'])}, {int(row['test_year'])}: {name} "
                        f"{mine:.3f} < {baseline} {theirs:.3f}"
                    )
    return out


def markdown(table: pd.DataFrame, title: str) -> str:
    """The rolling table as markdown: one line per (origin, test year)."""
    shown = [(h, m) for h, m in TABLE if m in table]
    head = "| origin | test year | outcomes | " + " | ".join(h for h, _ in shown) + " |"
    lines = [f"**{title}**", "", head, "|" + "---|" * (3 + len(shown))]
    for _, row in table.iterrows():
        values = " | ".join(f"{row[m]:.3f}" if np.isfinite(row[m]) else "" for _, m in shown)
        lines.append(
            f"| {int(row['origin'])} | {int(row['test_year'])} | "
            f"{int(row['n_outcomes']):,} | {values} |"
        )
    return "\n".join(lines) + "\n"


def write_doc(doc: Path, text: str) -> None:
    """Replace the text between the rolling markers of ``doc`` (appended if absent)."""
    current = doc.read_text(encoding="utf-8") if doc.exists() else ""
    block = f"{DOC_START}\n{text}{DOC_END}"
    if DOC_START in current and DOC_END in current:
        head, rest = current.split(DOC_START, 1)
        current = head + block + rest.split(DOC_END, 1)[1]
    else:
        current = current.rstrip("\n") + "\n\n" + block + "\n"
    doc.write_text(current, encoding="utf-8")


app = typer.Typer(add_completion=False, help=__doc__)


@app.command()
def main(
    path: Annotated[str | None, typer.Argument(help="IAC release or folder of tables.")] = None,
    source: Annotated[str, typer.Option(help="iac, files, synthetic or world2.")] = "iac",
    assess: Annotated[Path | None, typer.Option(help="IAC: the ASSESS table.")] = None,
    eia_state_factors: Annotated[Path | None, typer.Option(help="EIA state-year factors.")] = None,
    config: Annotated[Path | None, typer.Option(help="YAML config; flags override it.")] = None,
    origins: Annotated[
        list[int] | None, typer.Option(help="Last training year of each fit (repeatable).")
    ] = None,
    horizon: Annotated[int, typer.Option(help="Test years after each origin.")] = 5,
    min_year_outcomes: Annotated[
        int, typer.Option(help="Test years with fewer outcomes are skipped.")
    ] = MIN_YEAR_OUTCOMES,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the rows here.")] = None,
    doc: Annotated[
        Path | None, typer.Option(help="Markdown file whose rolling block is rewritten.")
    ] = None,
) -> None:
    """Train up to each origin, test each following year, print the table and every loss to a
    baseline; exit 1 when the model loses to a baseline."""
    overrides: dict[str, object] = {
        "source": source, "path": path, "assess_path": str(assess) if assess else None,
        "eia_state_factors": str(eia_state_factors) if eia_state_factors else None,
    }  # fmt: skip
    resolved = load_config(config, overrides)
    data = load_configured(resolved)
    chosen = list(origins or (2006, 2011, 2016))

    def fit(factories: pd.DataFrame, outcomes: pd.DataFrame) -> RecommendationBundle:
        return RecommendationBundle(resolved.bundle_config()).fit(factories, outcomes)

    table = rolling_origin(data, chosen, horizon, fit, typer.echo, min_year_outcomes)
    text = markdown(
        table,
        f"{data.report.source}: origins {', '.join(map(str, chosen))}, {horizon} test years each",
    )
    typer.echo(text)
    lost = losses(table)
    for line in lost:
        typer.echo(f"loses: {line}")
    if json_out is not None:
        json_out.write_text(json.dumps(table.to_dict(orient="records"), indent=1))
    if doc is not None:
        write_doc(doc, text)
    raise typer.Exit(1 if lost else 0)
