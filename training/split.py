"""Train/test splits: grouped by factory, or by reporting year (a time holdout)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.sources.schema import Dataset
from training.config import TrainConfig


@dataclass
class Split:
    """Train and test tables; no factory on both sides."""

    train_factories: pd.DataFrame
    train_outcomes: pd.DataFrame
    test_factories: pd.DataFrame
    test_outcomes: pd.DataFrame
    description: str


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
