"""Data sources behind one interface: :func:`load_dataset` returns factories, outcomes, ground
truth (generated data only) and a report, whatever the source."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from features.accounting.factors import FactorTable, load_eia_state_intensity
from features.errors import InvalidValueError
from features.sources.files import read_files
from features.sources.iac import read_iac
from features.sources.outcome_store import OutcomeStore
from features.sources.schema import DataReport, Dataset
from features.sources.synthetic import SyntheticConfig, generate
from features.sources.world2 import World2Config, generate_world2

SourceName = Literal["synthetic", "world2", "iac", "files", "outcomes"]
SOURCES: tuple[str, ...] = ("synthetic", "world2", "iac", "files", "outcomes")

__all__ = ["SOURCES", "DataReport", "Dataset", "SyntheticConfig", "load_dataset"]


def load_dataset(
    source: str,
    path: str | Path | None = None,
    *,
    assess_path: str | Path | None = None,
    eia_state_factors: str | Path | None = None,
    synthetic: SyntheticConfig | None = None,
) -> Dataset:
    """Load training tables from ``source``.

    Parameters
    ----------
    source
        ``"synthetic"`` (generated, the default data), ``"world2"`` (generated from deliberately
        different assumptions, :mod:`features.sources.world2`), ``"iac"`` (a DOE IAC release at
        ``path``), ``"files"`` (a folder with factories/outcomes[/truth] CSV or Parquet files) or
        ``"outcomes"`` (the outcomes factories reported to the service; ``path`` is its
        database URL).
    path
        Required for ``iac``, ``files`` and ``outcomes``.
    assess_path
        IAC only: the ASSESS table, when it is not next to the RECC table.
    eia_state_factors
        EIA state-by-year grid intensity CSV, for year-matched US grid factors.
    synthetic
        Size and seed of generated data (``synthetic`` and ``world2``; world2 takes only
        ``n_factories`` and ``seed`` and keeps its own years, 2010-2024).
    """
    table = FactorTable.default()
    if eia_state_factors is not None:
        table = table.extended(load_eia_state_intensity(eia_state_factors))
    if source == "synthetic":
        return generate(synthetic, table)
    if source == "world2":
        config = (
            World2Config()
            if synthetic is None
            else World2Config(n_factories=synthetic.n_factories, seed=synthetic.seed)
        )
        return generate_world2(config, table)
    if source not in SOURCES:
        raise InvalidValueError("source", source, SOURCES)
    if path is None:
        raise InvalidValueError("path", None, f"a path for source {source!r}")
    if source == "iac":
        return read_iac(path, assess_path=assess_path, table=table)
    if source == "outcomes":
        store = OutcomeStore(str(path))
        try:
            return store.dataset(table)
        finally:
            store.close()
    return read_files(path, table=table)
