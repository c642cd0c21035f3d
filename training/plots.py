"""Plots logged with every run: SHAP summary, feature importance, interval and adoption
calibration, and an example factory's marginal abatement cost curve."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on training machines

import matplotlib.pyplot as plt
import numpy as np
import shap  # plots only; serving never imports training
from matplotlib.figure import Figure

from features.catalogue.measures import Catalogue
from features.design import outcome_design
from features.report import load_profile
from features.targets import outcome_targets
from models.bundle import RecommendationBundle, interval_strata
from models.schemas import RecommendOptions
from training.split import Split


def _save(fig: Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def save_plots(bundle: RecommendationBundle, split: Split, directory: Path) -> list[Path]:
    """Write the PNG plots into ``directory`` and return their paths (only the feature
    importance when there is no held-out side)."""
    catalogue = Catalogue.default()
    names = bundle.spec_.labels
    if split.test_factories.empty:
        return [_importance(bundle, names, directory / "feature_importance.png")]
    targets = outcome_targets(split.test_factories, split.test_outcomes, catalogue)
    X = outcome_design(
        bundle.spec_,
        split.test_factories,
        targets["factory_row"].to_numpy(),
        targets["key"].to_numpy(),
        catalogue,
    )
    paths = [
        _importance(bundle, names, directory / "feature_importance.png"),
        _shap_summary(bundle, X, names, directory / "shap_summary_savings.png"),
        _interval_calibration(bundle, X, targets, directory / "interval_calibration.png"),
        _adoption_calibration(bundle, X, targets, directory / "adoption_calibration.png"),
        _abatement_curve(bundle, split, directory / "abatement_cost_curve.png"),
    ]
    return [p for p in paths if p is not None]


def _importance(bundle: RecommendationBundle, names: list[str], path: Path) -> Path:
    gain = bundle.savings_.median_.feature_importance(importance_type="gain")
    order = np.argsort(gain)[-20:]
    fig, ax = plt.subplots(figsize=(11, 6))
    short = [n if len(n) <= 60 else n[:59] + "…" for n in names]
    ax.barh(np.array(short)[order], gain[order])
    ax.set_title("Savings model: feature importance (gain)")
    return _save(fig, path)


def _shap_summary(
    bundle: RecommendationBundle, X: np.ndarray, names: list[str], path: Path
) -> Path:
    # Rows drawn across the whole matrix (blended data put one source's rows first).
    rows = np.random.default_rng(0).choice(len(X), size=min(2000, len(X)), replace=False)
    sample = X[np.sort(rows)]
    values = bundle.savings_.contributions(sample)[:, :-1]
    short = [n if len(n) <= 50 else n[:49] + "…" for n in names]
    with warnings.catch_warnings():
        # The colour scale of a feature missing in every sampled row (e.g. measure attributes
        # of coarse classes only) has no percentiles; shap then colours it grey.
        warnings.filterwarnings("ignore", "All-NaN slice encountered", RuntimeWarning)
        shap.summary_plot(
            values,
            sample,
            feature_names=short,
            show=False,
            max_display=15,
            plot_size=(12, 7),
            rng=np.random.default_rng(0),
        )
    plt.title("SHAP values of the savings model (log fraction saved)")
    plt.tight_layout()
    plt.savefig(path, dpi=90)
    plt.close("all")
    return path


def _interval_calibration(
    bundle: RecommendationBundle, X: np.ndarray, targets: object, path: Path
) -> Path | None:
    y = targets["log_fraction"].to_numpy()  # type: ignore[index]
    ok = ~np.isnan(y)
    if ok.sum() < 10:
        return None
    keys = targets["key"].to_numpy()  # type: ignore[index]
    strata = interval_strata(keys[ok], Catalogue.default())
    low, mid, high = bundle.savings_.predict_interval(X[ok], strata)
    covered = (y[ok] >= low) & (y[ok] <= high)
    fig, ax = plt.subplots(figsize=(6, 6))
    ax.scatter(mid, y[ok], s=4, c=np.where(covered, "tab:blue", "tab:red"), alpha=0.4)
    lims = [min(mid.min(), y[ok].min()), max(mid.max(), y[ok].max())]
    ax.plot(lims, lims, "k--", lw=1)
    nominal = 1 - bundle.config.interval_alpha
    ax.set_title(
        f"Savings: predicted vs actual (log); interval coverage {covered.mean():.1%} "
        f"(nominal {nominal:.0%})",
        fontsize=9,
    )
    ax.set_xlabel("predicted log fraction saved")
    ax.set_ylabel("reported log fraction saved")
    return _save(fig, path)


def _adoption_calibration(
    bundle: RecommendationBundle, X: np.ndarray, targets: object, path: Path
) -> Path | None:
    t = targets
    y = t["implemented"].to_numpy()  # type: ignore[index]
    ok = ~np.isnan(y)
    if ok.sum() < 50:
        return None
    ax_in = bundle.adoption_inputs(X, t["log_cost"].to_numpy(), t["log_cost_savings"].to_numpy())  # type: ignore[index]
    p = bundle.adoption_.predict_proba(ax_in[ok])
    bins = np.clip((p * 10).astype(int), 0, 9)
    mean_p = [p[bins == b].mean() for b in range(10) if (bins == b).any()]
    rate = [y[ok][bins == b].mean() for b in range(10) if (bins == b).any()]
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], "k--", lw=1)
    ax.plot(mean_p, rate, "o-")
    ax.set_xlabel("predicted adoption probability")
    ax.set_ylabel("observed implementation rate")
    ax.set_title("Adoption calibration (held-out)")
    return _save(fig, path)


def _abatement_curve(bundle: RecommendationBundle, split: Split, path: Path) -> Path | None:
    """The cost curve of a named reference factory (the bundled example plant), bars numbered
    and named in a legend beside the plot so labels never overlap."""
    if not bundle.ranks_measures:
        # Trained on coarse groups only (no measure identity, e.g. the IAC release here): the
        # models cannot tell catalogue measures apart, so a per-measure curve would mislead.
        return None
    del split  # the curve is for a named factory, not a random held-out one
    profile = load_profile(None)
    options = RecommendOptions(objective="lowest_cost_per_tco2e", top_k=12, explain="none")
    (best,) = bundle.recommend([profile], options)
    recs = [r for r in best.recommendations if r.abatement_cost_per_tco2e is not None]
    recs = [r for r in recs if r.portfolio_tco2e_avoided > 0]
    if not recs:
        return None
    fig, (ax, key) = plt.subplots(1, 2, figsize=(13, 5), gridspec_kw={"width_ratios": [2.2, 1]})
    key.axis("off")
    x = 0.0
    legend = []
    for number, r in enumerate(recs, start=1):
        width = r.portfolio_tco2e_avoided  # in sequence: no double counting
        cost = r.abatement_cost_per_tco2e or 0.0
        ax.bar(
            x,
            cost,
            width=width,
            align="edge",
            edgecolor="k",
            color="tab:green" if cost < 0 else "tab:orange",
        )
        ax.text(
            x + width / 2,
            cost,
            str(number),
            fontsize=8,
            ha="center",
            va="bottom" if cost >= 0 else "top",
        )
        name = r.name if len(r.name) <= 42 else r.name[:41] + "…"
        legend.append(f"{number:>2}. {name}\n    {width:,.0f} t/yr at {cost:,.0f}/t")
        x += width
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xlabel("tCO2e/yr avoided, each measure after the ones to its left")
    ax.set_ylabel(f"abatement cost, {best.currency}/tCO2e")
    ax.set_title(f"Marginal abatement cost curve: {best.factory_id} (bundled example plant)")
    key.text(
        0.0,
        1.0,
        "\n".join(legend),
        fontsize=7.5,
        va="top",
        family="monospace",
        transform=key.transAxes,
    )
    return _save(fig, path)
