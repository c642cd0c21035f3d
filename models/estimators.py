"""The estimators by name, in one place: LightGBM models following scikit-learn conventions,
on numpy inputs (bundles pickled before the split into rooms find their classes here).

- :class:`GBMRegressor`, :class:`GBMClassifier` and the trainer hooks: :mod:`models.gbm`;
- :class:`IntervalRegressor` (median plus a conformalised quantile interval):
  :mod:`models.interval`;
- :class:`LogisticBoostedClassifier` (the adoption model): :mod:`models.adoption`;
- :class:`RowBlocks` (a design read a block of rows at a time): :mod:`models.row_blocks`.
"""

from __future__ import annotations

from models.adoption import LogisticBoostedClassifier
from models.gbm import (
    BoosterTrainer,
    GBMClassifier,
    GBMRegressor,
    InProcessTrainer,
    _GBMBase,
    train_in_process,
    trained_with,
)
from models.interval import IntervalRegressor
from models.row_blocks import RowBlocks

__all__ = [
    "BoosterTrainer",
    "GBMClassifier",
    "GBMRegressor",
    "InProcessTrainer",
    "IntervalRegressor",
    "LogisticBoostedClassifier",
    "RowBlocks",
    "_GBMBase",
    "train_in_process",
    "trained_with",
]
