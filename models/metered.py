"""Metered outcomes in training: which outcome rows were metered, and how much each counts in
the savings models against a row of auditors' estimates (docs/verification.md, "How metered
outcomes teach the models")."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtri

from models.served import METERED_PROVENANCE, REALISATION_PRIOR

#: Log sd of the savings a metered outcome states, when no verification says how precise it
#: is. ASSUMPTION: 0.20, a verification with a fractional savings uncertainty of 20% at 68%;
#: ASHRAE Guideline 14-2014 (section 4.1.1) accepts up to 50% at 68%.
METERED_LOG_SD = 0.20
#: Default weight of a metered outcome against one auditor's estimate, the ratio of their
#: variances about what the plant really saves: an estimate carries the realisation spread
#: (REALISATION_PRIOR's log sd 0.28) on top of the noise both carry, so
#: (0.20^2 + 0.28^2) / 0.20^2 = 2.96, rounded to 3. An ASSUMPTION through METERED_LOG_SD.
DEFAULT_METERED_WEIGHT = 3.0
#: Outcome columns a verification fills (features/verification.to_outcome_report through the
#: outcomes store): the verdict and the fractional savings uncertainty at its confidence.
VERDICT_COLUMN = "verification_verdict"
UNCERTAINTY_COLUMN = "verification_fractional_uncertainty"
CONFIDENCE_COLUMN = "verification_confidence"
#: Confidence of an uncertainty stated without one (VerificationRequest's default).
DEFAULT_CONFIDENCE = 0.90


def metered_mask(
    outcomes: pd.DataFrame, implemented: np.ndarray, log_fraction: np.ndarray
) -> np.ndarray:
    """Per outcome row: its savings were metered (reported to the outcomes store, status
    implemented, savings stated)."""
    if "provenance" not in outcomes:
        return np.zeros(len(outcomes), dtype=bool)
    reported = outcomes["provenance"].astype(str).to_numpy() == METERED_PROVENANCE
    mask: np.ndarray = reported & (implemented == 1) & ~np.isnan(log_fraction)
    return mask


def first_reported(outcomes: pd.DataFrame) -> np.ndarray:
    """Per outcome row: not a repetition of an earlier row (``combine`` repeats each reported
    outcome ``outcomes_weight`` times as ``<id>#<k>``), so each outcome is counted once."""
    if "outcome_id" not in outcomes:
        return np.ones(len(outcomes), dtype=bool)
    base = outcomes["outcome_id"].astype(str).str.replace(r"#\d+$", "", regex=True)
    key = outcomes["factory_id"].astype(str) + "\x1f" + base
    first: np.ndarray = ~key.duplicated().to_numpy()
    return first


def savings_log_sd(outcomes: pd.DataFrame) -> np.ndarray:
    """Per outcome row: the log sd of its stated savings from its verification (the fractional
    savings uncertainty at its confidence over the normal quantile: a 1-sd relative
    uncertainty, which is the log sd to first order); NaN without a verification, inf when
    the verification could not bound the savings."""
    out = np.full(len(outcomes), np.nan)
    if VERDICT_COLUMN not in outcomes or UNCERTAINTY_COLUMN not in outcomes:
        return out
    verified = outcomes[VERDICT_COLUMN].notna().to_numpy()
    fsu = pd.to_numeric(outcomes[UNCERTAINTY_COLUMN], errors="coerce").to_numpy(float)
    confidence = np.full(len(outcomes), DEFAULT_CONFIDENCE)
    if CONFIDENCE_COLUMN in outcomes:
        given = pd.to_numeric(outcomes[CONFIDENCE_COLUMN], errors="coerce").to_numpy(float)
        confidence = np.where(np.isnan(given), DEFAULT_CONFIDENCE, given)
    z = ndtri(0.5 + np.clip(confidence, 0.5, 0.999) / 2)
    # A verification without a finite uncertainty (nothing saved to divide by) bounds nothing.
    sd = np.where(np.isfinite(fsu), np.abs(np.nan_to_num(fsu)) / z, np.inf)
    out[verified] = sd[verified]
    return out


def metered_weights(metered: np.ndarray, log_sd: np.ndarray, weight: float) -> np.ndarray | None:
    """Sample weight per row: 1 for estimates; ``weight`` for a metered row without a
    verification; for a verified one the same variance ratio with its own log sd,
    ``1 + 0.28^2 / sd^2``, between 1 (savings no surer than an estimate, e.g. no savings
    detected) and ``weight``. None when every row would count once (the unweighted fit)."""
    if weight == 1.0 or not metered.any():
        return None
    with np.errstate(divide="ignore"):
        own = 1.0 + REALISATION_PRIOR[1] ** 2 / np.square(log_sd)
    per_row = np.where(np.isnan(log_sd), weight, np.clip(own, 1.0, max(weight, 1.0)))
    w: np.ndarray = np.where(metered, per_row, 1.0)
    return None if np.all(w == 1.0) else w
