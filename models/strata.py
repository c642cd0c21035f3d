"""Calibration strata of the savings interval: each row's measure family and whether the
end-use split its energy rests on was declared."""

from __future__ import annotations

import numpy as np

from features.catalogue.measures import Catalogue
from features.table import Table, texts

#: Stratum suffixes of rows whose factory declared its end-use split, or left the tool to use
#: the sector's average one (a prior: plants differ, so the interval must be wider).
DECLARED, DEFAULT_SHARES = "|shares declared", "|shares default"


def interval_strata(
    keys: np.ndarray, catalogue: Catalogue, declared: np.ndarray | None = None
) -> np.ndarray:
    """The calibration stratum of each row: its measure's family ("group" for coarse keys),
    and with ``declared`` (per row: the factory gave its end-use split) whether the split the
    measure's energy rests on was declared. A stratum with too few calibration rows falls back
    to its family's (``IntervalRegressor``)."""
    measures = catalogue.measures
    family = [measures[k].family.value if k in measures else "group" for k in keys.tolist()]
    if declared is None:
        return np.array(family, dtype=object)
    suffix = np.where(np.asarray(declared, dtype=bool), DECLARED, DEFAULT_SHARES)
    return np.array([f + s for f, s in zip(family, suffix.tolist(), strict=True)], dtype=object)


def families(keys: np.ndarray, catalogue: Catalogue) -> np.ndarray:
    """The family of each key's measure ("group" for coarse keys)."""
    measures = catalogue.measures
    return np.array(
        [measures[k].family.value if k in measures else "group" for k in np.asarray(keys).tolist()],
        dtype=object,
    )


def shares_declared(factories: Table) -> np.ndarray:
    """Per factory: whether the profile declares any end-use share."""
    if "end_use_shares" not in factories:
        return np.zeros(len(factories), dtype=bool)
    return np.array([bool(t) for t in texts(factories, "end_use_shares")], dtype=bool)
