"""Measures applied one after another (the portfolio and the pathway): each acts on what the
ones before it left of its end uses. The recurrence runs compiled (:func:`_stack_kernel`,
numba); tests/models/test_stacking.py holds it to its plain-Python run on the same inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numba
import numpy as np

from features.carriers import CARRIERS
from features.catalogue.measures import Catalogue, MeasureArrays
from features.enduses.taxonomy import EndUse
from features.profile import FactoryProfile
from features.units import Carrier
from models.scores import Batch

#: Carriers whose emissions are direct (scope 1): not electricity nor purchased heat.
SCOPE1 = np.array([c not in (Carrier.ELECTRICITY, Carrier.PURCHASED_HEAT) for c in CARRIERS])


@dataclass(frozen=True)
class Stack:
    """Measures applied one after another: each one's energy saved per carrier and tCO2e (on
    the location basis) given the ones before it, and what is left of each carrier."""

    saved: np.ndarray  # (rows, carriers) canonical units
    tco2e: np.ndarray  # (rows,)
    process: np.ndarray  # (rows,) process emissions removed or CO2 captured
    remaining: np.ndarray  # (carriers,) energy left after all rows


@dataclass(frozen=True)
class StackFactories:
    """Per factory (``f``) what the stacking acts on: ``cells_gj`` (f, carriers, end uses)
    energy in GJ, ``base`` (f, carriers) energy in canonical units, ``kg`` (f, carriers) kg
    CO2e per canonical unit, ``scope1_tco2e`` (f,) direct emissions that process-side effects
    (route changes, capture) may remove."""

    cells_gj: np.ndarray
    base: np.ndarray
    kg: np.ndarray
    scope1_tco2e: np.ndarray

    @classmethod
    def of(
        cls,
        profiles: list[FactoryProfile],
        cells_gj: np.ndarray,
        kg: np.ndarray,
        scope1_tco2e: np.ndarray,
    ) -> StackFactories:
        base = np.array([[p.energy(c) for c in CARRIERS] for p in profiles], dtype=float)
        return cls(cells_gj, base.reshape(len(profiles), len(CARRIERS)), kg, scope1_tco2e)

    @classmethod
    def empty(cls) -> StackFactories:
        c, e = len(CARRIERS), len(EndUse)
        return cls(np.zeros((0, c, e)), np.zeros((0, c)), np.zeros((0, c)), np.zeros(0))


@dataclass(frozen=True)
class StackRows:
    """The candidate rows a sequence may take (``n``): ``keys`` (n,) measure ids, ``saved``
    (n, carriers) standalone saving in canonical units, ``fraction`` (n,) share of its cells
    it displaces, ``process`` (n,) process-side tCO2e."""

    keys: np.ndarray
    saved: np.ndarray
    fraction: np.ndarray
    process: np.ndarray

    @classmethod
    def empty(cls) -> StackRows:
        return cls(
            np.zeros(0, dtype=object), np.zeros((0, len(CARRIERS))), np.zeros(0), np.zeros(0)
        )


def stack_batch(batch: Batch, sequences: list[np.ndarray], scope1_tco2e: np.ndarray) -> list[Stack]:
    """Each factory's rows of ``batch`` (``sequences[i]``, in order) stacked
    (:func:`stack_sequences`)."""
    s = batch.scores
    factories = StackFactories.of(batch.profiles, batch.cells_gj, batch.kg, scope1_tco2e)
    rows = StackRows(batch.found.keys, s.saved, s.fraction, s.process_tco2e)
    return stack_sequences(sequences, rows, factories, batch.catalogue.arrays)


def stack_sequences(
    sequences: list[np.ndarray], rows: StackRows, factories: StackFactories, arrays: MeasureArrays
) -> list[Stack]:
    """Each factory's rows (``sequences[i]``, in order) applied one after another: each row
    acts on what the rows before it left of its end uses: its net effect shrinks in proportion
    and the cells it acts on shrink by the share it displaces; no carrier saves more than is
    left of it, and process-side effects (route changes, capture) no more than the direct
    emissions left (``factories.scope1_tco2e``).

    The recurrence runs compiled (:func:`_stack_kernel`); each factory's numbers are its own."""
    saved, tco2e, process, left = _stack_kernel(
        *_kernel_arguments(sequences, rows, factories, arrays)
    )
    return [
        Stack(saved[i, : len(q)], tco2e[i, : len(q)], process[i, : len(q)], left[i])
        for i, q in enumerate(sequences)
    ]


def _kernel_arguments(
    sequences: list[np.ndarray], rows: StackRows, factories: StackFactories, arrays: MeasureArrays
) -> tuple[Any, ...]:  # Any: the kernel's 15 arrays and a float, typed by numba
    """The arguments of :func:`_stack_kernel`, padded to the longest sequence, contiguous and
    of the types it is compiled for (the one place that says them: warm-up included)."""
    n, longest = len(sequences), max((len(q) for q in sequences), default=0)
    padded = np.zeros((n, longest), dtype=np.intp)
    lengths = np.array([len(q) for q in sequences], dtype=np.int64)
    for i, q in enumerate(sequences):
        padded[i, : len(q)] = q
    measure = arrays.rows(rows.keys[padded.ravel()]).reshape(n, longest)
    return (
        lengths,
        np.ascontiguousarray(arrays.reduced[measure]),
        np.ascontiguousarray(arrays.end_uses[measure]),
        np.ascontiguousarray(factories.cells_gj, dtype=float),
        np.ascontiguousarray(factories.base, dtype=float),
        np.ascontiguousarray(rows.saved[padded], dtype=float),
        np.ascontiguousarray(rows.fraction[padded], dtype=float),
        np.ascontiguousarray(rows.process[padded], dtype=float),
        np.ascontiguousarray(factories.kg, dtype=float),
        SCOPE1,
        np.array(factories.scope1_tco2e, dtype=float),
        np.ascontiguousarray(arrays.pool[measure]),
        arrays.pool_end_uses,
        arrays.pool_ceiling,
        np.ascontiguousarray(arrays.plant_wide[measure]),
        arrays.plant_ceiling,
    )


