"""(Factory, measure) pairs and the energy each measure acts on, computed in one place for
training targets, scoring, evaluation and the benchmarks. Which pairs are candidates is decided
by :func:`features.applicability.candidate_pairs`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.catalogue.measures import Catalogue
from features.enduses.physics import fraction_caps
from features.enduses.shares import energy_gj_matrix, share_tensor
from features.table import Table, take_rows

#: Rows per block when expanding (rows, carriers, end uses): bounds the temporary memory.
_BLOCK = 50_000


@dataclass(frozen=True)
class Pairs:
    """(factory, measure) rows and the energy each row's measure acts on.

    ``targeted_gj`` (rows, carriers): energy of the measure's end uses on the carriers it
    reduces; ``by_use_gj`` (rows, end uses): the same energy per end use; ``cap`` (rows,): the
    largest fraction of it the measure can displace (catalogue maximum and site physics).
    """

    factory_index: np.ndarray
    keys: np.ndarray
    targeted_gj: np.ndarray
    by_use_gj: np.ndarray
    cap: np.ndarray
    conversions: list[str | None]

    def __len__(self) -> int:
        return len(self.keys)

    def subset(self, rows: slice | np.ndarray) -> Pairs:
        """The pairs of ``rows``: a slice (views, no copies of the arrays) or row indices."""
        conversions = (
            self.conversions[rows]
            if isinstance(rows, slice)
            else [self.conversions[i] for i in rows.tolist()]
        )
        return Pairs(
            factory_index=self.factory_index[rows],
            keys=self.keys[rows],
            targeted_gj=self.targeted_gj[rows],
            by_use_gj=self.by_use_gj[rows],
            cap=self.cap[rows],
            conversions=conversions,
        )


@dataclass(frozen=True)
class FactoryEnergy:
    """A factories table with its energy per carrier and per (carrier, end use), computed once."""

    factories: Table
    energy_gj: np.ndarray  # (factories, carriers)
    shares: np.ndarray  # (factories, carriers, end uses)

    @classmethod
    def of(cls, factories: Table) -> FactoryEnergy:
        shares = share_tensor(factories)
        return cls(factories=factories, energy_gj=energy_gj_matrix(factories), shares=shares)

    def subset(self, rows: slice) -> FactoryEnergy:
        """The factories of ``rows`` (a block of a batch, renumbered from 0)."""
        return FactoryEnergy(
            factories=take_rows(self.factories, rows),
            energy_gj=self.energy_gj[rows],
            shares=self.shares[rows],
        )

    def cells_gj(self, i: int) -> np.ndarray:
        """(carriers, end uses) energy of factory ``i`` in GJ."""
        result: np.ndarray = self.energy_gj[i][:, None] * self.shares[i]
        return result


def pairs(
    energy: FactoryEnergy, factory_index: np.ndarray, keys: np.ndarray, catalogue: Catalogue
) -> Pairs:
    """The energy each (factory, measure key) row acts on. Keys that are not catalogue measures
    (coarse groups) act on all the factory's energy."""
    factory_index = np.asarray(factory_index, dtype=np.intp)
    keys = np.asarray(keys)
    arrays = catalogue.arrays
    m_rows = arrays.rows(keys)
    n = len(keys)
    targeted = np.zeros((n, energy.energy_gj.shape[1]))
    by_use = np.zeros((n, energy.shares.shape[2]))
    for start in range(0, n, _BLOCK):
        sl = slice(start, start + _BLOCK)
        f = factory_index[sl]
        cells = energy.energy_gj[f][:, :, None] * energy.shares[f]  # (block, carriers, uses)
        cells *= arrays.reduced[m_rows[sl]][:, :, None]
        cells *= arrays.end_uses[m_rows[sl]][:, None, :]
        targeted[sl] = cells.sum(axis=2)
        by_use[sl] = cells.sum(axis=1)
    conversions = [arrays.conversion[r] for r in m_rows]
    cap = np.minimum(
        arrays.max_fraction[m_rows],
        fraction_caps(conversions, targeted, by_use, energy.factories, factory_index),
    )
    return Pairs(factory_index, keys, targeted, by_use, cap, conversions)
