"""Bounded hyperparameter search with Optuna; each trial is a nested MLflow run.

Trials are scored on a validation split carved out of the training factories (grouped by
factory), never on the test factories, so the held-out evaluation stays honest.
"""

from __future__ import annotations

from collections.abc import Callable

import mlflow
import numpy as np
import optuna
from sklearn.metrics import r2_score

from features.catalogue.measures import Catalogue
from features.design import outcome_design
from features.sources.schema import Dataset
from features.targets import outcome_targets
from models.bundle import BundleConfig, RecommendationBundle
from training.config import TrainConfig


def search(
    train: Dataset,
    config: TrainConfig,
    progress: Callable[[str], None] = lambda _msg: None,
) -> dict[str, float | int]:
    """Return the best of ``config.search_trials`` parameter sets (by validation savings R2)."""
    rng = np.random.default_rng(config.seed + 1)
    ids = train.factories["factory_id"].astype(str).unique()
    valid_ids = set(rng.choice(ids, size=max(1, len(ids) // 5), replace=False))
    in_valid = train.factories["factory_id"].astype(str).isin(valid_ids)
    fit_f, valid_f = train.factories[~in_valid], train.factories[in_valid].reset_index(drop=True)
    o_valid = train.outcomes["factory_id"].astype(str).isin(valid_ids)
    fit_o, valid_o = train.outcomes[~o_valid], train.outcomes[o_valid]
    catalogue = Catalogue.default()
    targets = outcome_targets(valid_f, valid_o, catalogue)
    ok = targets["log_fraction"].notna().to_numpy()

    def objective(trial: optuna.Trial) -> float:
        bundle_config = BundleConfig(
            n_estimators=trial.suggest_int("n_estimators", 100, 600, step=50),
            learning_rate=trial.suggest_float("learning_rate", 0.02, 0.2, log=True),
            num_leaves=trial.suggest_int("num_leaves", 7, 63),
            max_depth=trial.suggest_int("max_depth", 3, 8),
            min_child_samples=trial.suggest_int("min_child_samples", 5, 80),
            interval_alpha=config.interval_alpha,
            metered_weight=config.metered_weight,
            random_state=config.seed,
        )
        params = dict(trial.params)
        bundle = RecommendationBundle(bundle_config).fit(fit_f, fit_o)
        X = outcome_design(
            bundle.spec_,
            valid_f,
            targets["factory_row"].to_numpy()[ok],
            targets["key"].to_numpy()[ok],
            catalogue,
        )
        score = float(r2_score(targets["log_fraction"].to_numpy()[ok], bundle.savings_.predict(X)))
        with mlflow.start_run(run_name=f"trial-{trial.number}", nested=True):
            mlflow.log_params(params)
            mlflow.log_metric("validation_savings_r2_log", score)
        progress(f"search trial {trial.number + 1}/{config.search_trials}: R2 {score:.4f}")
        return score

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=config.seed)
    )
    study.optimize(objective, n_trials=config.search_trials, timeout=config.search_timeout_s)
    mlflow.log_metric("search_best_validation_savings_r2_log", study.best_value)
    return dict(study.best_params)
