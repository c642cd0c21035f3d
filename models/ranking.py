"""Which candidate rows a factory's answer ranks, in what order: only measures that lower its
emissions, learned measures only with enough training outcomes, by the request's objective and
within its capital budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.schemas import (
    RecommendOptions,
)
from models.scores import Scores

#: A measure changing emissions by less than this (tCO2e/yr) has no direction worth ranking.
MIN_TCO2E = 1e-6


@dataclass(frozen=True)
class Chosen:
    """One factory's returned rows in rank order, their abatement cost and the rows of measures
    that would raise its emissions (most harmful first)."""

    rows: np.ndarray
    abatement: np.ndarray
    increases: np.ndarray
    thin: np.ndarray = field(
        default_factory=lambda: np.zeros(0, dtype=np.intp)
    )  # too little evidence


def rank_rows(
    rows: np.ndarray,
    lifetimes: np.ndarray,
    s: Scores,
    options: RecommendOptions,
    min_evidence: int = 0,
) -> Chosen:
    """Rank one factory's candidate rows: only measures that lower emissions are ranked, and
    learned measures only with at least ``min_evidence`` training outcomes (the others are
    returned apart as ``thin``, largest effect first)."""
    tco2e_all = s.tco2e[rows]
    increases = rows[tco2e_all < -MIN_TCO2E]
    increases = increases[np.argsort(s.tco2e[increases], kind="stable")]
    rows = rows[tco2e_all > MIN_TCO2E]
    thin = np.zeros(0, dtype=np.intp)
    if min_evidence > 0:
        learned = ~s.engineering[rows]
        weak = learned & (s.evidence[rows] < min_evidence)
        thin = rows[weak]
        thin = thin[np.argsort(-s.tco2e[thin], kind="stable")][: options.top_k]
        rows = rows[~weak]
    r = options.discount_rate
    crf = r / (1 - (1 + r) ** -lifetimes[rows]) if r > 0 else 1 / lifetimes[rows]
    tco2e = s.tco2e[rows]
    capex = s.capex[rows]
    abatement = (capex * crf - s.cost_savings[rows]) / tco2e
    if options.objective == "most_tco2e":
        order = np.argsort(-tco2e, kind="stable")
    elif options.objective == "most_adopted_tco2e":
        # Measures without outcome data (engineering estimates) count at even odds.
        adoption = np.nan_to_num(s.adoption[rows], nan=0.5)
        order = np.argsort(-(tco2e * adoption), kind="stable")
    else:
        order = np.lexsort((abatement,))
    if options.capex_budget is None:
        picked = order[: options.top_k]
    else:
        picked_list: list[int] = []
        spent = 0.0
        for j in order:
            if len(picked_list) == options.top_k:
                break
            if spent + capex[j] > options.capex_budget:
                continue
            spent += float(capex[j])
            picked_list.append(int(j))
        picked = np.array(picked_list, dtype=np.intp)
    return Chosen(rows=rows[picked], abatement=abatement[picked], increases=increases, thin=thin)
