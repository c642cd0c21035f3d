"""A design matrix too large to hold at once, read by LightGBM a block of rows at a time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import lightgbm as lgb
import numpy as np


@dataclass(frozen=True)
class RowBlocks:
    """A design matrix too large to hold at once, as consecutive blocks of rows: block ``i``
    has ``lengths[i]`` rows of ``width`` columns and is built on demand by ``build(i)``
    (float32). Training reads one block at a time; the whole matrix never exists."""

    lengths: tuple[int, ...]
    width: int
    build: Callable[[int], np.ndarray]

    def __len__(self) -> int:
        return sum(self.lengths)


class _BlockSequence(lgb.Sequence):
    """One block of a :class:`RowBlocks` as LightGBM's out-of-core input: LightGBM reads a
    sample of rows in increasing order (to find the bins), then every row in batches, so the
    block is built at most twice and dropped when the reading moves on."""

    def __init__(self, blocks: RowBlocks, index: int, cache: dict[int, np.ndarray]) -> None:
        self.blocks = blocks
        self.index = index
        self.cache = cache  # shared by the blocks of one matrix: at most one entry
        self.batch_size = max(1, blocks.lengths[index])

    def _rows(self) -> np.ndarray:
        if self.index not in self.cache:
            self.cache.clear()
            rows = self.blocks.build(self.index)
            if rows.shape != (self.blocks.lengths[self.index], self.blocks.width):
                raise ValueError(
                    f"block {self.index} has shape {rows.shape}, expected "
                    f"({self.blocks.lengths[self.index]}, {self.blocks.width})"
                )
            self.cache[self.index] = rows
        return self.cache[self.index]

    def __getitem__(self, idx: int | slice | list[int]) -> np.ndarray:
        rows = self._rows()
        if isinstance(idx, slice) and idx.stop is not None and idx.stop >= len(self):
            self.cache.clear()  # the last batch of this block: not needed again
        if isinstance(idx, int | np.integer):  # a sampled row (bins): LightGBM wants float64
            row: np.ndarray = rows[idx].astype(np.float64)
            return row
        part: np.ndarray = rows[idx]
        return part

    def __len__(self) -> int:
        return self.blocks.lengths[self.index]