def compile_kernels() -> None:
    """Compile :func:`_stack_kernel` for the types :func:`stack_sequences` passes, through the
    same argument builder on an empty batch (numba keeps it on disk after the first time), so
    no request waits for it."""
    stack_sequences([], StackRows.empty(), StackFactories.empty(), Catalogue.default().arrays)


@numba.njit(cache=True)
def _stack_kernel(  # noqa: PLR0913, PLR0917  (numba kernel: plain arrays in)
    lengths: np.ndarray,
    reduced: np.ndarray,
    end_uses: np.ndarray,
    cells: np.ndarray,
    base: np.ndarray,
    row_saved: np.ndarray,
    row_fraction: np.ndarray,
    row_process: np.ndarray,
    kg: np.ndarray,
    scope1: np.ndarray,
    direct: np.ndarray,
    pool: np.ndarray,
    pool_end_uses: np.ndarray,
    pool_ceiling: np.ndarray,
    plant_wide: np.ndarray,
    plant_ceiling: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`stack_sequences`' arithmetic, factory by factory and row by row (a sequential
    recurrence: each row acts on what the rows before it left). Per factory ``f`` and step
    ``k``: ``reduced[f, k]`` (carriers) and ``end_uses[f, k]`` (end uses) say which cells the
    row acts on, ``row_saved`` its standalone saving per carrier, ``row_fraction`` the share of
    those cells it displaces, ``row_process`` its process-side tCO2e, ``pool[f, k]`` the pool
    it shares savings in (-1 none). A pool saves at most ``pool_ceiling`` of the energy of its
    end uses (``pool_end_uses``) per carrier, with diminishing returns: a member whose saving
    would be ``s`` adds ``h (1 - exp(-s / h))`` where ``h`` is what the pool has left. Rows with
    ``plant_wide[f, k]`` (efficiency measures) then share the plant's ceiling the same way:
    ``plant_ceiling`` of each carrier."""
    n, longest, n_c = row_saved.shape
    n_e = cells.shape[2]
    saved = np.zeros((n, longest, n_c))
    tco2e = np.zeros((n, longest))
    process = np.zeros((n, longest))
    left = np.zeros((n, n_c))
    original_c = np.empty(n_c)
    left_c = np.empty(n_c)
    n_p = pool_ceiling.shape[0]
    for f in range(n):
        remaining = cells[f].copy()
        total = np.zeros(n_c)
        direct_left = direct[f]
        # What each pool may still save, per carrier, in the carrier's canonical unit (cells
        # are GJ; base is canonical).
        head = np.zeros((n_p, n_c))
        for c in range(n_c):
            gj = 0.0
            for e in range(n_e):
                gj += cells[f, c, e]
            unit = base[f, c] / gj if gj > 0 else 0.0
            for q in range(n_p):
                for e in range(n_e):
                    if pool_end_uses[q, e]:
                        head[q, c] += cells[f, c, e]
                head[q, c] *= pool_ceiling[q] * unit
        plant = base[f] * plant_ceiling  # what efficiency may still save, per carrier
        for k in range(lengths[f]):
            original, remains = 0.0, 0.0
            for c in range(n_c):
                o, r = 0.0, 0.0
                if reduced[f, k, c]:
                    for e in range(n_e):
                        if end_uses[f, k, e]:
                            o += cells[f, c, e]
                            r += remaining[c, e]
                original_c[c], left_c[c] = o, r
                original += o
                remains += r
            # Per carrier: what is left of the cells it acts on; added energy shrinks with the
            # total.
            overall = remains / original if original > 0 else 0.0
            t, scope1_t = 0.0, 0.0
            q = pool[f, k]
            asked, given = 0.0, 0.0
            for c in range(n_c):
                scale = left_c[c] / original_c[c] if original_c[c] > 0 else overall
                # On-site generation and efficiency together cannot save more of a carrier
                # than is left.
                step = min(row_saved[f, k, c] * scale, max(base[f, c] - total[c], 0.0))
                if step > 0 and (q >= 0 or plant_wide[f, k]):
                    asked += step
                    if q >= 0:
                        h = head[q, c]
                        step = h * (1.0 - np.exp(-step / h)) if h > 0 else 0.0
                        head[q, c] -= step
                    if plant_wide[f, k]:
                        h = plant[c]
                        step = h * (1.0 - np.exp(-step / h)) if h > 0 else 0.0
                        plant[c] -= step
                    given += step
                saved[f, k, c] = step
                total[c] += step
                t += step * kg[f, c]
                if scope1[c]:
                    scope1_t += step * kg[f, c]
            # A pooled row displaces less of its cells when its pools gave it less.
            shrink = 1 - row_fraction[f, k] * (given / asked if asked > 0 else 1.0)
            for c in range(n_c):
                if reduced[f, k, c]:
                    for e in range(n_e):
                        if end_uses[f, k, e]:
                            remaining[c, e] *= shrink
            direct_left -= scope1_t / 1000
            taken = min(row_process[f, k], max(direct_left, 0.0))
            direct_left -= taken
            process[f, k] = taken
            tco2e[f, k] = t / 1000 + taken
        for c in range(n_c):
            left[f, c] = max(base[f, c] - total[c], 0.0)
    return saved, tco2e, process, left
