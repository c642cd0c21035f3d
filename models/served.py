"""What the service shows beside the learned numbers: the low end of each tCO2e interval as a
plant will see it (realisation of audit estimates, selection of the pairs auditors pick), the
realisation learned from metered outcomes, and the caveats that say what the training data and
the interval are (docs/evaluation.md, "What the served interval is of")."""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtri

from features.messages import Message

#: Realisation of audit estimates (metered / estimated savings): median 0.675 and log sd 0.28.
#: From ../shared/data/savings-realisation-evidence (realisation.md): a central 0.6-0.75 (the
#: median is its midpoint) and a range of 0.4-1.0, read as a 90% range in logs:
#: (ln 1.0 - ln 0.4) / (2 x 1.645) = 0.28. Sources there: Fowlie, Greenstone & Wolfram (NBER
#: w21331, 2015), Burlig et al. (2020), the EPIC summary of nine evaluations; none measures
#: IAC-type industrial measures, so the reading is an ASSUMPTION until metered outcomes exist.
REALISATION_PRIOR = (0.675, 0.28)
#: Outcomes whose savings were metered: those reported to the service's outcomes store.
METERED_PROVENANCE = "outcomes"
#: Metered outcomes a measure family needs before its realisation is learned, not assumed.
MIN_METERED_PER_FAMILY = 30
#: Picking probabilities are kept inside [floor, 1 - floor] for the selection margin.
SELECTION_P_FLOOR = 1e-3

#: Per measure family: (median metered / predicted, log sd, metered outcomes).
Learned = dict[str, tuple[float, float, int]]


def _robust_sd(r: np.ndarray) -> float:
    """1.4826 x the median absolute deviation: the sd of a normal sample, robust to outliers."""
    return float(1.4826 * np.median(np.abs(r - np.median(r))))


def learn_realisation(
    residual: np.ndarray,
    families: np.ndarray,
    estimate_residual: np.ndarray | None = None,
    estimate_families: np.ndarray | None = None,
) -> Learned:
    """Per family with at least MIN_METERED_PER_FAMILY metered outcomes: the realisation the
    savings model leaves (``residual`` = log metered - log predicted, for plants the model did
    not see), as the median ratio, a log sd and the count.

    The log sd is the robust spread (1.4826 x the median absolute deviation) of the metered
    residuals beyond that of the estimates' residuals of the same family
    (``estimate_residual``, also out of fold), subtracted in variance: the served interval
    already carries the model's own error, and the realisation adds only what metering adds
    to it. Without estimates of the family, the whole spread."""
    out: Learned = {}
    for family in sorted(set(families.tolist())):
        r = residual[families == family]
        if len(r) >= MIN_METERED_PER_FAMILY:
            spread = _robust_sd(r)
            if estimate_residual is not None and estimate_families is not None:
                e = estimate_residual[estimate_families == family]
                if len(e) >= MIN_METERED_PER_FAMILY:
                    spread = math.sqrt(max(spread**2 - _robust_sd(e) ** 2, 0.0))
            out[family] = (math.exp(float(np.median(r))), spread, len(r))
    return out


def realisation_rows(learned: Learned, families: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(median, log sd) of metered / estimated savings per row: learned for the row's family
    where metered outcomes taught it, else REALISATION_PRIOR."""
    median = np.full(len(families), REALISATION_PRIOR[0])
    sd = np.full(len(families), REALISATION_PRIOR[1])
    for family, (m, s, _) in learned.items():
        rows = families == family
        median[rows], sd[rows] = m, s
    return median, sd


def served_low(
    low: np.ndarray,
    mid: np.ndarray,
    alpha: float,
    picked: np.ndarray | None,
    realisation: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """The low end (log fraction) of the interval served: of the savings the plant will see,
    where the calibrated ``low`` (of a 1 - ``alpha`` interval) is of what an auditor would
    estimate. Two margins:

    - realisation: metered savings are a share R of estimates (log-normal: ``realisation`` per
      row, else REALISATION_PRIOR); the low end is the interval quantile of (estimate x R), the
      estimate's spread ``s`` read off the calibrated interval (``s = (mid - low) / z``);
    - selection: the savings model learned from pairs an auditor picked; a pair picked with
      probability ``picked`` (the applicability model) is, if the auditor picks on value, lower
      by ``s x lambda(p)`` on average, lambda the inverse Mills ratio ``phi(Phi^-1(p)) / p``
      (Heckman 1979; correlation 1 between picking and savings is the ASSUMPTION). Rare picks
      get a low end far below the median; pairs auditors nearly always pick, almost none.
    """
    z = float(ndtri(1 - alpha / 2))
    spread = np.maximum(mid - low, 0.0) / z
    median_r, sd_r = realisation if realisation is not None else REALISATION_PRIOR
    realised = mid + np.log(median_r) - z * np.sqrt(spread**2 + np.square(sd_r))
    out: np.ndarray = np.minimum(low, realised)
    if picked is not None:
        p = np.clip(np.asarray(picked, dtype=float), SELECTION_P_FLOOR, 1 - SELECTION_P_FLOOR)
        q = ndtri(p)
        mills = np.exp(-0.5 * q**2) / math.sqrt(2 * math.pi) / p
        out = out - spread * mills
    return out


def served_interval_warning(learned: Learned) -> Message:
    """What the served interval is of, with the realisation it allows for."""
    median, sd = REALISATION_PRIOR
    z = float(ndtri(0.95))
    low, high = f"{median * math.exp(-z * sd):.2f}", f"{median * math.exp(z * sd):.2f}"
    if not learned:
        return Message("served_interval", median=f"{median:.2f}", low=low, high=high)
    count = sum(n for _, _, n in learned.values())
    families = Message.joined(
        (
            Message("family_realisation", family=f, median=f"{m:.2f}")
            for f, (m, _, _) in sorted(learned.items())
        ),
        (" and ", "和"),
    )
    return Message(
        "served_interval_learned",
        outcomes=f"{count:,}",
        families=families,
        median=f"{median:.2f}",
        low=low,
        high=high,
    )


def audits_warning(parts: list[dict[str, object]], money_base_year: int | None) -> Message:
    """The caveat of a model trained on real audits blended with calibrated generated data:
    what each part taught, with its counts and years, and how that carries to a plant."""
    by_source = {str(p["source"]): p for p in parts}
    real, generated = by_source.get("iac", {}), by_source.get("synthetic", {})

    def count(part: dict[str, object], name: str) -> str:
        value = part.get(name, 0)
        return f"{int(value):,}" if isinstance(value, int | float) else str(value)

    return Message(
        "audits_data",
        real_outcomes=count(real, "outcomes"),
        real_factories=count(real, "factories"),
        real_years=real.get("years") or Message("unknown_years"),
        generated_outcomes=count(generated, "outcomes"),
        generated_factories=count(generated, "factories"),
        generated_years=generated.get("years") or Message("unknown_years"),
        base_year=money_base_year or Message("unrecorded"),
    )
