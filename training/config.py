"""Training configuration: a pydantic model, loaded from YAML, with CLI overrides on top."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from models.bundle import BundleConfig
from models.pyfunc import resolve_tracking_uri


class TrainConfig(BaseModel):
    """Everything a training run depends on; logged to MLflow as params."""

    model_config = ConfigDict(extra="forbid")

    source: Literal["audits", "synthetic", "world2", "iac", "files", "outcomes"] = Field(
        default="audits",
        description="audits (the default: the real IAC audits shipped in the package blended "
        "with generated data calibrated to them; n_factories sizes the generated part), "
        "synthetic, world2, iac, files or outcomes.",
    )
    path: str | None = Field(
        default=None,
        description="IAC release or folder of tables; for outcomes, the store's database URL.",
    )
    outcomes_url: str | None = Field(
        default=None,
        description="Also learn from the outcomes store at this database URL (with a source "
        "other than outcomes).",
    )
    outcomes_weight: int = Field(
        default=1,
        ge=1,
        le=1000,
        description="How many rows of the base each reported outcome counts as (repetitions, "
        "on top of metered_weight; each outcome still counts once in the realisation).",
    )
    metered_weight: float = Field(
        default=BundleConfig.metered_weight,
        ge=1,
        le=100,
        description="How much a metered outcome (reported with measured savings) counts against "
        "an auditor's estimate in the savings models (sample weight; a verification's own "
        "uncertainty can only lower it).",
    )
    assess_path: str | None = None
    eia_state_factors: str | None = None
    n_factories: int = Field(default=5000, ge=50)
    seed: int = BundleConfig.random_state
    test_fraction: float = Field(default=0.2, gt=0, lt=0.9)
    time_holdout_from_year: int | None = Field(
        default=None, description="Factories from this year on form the test set (time split)."
    )
    split: Literal["auto", "random", "time", "none"] = Field(
        default="auto",
        description="auto: a time split for real data (iac), random factories otherwise; time: "
        "test = time_holdout_from_year on, or the latest time_holdout_years years; none: train "
        "on all the data, no held-out evaluation (the model is registered, never promoted).",
    )
    time_holdout_years: int = Field(
        default=3, ge=1, le=20, description="Latest reporting years held out by a time split."
    )
    n_estimators: int = Field(default=BundleConfig.n_estimators, ge=1)
    learning_rate: float = Field(default=BundleConfig.learning_rate, gt=0, le=1)
    num_leaves: int = Field(default=BundleConfig.num_leaves, ge=2)
    max_depth: int = Field(
        default=BundleConfig.max_depth, ge=-1, description="Tree depth limit; -1 or 0 = none."
    )
    min_child_samples: int = Field(default=BundleConfig.min_child_samples, ge=1)
    interval_alpha: float = Field(default=BundleConfig.interval_alpha, gt=0, lt=1)
    search_trials: int = Field(
        default=0, ge=0, le=200, description="Optuna trials before the final fit (0 = no search)."
    )
    search_timeout_s: float = Field(default=600, gt=0, description="Bound on the search time.")
    primary_metric: str = "savings_r2_log"
    primary_metric_higher_is_better: bool = True
    guard_metrics: list[str] = Field(
        default_factory=lambda: ["adoption_roc_auc", "cost_r2_log"],
        description="Gate: metrics (higher is better) a challenger may not lose by more than "
        "guard_tolerance against the champion, on the same held-out data.",
    )
    guard_tolerance: float = Field(default=0.02, ge=0, le=1)
    coverage_band: tuple[float, float] = Field(
        default=(0.7, 0.9),
        description="Gate: the 80% interval's held-out coverage a challenger must reach.",
    )
    artifact_root: str | None = Field(
        default=None,
        description="Folder (or URI) new experiments keep artifacts in; DECARB_ARTIFACT_ROOT.",
    )
    dask: str | None = Field(
        default=None,
        description="Train the boosters on Dask: 'local' (a LocalCluster of 2 workers) or a "
        "scheduler address tcp://host:8786; unset = in this process.",
    )
    dask_min_rows: int = Field(
        default=20_000,
        ge=0,
        description="With dask: boosters of fewer rows train in this process (a cluster "
        "network costs more than a small fit).",
    )
    tracking_uri: str | None = Field(
        default=None, description="MLflow store; MLFLOW_TRACKING_URI, else sqlite:///mlflow.db."
    )
    experiment: str = "decarb-recommender"
    model_name: str = "decarb-recommender"
    register_model: bool = True

    def bundle_config(self) -> BundleConfig:
        return BundleConfig(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            max_depth=self.max_depth,
            min_child_samples=self.min_child_samples,
            interval_alpha=self.interval_alpha,
            metered_weight=self.metered_weight,
            # Real data drift over the years: calibrate the interval on the most recent ones.
            interval_calibration="recent" if self.source == "iac" else "random",
            random_state=self.seed,
        )

    def resolved_tracking_uri(self) -> str:
        """Explicit setting, else the MLFLOW_TRACKING_URI environment variable, else a SQLite
        store in the working directory."""
        return resolve_tracking_uri(self.tracking_uri)


def load_config(path: str | Path | None, overrides: dict[str, object]) -> TrainConfig:
    """Read a YAML config (optional) and apply non-None overrides."""
    data: dict[str, object] = {}
    if path is not None:
        loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            raise ValueError(f"{path}: the config must be a mapping")
        data.update(loaded)
    data.update({k: v for k, v in overrides.items() if v is not None})
    return TrainConfig.model_validate(data)
