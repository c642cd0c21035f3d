"""Held-out evaluation of a bundle, with baselines side by side.

All metrics are computed on test factories that no model saw in training. Ground-truth metrics
(hit@5, regret@5, coverage of true savings) exist only for generated data.
"""

from __future__ import annotations

from collections.abc import Sequence

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
from models.bundle import RecommendationBundle, interval_strata


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
    metrics: dict[str, float] = {}
    targets = outcome_targets(test_factories, test_outcomes, catalogue)
    train_t = outcome_targets(train_factories, train_outcomes, catalogue)
    X_keys = targets["key"].to_numpy()
    rows = targets["factory_row"].to_numpy()
    X = outcome_design(bundle.spec_, test_factories, rows, X_keys, catalogue)

    # Savings: log fraction of addressable energy.
    y = targets["log_fraction"].to_numpy()
    ok = ~np.isnan(y)
    if ok.sum() > 1:
        strata = interval_strata(X_keys[ok], catalogue)
        low, mid, high = bundle.savings_.predict_interval(X[ok], strata)
        metrics["savings_r2_log"] = float(r2_score(y[ok], mid))
        metrics["savings_mdape"] = _mdape(np.exp(mid), np.exp(y[ok]))
        metrics["savings_interval_coverage"] = float(np.mean((y[ok] >= low) & (y[ok] <= high)))
        metrics["savings_interval_width_log"] = float(np.mean(high - low))
        inside = (y[ok] >= low) & (y[ok] <= high)
        years = test_factories["reporting_year"].to_numpy()[rows][ok]
        for year in sorted({int(v) for v in years if pd.notna(v)}):
            sel = years == year
            if sel.sum() >= 20:
                metrics[f"savings_interval_coverage.year_{year}"] = float(inside[sel].mean())
        families = test_outcomes["measure_group"].astype(str).to_numpy()[ok]
        for family in sorted(set(families)):
            sel = families == family
            if sel.sum() >= 20 and len(family) < 40:
                metrics[f"savings_r2_log.{family}"] = float(r2_score(y[ok][sel], mid[sel]))
                metrics[f"savings_interval_coverage.{family}"] = float(
                    np.mean((y[ok][sel] >= low[sel]) & (y[ok][sel] <= high[sel]))
                )
        # Baseline: the training median log fraction of the same measure.
        per_key = train_t.groupby("key")["log_fraction"].median()
        base = pd.Series(X_keys[ok]).map(per_key).fillna(train_t["log_fraction"].median())
        metrics["baseline_measure_median.savings_r2_log"] = float(r2_score(y[ok], base))

    # Cost.
    y = targets["log_cost"].to_numpy()
    ok = ~np.isnan(y)
    if ok.sum() > 1:
        pred = bundle.cost_.predict(X[ok])
        metrics["cost_r2_log"] = float(r2_score(y[ok], pred))
        metrics["cost_mdape"] = _mdape(np.exp(pred), np.exp(y[ok]))
        per_key = train_t.groupby("key")["log_cost"].median()
        base = pd.Series(X_keys[ok]).map(per_key).fillna(train_t["log_cost"].median())
        metrics["baseline_measure_median.cost_r2_log"] = float(r2_score(y[ok], base))

    # Adoption as served: from the bundle's own predicted cost and savings (what the service
    # gives it); the audit-time variant, given the auditor's figures, is a second, named metric.
    y = targets["implemented"].to_numpy()
    ok = ~np.isnan(y)
    if ok.sum() > 1 and len(set(y[ok])) == 2:
        energy = FactoryEnergy.of(test_factories)
        found = pairs(energy, rows, X_keys, catalogue)
        p = bundle.adoption_as_served(energy, found, X, catalogue)
        metrics.update(_binary_metrics("adoption", y[ok], p[ok]))
        ax = bundle.adoption_inputs(
            X, targets["log_cost"].to_numpy(), targets["log_cost_savings"].to_numpy()
        )
        audit = bundle.adoption_.predict_proba(ax[ok])
        metrics.update(_binary_metrics("adoption_audit_time", y[ok], audit))
        rate = train_t.groupby("key")["implemented"].mean()
        base = pd.Series(X_keys[ok]).map(rate).fillna(np.nanmean(train_t["implemented"]))
        metrics.update(_binary_metrics("baseline_measure_rate.adoption", y[ok], base.to_numpy()))
        metrics.update(
            _binary_metrics("baseline_logistic.adoption", y[ok], _logistic(train_t, targets[ok]))
        )

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
    learned = ~s["engineering"] if "engineering" in s else np.ones(len(found), dtype=bool)
    ids = test_factories["factory_id"].astype(str).to_numpy()
    frame = pd.DataFrame(
        {
            "factory_id": ids[found.factory_index],
            "measure_id": found.keys.astype(str),
            "low": s["tco2e_low"],
            "high": s["tco2e_high"],
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
    for band, lo, hi in SIZE_BANDS:
        sel = (size >= lo) & (size < hi)
        if sel.any():
            out[f"savings_interval_coverage_all_candidates.size_{band}"] = float(inside[sel].mean())
    return out


def _binary_metrics(prefix: str, y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    return {
        f"{prefix}_roc_auc": float(roc_auc_score(y, p)),
        f"{prefix}_pr_auc": float(average_precision_score(y, p)),
        f"{prefix}_brier": float(brier_score_loss(y, p)),
    }


def _logistic_inputs(t: pd.DataFrame) -> np.ndarray:
    x = t[["log_cost", "log_cost_savings", "payback_years"]].to_numpy(dtype=float, copy=True)
    x[:, 2] = np.clip(x[:, 2], 0, 50)
    medians = np.nanmedian(x, axis=0)
    return np.where(np.isnan(x), medians, x)


def _logistic(train_t: pd.DataFrame, test_t: pd.DataFrame) -> np.ndarray:
    """Baseline: logistic regression on log cost, log savings and payback."""
    known = train_t["implemented"].notna()
    model = LogisticRegression(max_iter=1000)
    model.fit(_logistic_inputs(train_t[known]), train_t.loc[known, "implemented"].astype(int))
    return np.asarray(model.predict_proba(_logistic_inputs(test_t))[:, 1])


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
    popularity = train_outcomes["measure_id"].value_counts()
    sector_of = train_factories.set_index("factory_id")["sector"]
    sector_pop = (
        train_outcomes.assign(sector=train_outcomes["factory_id"].map(sector_of))
        .groupby(["sector", "measure_id"])
        .size()
    )
    true_tco2e: dict[str, pd.Series] = {}
    if truth is not None:
        t = truth.assign(factory_id=truth["factory_id"].astype(str))
        t = t.assign(measure_id=t["measure_id"].astype(str))
        true_tco2e = {
            str(fid): g.set_index("measure_id")["true_tco2e_saved"]
            for fid, g in t.groupby("factory_id")
        }
    scores: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        if not np.isnan(value):
            scores.setdefault(name, []).append(value)

    test_sector = test_factories["sector"].astype(str).to_numpy()
    # Route measures are engineering estimates, neither learned nor in the generated truth nor
    # in any outcome data: the ranking metrics compare the learned measures only.
    learned = ~s["engineering"] if "engineering" in s else np.ones(len(keys), dtype=bool)
    for i, fid in enumerate(ids):
        rows = np.nonzero((f_idx == i) & learned)[0]
        if len(rows) == 0:
            continue
        cand = keys[rows]
        rankings = {
            "model_tco2e": list(cand[np.argsort(-s["tco2e"][rows], kind="stable")]),
            "baseline_global_popularity": sorted(cand, key=lambda m: -popularity.get(m, 0)),
            # Sector counts first; global popularity breaks the (many) ties.
            "baseline_sector_popularity": sorted(
                cand,
                key=lambda m: (-sector_pop.get((test_sector[i], m), 0), -popularity.get(m, 0)),
            ),
        }
        if "applicability" in s:
            rankings["model_applicability"] = list(
                cand[np.argsort(-s["applicability"][rows], kind="stable")]
            )
        relevant = recommended.get(fid, set())
        truth_f = true_tco2e.get(fid)
        for name, ranked in rankings.items():
            if relevant:
                add(f"{name}.ndcg_at_5", ndcg_at(ranked, relevant, 5))
                add(f"{name}.ndcg_at_10", ndcg_at(ranked, relevant, 10))
                add(f"{name}.recall_at_10", recall_at(ranked, relevant, 10))
            if truth_f is not None and len(truth_f):
                best = truth_f.sort_values(ascending=False)
                add(f"{name}.hit_at_5", float(best.index[0] in ranked[:5]))
                true_top = best.iloc[:5].clip(lower=0).sum()
                got = truth_f.reindex(ranked[:5]).fillna(0).clip(lower=0).sum()
                if true_top > 0:
                    add(f"{name}.regret_at_5", float((true_top - got) / true_top))
    return {name: float(np.mean(values)) for name, values in scores.items()}
