"""Training on two sources at once: a base (generated or IAC data) and the outcomes factories
reported through the service, each row keeping where it came from."""

from __future__ import annotations

import pandas as pd

from features.sources.schema import DataReport, Dataset, fingerprint


def combine(base: Dataset, reported: Dataset, weight: int = 1) -> Dataset:
    """``base`` plus ``reported``, each reported outcome repeated ``weight`` times (how much one
    metered outcome counts against one row of the base; the models take no sample weights, so
    the weight is whole repetitions, each with its own outcome id). Factory ids of the reported
    data are prefixed ``outcomes:`` so they cannot collide with the base's; the ``provenance``
    column of outcomes and ``x_provenance`` of factories say where each row came from."""
    if weight < 1:
        raise ValueError(f"weight: invalid value {weight}; allowed: a whole number >= 1")
    factories_b = base.factories.assign(x_provenance=base.report.source)
    outcomes_b = base.outcomes.assign(provenance=base.report.source)
    prefix = "outcomes:"
    factories_r = reported.factories.assign(
        factory_id=prefix + reported.factories["factory_id"].astype(str),
        x_provenance=reported.report.source,
    )
    repeated = [
        reported.outcomes.assign(
            factory_id=prefix + reported.outcomes["factory_id"].astype(str),
            outcome_id=reported.outcomes["outcome_id"].astype(str) + f"#{k}",
            provenance=reported.report.source,
        )
        for k in range(weight)
    ]
    factories = pd.concat([factories_b, factories_r], ignore_index=True)
    outcomes = pd.concat([outcomes_b, *repeated], ignore_index=True)
    n_reported = len(reported.outcomes)
    report = DataReport(
        source=f"{base.report.source}+{reported.report.source}",
        detail=f"{base.report.detail} + {reported.report.detail} (weight {weight})",
        rows_in={
            "factories": base.report.rows_in.get("factories", 0)
            + reported.report.rows_in.get("factories", 0),
            "outcomes": base.report.rows_in.get("outcomes", 0)
            + reported.report.rows_in.get("outcomes", 0) * weight,
        },
        rows_used={"factories": len(factories), "outcomes": len(outcomes)},
        rejected=pd.concat([base.report.rejected, reported.report.rejected], ignore_index=True),
        repaired=pd.concat([base.report.repaired, reported.report.repaired], ignore_index=True),
        notes=[
            *base.report.notes,
            *reported.report.notes,
            f"provenance: {len(outcomes_b):,} outcomes from {base.report.source}, "
            f"{n_reported:,} reported outcomes x weight {weight} = {n_reported * weight:,} rows",
        ],
    )
    report.check_balance()
    report.fingerprint = fingerprint(factories, outcomes, base.truth)
    return Dataset(factories=factories, outcomes=outcomes, truth=base.truth, report=report)
