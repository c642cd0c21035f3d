"""Reported outcomes that came from a verification carry it into training: per outcome row its
verdict and the fractional uncertainty of its measured savings (the columns
:mod:`models.metered` reads to weigh it)."""

from __future__ import annotations

import math

import numpy as np

from features.carriers import GJ_PER_CANONICAL, column
from features.sources.outcome_store import OutcomeStore, OutcomeVerification
from features.sources.schema import Dataset
from models.metered import CONFIDENCE_COLUMN, UNCERTAINTY_COLUMN, VERDICT_COLUMN

#: Stored outcomes read per query.
PAGE = 500


def outcome_uncertainty(
    verification: OutcomeVerification, annual_savings: dict[str, float]
) -> tuple[str, float, float]:
    """(verdict, fractional uncertainty, confidence) of an outcome's savings over all its
    verified carriers: the carriers' half-widths in GJ added in quadrature (independent
    baselines) over the absolute sum of their savings in GJ (inf when that is 0); the verdict
    "verified" when any carrier's is, else the first carrier's."""
    half_width_sq, saved_gj = 0.0, 0.0
    for fit in verification.carriers:
        saved = annual_savings.get(fit.carrier.value, 0.0)
        gj = float(GJ_PER_CANONICAL[column(fit.carrier)])
        half_width_sq += (fit.fractional_uncertainty * abs(saved) * gj) ** 2
        saved_gj += saved * gj
    fraction = math.sqrt(half_width_sq) / abs(saved_gj) if saved_gj else math.inf
    verdicts = [fit.verdict for fit in verification.carriers]
    verdict = "verified" if "verified" in verdicts else verdicts[0]
    confidence = min(fit.confidence for fit in verification.carriers)
    return verdict, fraction, confidence


def with_verifications(reported: Dataset, url: str) -> Dataset:
    """``reported`` (the outcomes store at ``url`` as training tables) with the verdict,
    fractional uncertainty and confidence of each verified outcome in the columns
    :data:`models.metered.VERDICT_COLUMN`, ``UNCERTAINTY_COLUMN``, ``CONFIDENCE_COLUMN``
    (missing for outcomes reported without one)."""
    outcomes = reported.outcomes
    if not len(outcomes) or VERDICT_COLUMN in outcomes:
        return reported
    found: dict[str, tuple[str, float, float]] = {}
    store = OutcomeStore(url, migrate_schema=False)
    try:
        offset, total = 0, 1
        while offset < total:
            page, total = store.page(limit=PAGE, offset=offset)
            offset += PAGE
            for stored in page:
                if stored.verification is not None and stored.annual_savings:
                    found[f"store-{stored.id}"] = outcome_uncertainty(
                        stored.verification, stored.annual_savings
                    )
    finally:
        store.close()
    ids = outcomes["outcome_id"].astype(str)
    columns = {
        VERDICT_COLUMN: ids.map(lambda i: found[i][0] if i in found else None),
        UNCERTAINTY_COLUMN: ids.map(lambda i: found[i][1] if i in found else np.nan),
        CONFIDENCE_COLUMN: ids.map(lambda i: found[i][2] if i in found else np.nan),
    }
    enriched = outcomes.assign(**columns)
    return Dataset(
        factories=reported.factories,
        outcomes=enriched,
        truth=reported.truth,
        report=reported.report,
    )
