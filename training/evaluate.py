"""Held-out evaluation of a bundle, with baselines side by side.

All metrics are computed on test factories that no model saw in training. Ground-truth metrics
(hit@5, regret@5, coverage of true savings) exist only for generated data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, r2_score, roc_auc_score

from features.accounting.factors import FactorTable
from features.catalogue.candidates import FactoryEnergy, pairs
from features.catalogue.measures import Catalogue
from features.design import outcome_design
from features.profile import profiles_from_frame
from features.targets import outcome_targets
from models.bundle import RecommendationBundle, interval_strata, shares_declared

#: Model metric -> the baselines it is compared with, and whether higher is better. The gate
#: refuses a model that loses to any baseline of its primary or guard metrics.
COMPARISONS: dict[str, tuple[tuple[str, ...], bool]] = {
    "savings_r2_log": (("baseline_measure_median.savings_r2_log",
                        "baseline_measure_sector_median.savings_r2_log",
                        "baseline_lightgbm_raw.savings_r2_log"), True),
    "cost_r2_log": (("baseline_measure_median.cost_r2_log",
                     "baseline_measure_sector_median.cost_r2_log",
                     "baseline_lightgbm_raw.cost_r2_log"), True),
    "adoption_roc_auc": (("baseline_measure_rate.adoption_roc_auc",
                          "baseline_logistic_served.adoption_roc_auc"), True),
    "adoption_audit_time_roc_auc": (("baseline_logistic.adoption_roc_auc",), True),
    "model_tco2e.hit_at_5": (("baseline_global_popularity.hit_at_5",
                              "baseline_sector_popularity.hit_at_5"), True),
    "model_tco2e.regret_at_5": (("baseline_global_popularity.regret_at_5",
                                 "baseline_sector_popularity.regret_at_5"), False),
    "model_applicability.ndcg_at_10": (("baseline_global_popularity.ndcg_at_10",
                                        "baseline_sector_popularity.ndcg_at_10"), True),
}  # fmt: skip

#: Boosting rounds of the plain LightGBM baselines (LightGBM's default).
RAW_BASELINE_ROUNDS = 100


def ndcg_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """Binary-relevance NDCG@k."""
    gains = [1.0 / np.log2(i + 2) for i, m in enumerate(ranked[:k]) if m in relevant]
    ideal = sum(1.0 / np.log2(i + 2) for i in range(min(len(relevant), k)))
    return float(sum(gains) / ideal) if ideal > 0 else float("nan")


def recall_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else float("nan")


def _mdape(pred: np.ndarray, actual: np.ndarray) -> float:
    ok = actual != 0
    return float(np.median(np.abs(pred[ok] - actual[ok]) / np.abs(actual[ok])))


@dataclass(frozen=True)
class _HeldOut:
    """The test outcomes as the models see them, beside the training targets the baselines
    learn from: ``targets`` (one row per test outcome), ``X`` (its design rows), ``keys`` (its
    measure keys) and ``rows`` (its factory's row in ``test_factories``)."""

    bundle: RecommendationBundle
    train_factories: pd.DataFrame
    train_t: pd.DataFrame
    test_factories: pd.DataFrame
    test_outcomes: pd.DataFrame
    targets: pd.DataFrame
    X: np.ndarray
    keys: np.ndarray
    rows: np.ndarray
    catalogue: Catalogue


def evaluate(
    bundle: RecommendationBundle,
    train_factories: pd.DataFrame,
    train_outcomes: pd.DataFrame,
    test_factories: pd.DataFrame,
    test_outcomes: pd.DataFrame,
    truth: pd.DataFrame | None = None,
    catalogue: Catalogue | None = None,
    table: FactorTable | None = None,
) -> dict[str, float]:
    """Metrics of ``bundle`` and of the baselines on the test factories (flat dict)."""
    catalogue = catalogue or Catalogue.default()
    table = table or FactorTable.default()
    test_factories = test_factories.reset_index(drop=True)
    targets = outcome_targets(test_factories, test_outcomes, catalogue)
    keys = targets["key"].to_numpy()
    rows = targets["factory_row"].to_numpy()
    held = _HeldOut(
        bundle=bundle,
        train_factories=train_factories,
        train_t=outcome_targets(train_factories, train_outcomes, catalogue),
        test_factories=test_factories,
        test_outcomes=test_outcomes,
        targets=targets,
        X=outcome_design(bundle.spec_, test_factories, rows, keys, catalogue),
        keys=keys,
        rows=rows,
        catalogue=catalogue,
    )
    metrics = _savings_metrics(held) | _cost_metrics(held) | _adoption_metrics(held)
    metrics.update(_coverage_all_candidates(bundle, test_factories, truth, catalogue, table))
    metrics.update(
        _ranking(
            bundle,
            train_outcomes,
            train_factories,
            test_factories,
            test_outcomes,
            truth,
            catalogue,
            table,
        )
    )
    return metrics


def _savings_metrics(h: _HeldOut) -> dict[str, float]:
    """Savings (log fraction of the targeted energy): R2, MdAPE and interval coverage, per
    year and family, beside the per-measure and per-measure x sector medians and a plain
    LightGBM on raw savings."""
    y = h.targets["log_fraction"].to_numpy()
    ok = ~np.isnan(y)
    if ok.sum() <= 1:
        return {}
    declared = shares_declared(h.test_factories)[h.rows][ok]
    strata = interval_strata(h.keys[ok], h.catalogue, declared)
    low, mid, high = h.bundle.savings_.predict_interval(h.X[ok], strata)
    inside = (y[ok] >= low) & (y[ok] <= high)
    metrics = {
        "savings_r2_log": float(r2_score(y[ok], mid)),
        "savings_mdape": _mdape(np.exp(mid), np.exp(y[ok])),
        "savings_interval_coverage": float(np.mean(inside)),
        "savings_interval_width_log": float(np.mean(high - low)),
    }
    years = h.test_factories["reporting_year"].to_numpy()[h.rows][ok]
    for year in sorted({int(v) for v in years if pd.notna(v)}):
        sel = years == year
        if sel.sum() >= 20:
            metrics[f"savings_interval_coverage.year_{year}"] = float(inside[sel].mean())
    families = h.test_outcomes["measure_group"].astype(str).to_numpy()[ok]
    for family in sorted(set(families)):
        sel = families == family
        if sel.sum() >= 20 and len(family) < 40:
            metrics[f"savings_r2_log.{family}"] = float(r2_score(y[ok][sel], mid[sel]))
            metrics[f"savings_interval_coverage.{family}"] = float(np.mean(inside[sel]))
    # Plain LightGBM on the raw log energy saved (GJ/yr), read back as a fraction of the same
    # addressable energy: what the physics normalisation is worth.
    raw = _raw_lightgbm(h.train_t, h.train_factories, h.targets, h.test_factories, "log_saved_gj")
    with np.errstate(divide="ignore"):  # rows without targeted energy are not scored
        fraction = raw - np.log(h.targets["targeted_gj"].to_numpy())
    return (
        metrics
        | _median_baselines(h, "log_fraction", "savings_r2_log", ok)
        | {"baseline_lightgbm_raw.savings_r2_log": float(r2_score(y[ok], fraction[ok]))}
    )


def _cost_metrics(h: _HeldOut) -> dict[str, float]:
    """Cost (log): R2 and MdAPE beside the median baselines and a plain LightGBM."""
    y = h.targets["log_cost"].to_numpy()
    ok = ~np.isnan(y)
    if ok.sum() <= 1:
        return {}
    pred = h.bundle.cost_.predict(h.X[ok])
    raw = _raw_lightgbm(h.train_t, h.train_factories, h.targets, h.test_factories, "log_cost")
    return (
        {
            "cost_r2_log": float(r2_score(y[ok], pred)),
            "cost_mdape": _mdape(np.exp(pred), np.exp(y[ok])),
        }
        | _median_baselines(h, "log_cost", "cost_r2_log", ok)
        | {"baseline_lightgbm_raw.cost_r2_log": float(r2_score(y[ok], raw[ok]))}
    )


def _median_baselines(h: _HeldOut, target: str, metric: str, ok: np.ndarray) -> dict[str, float]:
    """R2 of the training median of the same measure, and of the same measure in the sector."""
    y = h.targets[target].to_numpy()[ok]
    per_key = h.train_t.groupby("key")[target].median()
    base = pd.Series(h.keys[ok]).map(per_key).fillna(h.train_t[target].median())
    paired = _sector_median(h.train_t, h.train_factories, h.targets, h.test_factories, target)
    return {
        f"baseline_measure_median.{metric}": float(r2_score(y, base)),
        f"baseline_measure_sector_median.{metric}": float(r2_score(y, paired[ok])),
    }


def _adoption_metrics(h: _HeldOut) -> dict[str, float]:
    """Adoption as served, from the bundle's own predicted cost and savings (what the service
    gives it), and at audit time, given the auditor's figures; beside the per-measure rate and
    a logistic regression fed both ways."""
    y = h.targets["implemented"].to_numpy()
    ok = ~np.isnan(y)
    if ok.sum() <= 1 or len(set(y[ok])) != 2:
        return {}
    energy = FactoryEnergy.of(h.test_factories)
    found = pairs(energy, h.rows, h.keys, h.catalogue)
    p, served_cost, served_savings = h.bundle.served_adoption_inputs(
        energy, found, h.X, h.catalogue
    )
    metrics = _binary_metrics("adoption", y[ok], p[ok])
    ax = h.bundle.adoption_inputs(
        h.X, h.targets["log_cost"].to_numpy(), h.targets["log_cost_savings"].to_numpy()
    )
    metrics |= _binary_metrics(
        "adoption_audit_time", y[ok], h.bundle.adoption_.predict_proba(ax[ok])
    )
    rate = h.train_t.groupby("key")["implemented"].mean()
    base = pd.Series(h.keys[ok]).map(rate).fillna(np.nanmean(h.train_t["implemented"]))
    metrics |= _binary_metrics("baseline_measure_rate.adoption", y[ok], base.to_numpy())
    logistic = _logistic_model(h.train_t)
    metrics |= _binary_metrics("baseline_logistic.adoption", y[ok], logistic(h.targets[ok]))
    # The same logistic regression served like the model: given the bundle's predicted cost
    # and savings instead of the auditor's (the information a served answer has).
    with np.errstate(over="ignore", invalid="ignore"):
        payback = np.exp(served_cost - served_savings)
    served = pd.DataFrame(
        {"log_cost": served_cost, "log_cost_savings": served_savings, "payback_years": payback}
    )
    return metrics | _binary_metrics(
        "baseline_logistic_served.adoption", y[ok], logistic(served[ok])
    )


#: End uses whose measures count as acting on heat in the coverage metrics.
HEAT_USES = frozenset({"process_heating", "steam"})
#: Size bands for coverage, by employees (small, medium, large).
SIZE_BANDS: tuple[tuple[str, float, float], ...] = (
    ("small", 0, 50), ("medium", 50, 250), ("large", 250, float("inf")),
)  # fmt: skip


def _coverage_all_candidates(
    bundle: RecommendationBundle,
    test_factories: pd.DataFrame,
    truth: pd.DataFrame | None,
    catalogue: Catalogue,
    table: FactorTable,
) -> dict[str, float]:
    """Coverage of the served tCO2e interval on EVERY candidate (factory, measure) pair the
    service scores, against the generated ground truth: overall, picked (an auditor recommended
    it) and not picked, per family and per size band. Only generated data have this truth."""
    if truth is None or "recommended" not in truth:
        return {}
    profiles, rejected = profiles_from_frame(test_factories)
    if rejected:
        raise ValueError(f"test factory row {rejected[0][0]} is not a valid profile")
    _, found, s, _ = bundle.score_candidates(test_factories, profiles, table, catalogue)
    learned = ~s.engineering
    ids = test_factories["factory_id"].astype(str).to_numpy()
    frame = pd.DataFrame(
        {
            "factory_id": ids[found.factory_index],
            "measure_id": found.keys.astype(str),
            "low": s.tco2e_low,
            "high": s.tco2e_high,
            "learned": learned,
        }
    )
    t = truth.assign(factory_id=truth["factory_id"].astype(str))
    merged = frame[frame["learned"]].merge(
        t[["factory_id", "measure_id", "true_tco2e_saved", "recommended"]],
        on=["factory_id", "measure_id"],
        how="inner",
    )
    if merged.empty:
        return {}
    y = merged["true_tco2e_saved"].to_numpy()
    inside = (y >= merged["low"].to_numpy() - 1e-9) & (y <= merged["high"].to_numpy() + 1e-9)
    return _coverage_breakdown(merged, inside, test_factories, catalogue)


def _coverage_breakdown(
    merged: pd.DataFrame, inside: np.ndarray, test_factories: pd.DataFrame, catalogue: Catalogue
) -> dict[str, float]:
    """Coverage overall, picked or not, per family, on heat measures and per size band."""
    picked = merged["recommended"].to_numpy(dtype=bool)
    family = np.array([catalogue.measures[m].family.value for m in merged["measure_id"]])
    employees = test_factories.set_index(test_factories["factory_id"].astype(str))["employees"]
    size = merged["factory_id"].map(employees).to_numpy(dtype=float)
    out = {
        "savings_interval_coverage_all_candidates": float(inside.mean()),
        "savings_interval_coverage_all_candidates.picked": float(inside[picked].mean()),
        "savings_interval_coverage_all_candidates.not_picked": float(inside[~picked].mean()),
        "n_candidate_pairs_with_truth": float(len(inside)),
    }
    for name in sorted(set(family)):
        out[f"savings_interval_coverage_all_candidates.{name}"] = float(
            inside[family == name].mean()
        )
    # Measures acting on heat (process heating or steam): the ones whose savings rest most on
    # the plant's undeclared end-use split.
    heat = np.array(
        [bool(HEAT_USES & {u.value for u in catalogue.measures[m].end_uses})
         for m in merged["measure_id"]],
        dtype=bool,
    )  # fmt: skip
    if heat.any():
        out["savings_interval_coverage_all_candidates.heat"] = float(inside[heat].mean())
    for band, lo, hi in SIZE_BANDS:
        sel = (size >= lo) & (size < hi)
        if sel.any():
            out[f"savings_interval_coverage_all_candidates.size_{band}"] = float(inside[sel].mean())
    return out


def _binary_metrics(prefix: str, y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    auc = float(roc_auc_score(y, p))
    return {
        f"{prefix}_roc_auc": auc,
        f"{prefix}_roc_auc_se": auc_standard_error(auc, int((y == 1).sum()), int((y == 0).sum())),
        f"{prefix}_pr_auc": float(average_precision_score(y, p)),
        f"{prefix}_brier": float(brier_score_loss(y, p)),
    }


def auc_standard_error(auc: float, n_positive: int, n_negative: int) -> float:
    """Standard error of a ROC AUC from its value and class counts (Hanley & McNeil,
    Radiology 143:29-36, 1982, eq. 2): how far it moves from sampling alone."""
    if n_positive < 1 or n_negative < 1:
        return float("nan")
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = (
        auc * (1 - auc) + (n_positive - 1) * (q1 - auc**2) + (n_negative - 1) * (q2 - auc**2)
    ) / (n_positive * n_negative)
    return float(np.sqrt(max(variance, 0.0)))


def _logistic_inputs(t: pd.DataFrame) -> np.ndarray:
    x = t[["log_cost", "log_cost_savings", "payback_years"]].to_numpy(dtype=float, copy=True)
    x[:, 2] = np.clip(x[:, 2], 0, 50)
    return x


def _logistic_model(train_t: pd.DataFrame) -> Callable[[pd.DataFrame], np.ndarray]:
    """Baseline: logistic regression on log cost, log savings and payback (the auditor's
    figures of the training outcomes); returns P(implemented) of a table of the same columns.
    Missing inputs take the training medians."""
    known = train_t["implemented"].notna()
    x = _logistic_inputs(train_t[known])
    medians = np.nanmedian(x, axis=0)
    model = LogisticRegression(max_iter=1000)
    model.fit(np.where(np.isnan(x), medians, x), train_t.loc[known, "implemented"].astype(int))

    def predict(test_t: pd.DataFrame) -> np.ndarray:
        z = _logistic_inputs(test_t)
        return np.asarray(model.predict_proba(np.where(np.isnan(z), medians, z))[:, 1])

    return predict


def _factory_inputs(factories: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """Plain per-outcome inputs of the raw baselines: the factory's size, energy, sector and
    year, and the measure key (no physics, no end uses)."""
    f = factories.reset_index(drop=True)
    rows = targets["factory_row"].to_numpy()

    def log_of(column: str) -> np.ndarray:
        values = pd.to_numeric(f[column], errors="coerce").to_numpy(dtype=float)[rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(values > 0, np.log(values), np.nan)

    return pd.DataFrame(
        {
            "log_employees": log_of("employees"),
            "log_electricity_kwh": log_of("electricity_kwh"),
            "log_natural_gas_gj": log_of("natural_gas_gj"),
            "log_floor_area_m2": log_of("floor_area_m2"),
            "reporting_year": pd.to_numeric(f["reporting_year"], errors="coerce").to_numpy(
                dtype=float
            )[rows],
            "sector": f["sector"].astype(str).to_numpy()[rows],
            "key": targets["key"].astype(str).to_numpy(),
        }
    )


def _raw_lightgbm(
    train_t: pd.DataFrame,
    train_factories: pd.DataFrame,
    test_t: pd.DataFrame,
    test_factories: pd.DataFrame,
    target: str,
) -> np.ndarray:
    """Baseline: LightGBM with its default settings on the plain factory inputs and the
    measure key, predicting ``target`` (``log_cost``, or ``log_saved_gj``: the log of the
    energy saved on the carriers the measure reduces, without normalising by end uses)."""

    def target_of(t: pd.DataFrame) -> np.ndarray:
        if target == "log_saved_gj":
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.asarray(t["log_fraction"] + np.log(t["targeted_gj"]), dtype=float)
        return t[target].to_numpy(dtype=float)

    x_train = _factory_inputs(train_factories, train_t)
    x_test = _factory_inputs(test_factories, test_t)
    for column in ("sector", "key"):
        vocabulary = pd.CategoricalDtype(sorted(set(x_train[column])))
        x_train[column] = x_train[column].astype(vocabulary)
        # A sector or measure the training side never saw is missing to the baseline.
        seen = x_test[column].isin(vocabulary.categories)
        x_test[column] = x_test[column].where(seen).astype(vocabulary)
    y = target_of(train_t)
    ok = np.isfinite(y)
    data = lgb.Dataset(x_train[ok], label=y[ok])
    booster = lgb.train({"objective": "regression", "verbose": -1, "num_threads": 2,
                         "seed": 0, "deterministic": True}, data,
                        num_boost_round=RAW_BASELINE_ROUNDS)  # fmt: skip
    return np.asarray(booster.predict(x_test))


def _sector_median(
    train_t: pd.DataFrame,
    train_factories: pd.DataFrame,
    test_t: pd.DataFrame,
    test_factories: pd.DataFrame,
    target: str,
) -> np.ndarray:
    """Baseline: the training median of ``target`` for the same measure in the same sector,
    else of the measure, else of everything."""
    sector_train = train_factories["sector"].astype(str).to_numpy()[train_t["factory_row"]]
    sector_test = test_factories["sector"].astype(str).to_numpy()[test_t["factory_row"]]
    frame = pd.DataFrame({"key": train_t["key"].astype(str), "sector": sector_train,
                          "y": train_t[target].to_numpy(dtype=float)})  # fmt: skip
    by_pair = frame.groupby(["key", "sector"])["y"].median()
    by_key = frame.groupby("key")["y"].median()
    keys = test_t["key"].astype(str).to_numpy()
    pair_index = pd.MultiIndex.from_arrays([keys, sector_test])
    out = by_pair.reindex(pair_index).to_numpy(dtype=float)
    out = np.where(np.isnan(out), by_key.reindex(keys).to_numpy(dtype=float), out)
    return np.where(np.isnan(out), float(frame["y"].median()), out)


def _ranking(
    bundle: RecommendationBundle,
    train_outcomes: pd.DataFrame,
    train_factories: pd.DataFrame,
    test_factories: pd.DataFrame,
    test_outcomes: pd.DataFrame,
    truth: pd.DataFrame | None,
    catalogue: Catalogue,
    table: FactorTable,
) -> dict[str, float]:
    """Per-factory ranking metrics over each factory's applicable candidates."""
    identified = test_outcomes["measure_id"].notna()
    if not identified.any():
        return {}
    profiles, rejected = profiles_from_frame(test_factories)
    if rejected:
        raise ValueError(f"test factory row {rejected[0][0]} is not a valid profile")
    _, found, s, _ = bundle.score_candidates(test_factories, profiles, table, catalogue)
    f_idx, keys = found.factory_index, found.keys
    ids = test_factories["factory_id"].astype(str).to_numpy()
    recommended = test_outcomes[identified].groupby("factory_id")["measure_id"].agg(set)
    rank_by = _popularity_rankings(train_outcomes, train_factories)
    true_tco2e = _true_savings_by_factory(truth)
    scores: dict[str, list[float]] = {}
    test_sector = test_factories["sector"].astype(str).to_numpy()
    # Route measures are engineering estimates, neither learned nor in the generated truth nor
    # in any outcome data: the ranking metrics compare the learned measures only.
    learned = ~s.engineering
    for i, fid in enumerate(ids):
        rows = np.nonzero((f_idx == i) & learned)[0]
        if len(rows) == 0:
            continue
        cand = keys[rows]
        rankings = {"model_tco2e": list(cand[np.argsort(-s.tco2e[rows], kind="stable")])}
        rankings |= {name: rank(cand, test_sector[i]) for name, rank in rank_by.items()}
        if s.applicability is not None:
            rankings["model_applicability"] = list(
                cand[np.argsort(-s.applicability[rows], kind="stable")]
            )
        for name, ranked in rankings.items():
            for metric, value in _ranking_scores(
                ranked, recommended.get(fid, set()), true_tco2e.get(fid)
            ).items():
                if not np.isnan(value):
                    scores.setdefault(f"{name}.{metric}", []).append(value)
    return {name: float(np.mean(values)) for name, values in scores.items()}


def _popularity_rankings(
    train_outcomes: pd.DataFrame, train_factories: pd.DataFrame
) -> dict[str, Callable[[np.ndarray, str], list[str]]]:
    """The popularity baselines: candidates ordered by how often auditors recommended them in
    training, overall, or in the factory's sector first (global popularity breaks the many
    ties)."""
    popularity = train_outcomes["measure_id"].value_counts()
    sector_of = train_factories.set_index("factory_id")["sector"]
    sector_pop = (
        train_outcomes.assign(sector=train_outcomes["factory_id"].map(sector_of))
        .groupby(["sector", "measure_id"])
        .size()
    )
    return {
        "baseline_global_popularity": lambda cand, _sector: sorted(
            cand, key=lambda m: -popularity.get(m, 0)
        ),
        "baseline_sector_popularity": lambda cand, sector: sorted(
            cand, key=lambda m: (-sector_pop.get((sector, m), 0), -popularity.get(m, 0))
        ),
    }


def _true_savings_by_factory(truth: pd.DataFrame | None) -> dict[str, pd.Series]:
    """Each generated factory's true tCO2e/yr saved per measure (empty without truth)."""
    if truth is None:
        return {}
    t = truth.assign(factory_id=truth["factory_id"].astype(str))
    t = t.assign(measure_id=t["measure_id"].astype(str))
    return {
        str(fid): g.set_index("measure_id")["true_tco2e_saved"]
        for fid, g in t.groupby("factory_id")
    }


def _ranking_scores(
    ranked: list[str], relevant: set[str], truth: pd.Series | None
) -> dict[str, float]:
    """One factory's ranking against what auditors picked (NDCG, recall) and, on generated
    data, against the true best measures (hit@5, regret@5)."""
    out: dict[str, float] = {}
    if relevant:
        out["ndcg_at_5"] = ndcg_at(ranked, relevant, 5)
        out["ndcg_at_10"] = ndcg_at(ranked, relevant, 10)
        out["recall_at_10"] = recall_at(ranked, relevant, 10)
    if truth is not None and len(truth):
        best = truth.sort_values(ascending=False)
        out["hit_at_5"] = float(best.index[0] in ranked[:5])
        true_top = best.iloc[:5].clip(lower=0).sum()
        got = truth.reindex(ranked[:5]).fillna(0).clip(lower=0).sum()
        if true_top > 0:
            out["regret_at_5"] = float((true_top - got) / true_top)
    return out
