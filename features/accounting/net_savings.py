"""From a predicted fraction of a measure's end-use energy to the net energy change per carrier
and its tCO2e, as served: the physical caps, conversions adding energy by physics
(:mod:`features.enduses.physics`), learned side effects, and the bounds of an interval's ends.
"""

from __future__ import annotations

import numpy as np

from features.carriers import ELECTRICITY, GJ_PER_CANONICAL
from features.catalogue.candidates import FactoryEnergy, Pairs
from features.catalogue.measures import Catalogue
from features.enduses.physics import conversion_added
from features.targets import MAX_FRACTION, carrier_masks


def interval_tco2e(
    physics: NetSavings,
    low: np.ndarray,
    high: np.ndarray,
    t_mid: np.ndarray,
    factors: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) tCO2e of the savings interval's ends, bracketing the median's; the high end
    bounded by physics with the plant's undeclared end-use split taken as unknown."""
    t_a = (physics.net_units(low)[0] * factors).sum(axis=1) / 1000
    t_b = (physics.net_units(high, wide=True)[0] * factors).sum(axis=1) / 1000
    return np.minimum.reduce([t_a, t_b, t_mid]), np.maximum.reduce([t_a, t_b, t_mid])


class NetSavings:
    """From a predicted log fraction to the net energy change per carrier, as served: the
    fraction capped by ``found.cap``, conversions adding energy by physics, other measures their
    learned side effect, and no carrier saving more than the measure's end uses hold on it."""

    def __init__(
        self,
        energy: FactoryEnergy,
        found: Pairs,
        catalogue: Catalogue,
        side: np.ndarray,
        undeclared: np.ndarray | None = None,
    ) -> None:
        self.energy, self.found = energy, found
        reduced, increased = carrier_masks(found.keys, catalogue)
        targeted = found.targeted_gj
        total = targeted.sum(axis=1)
        is_conversion = np.array([c is not None for c in found.conversions], dtype=bool)
        side = np.where(is_conversion, 0.0, side)
        # Side effects go to the carriers the catalogue says a measure adds, else to the
        # carriers it acts on (a rebound on the same carrier), in proportion to their use.
        n_inc = increased.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            spread = np.where(
                n_inc > 0,
                increased / np.maximum(n_inc, 1),
                np.where(total[:, None] > 0, targeted / total[:, None], 0.0),
            )
        self.side_gj = (side * total)[:, None] * spread
        chp_elec = np.zeros_like(reduced)
        chp_elec[:, ELECTRICITY] = [c == "chp" for c in found.conversions]
        self.ceiling = np.where(reduced, targeted, np.where(chp_elec, np.inf, 0.0))
        self._wide_args = (catalogue, reduced, total, undeclared)
        self._wide: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def _wide_bounds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(fraction cap, top, ceiling per carrier) of an interval's high end, or None when every
        row's split was declared. Where the plant did not declare its end-use split, the
        sector's average split is a prior: the end uses may hold up to the whole of the carriers
        the measure reduces. The high end is then bounded by that physical limit (the measure's
        largest fraction of its end uses, applied to at most the whole carrier), not by the
        average. Computed on first use (scoring without intervals never needs it)."""
        catalogue, reduced, total, undeclared = self._wide_args
        if undeclared is None or not np.any(undeclared):
            return None
        if self._wide is None:
            found = self.found
            carrier_gj = self.energy.energy_gj[found.factory_index] * reduced
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(total > 0, carrier_gj.sum(axis=1) / total, 1.0)
            ratio = np.where(np.asarray(undeclared, dtype=bool), np.maximum(ratio, 1.0), 1.0)
            largest = catalogue.arrays.max_fraction[catalogue.arrays.rows(found.keys)]
            by_physics = found.cap < largest - 1e-12  # a site limit (roof, hydrogen, ...) binds
            cap = np.where(by_physics, found.cap, largest * ratio)
            self._wide = (cap, ratio, np.where(reduced, carrier_gj, self.ceiling))
        return self._wide

    def net_units(
        self, log_fraction: np.ndarray, wide: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """(net saving per carrier in canonical units, fraction displaced); ``wide``: bounded
        as the high end of an interval is (see ``__init__``)."""
        found = self.found
        cap, ceiling = found.cap, self.ceiling
        top: float | np.ndarray = MAX_FRACTION
        bounds = self._wide_bounds() if wide else None
        if bounds is not None:
            cap, ratio, ceiling = bounds
            top = MAX_FRACTION * ratio
        fraction = np.minimum(np.exp(np.minimum(log_fraction, np.log(top))), cap)
        displaced = found.targeted_gj * fraction[:, None]
        by_use = found.by_use_gj * fraction[:, None]
        added = conversion_added(
            found.conversions, displaced, by_use, self.energy.factories, found.factory_index
        )
        # Physics bound: no carrier saves more than the measure's end uses hold on it, and
        # carriers it does not act on can only rise (CHP's generated electricity aside).
        net = np.minimum(displaced - added + self.side_gj, ceiling)
        canonical: np.ndarray = net / GJ_PER_CANONICAL
        return canonical, fraction
