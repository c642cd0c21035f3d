"""Exact SHAP values of a LightGBM booster, the same numbers as ``predict(pred_contrib=True)``
in a fraction of the time.

Path-dependent TreeSHAP (Lundberg et al. 2020, "From local explanations to global understanding
with explainable AI for trees", Nature Machine Intelligence 2, Algorithm 2; LightGBM's
``Tree::TreeSHAP``) gives each leaf's value to the features on its path. For a leaf with value
``v`` whose path splits on the distinct features ``D`` (``d = |D|``), let ``z_k`` be the product
of the cover ratios (child count / parent count) of the path's splits on feature ``k`` and
``o_k`` 1 when a row goes the path's way at every one of them, else 0. The leaf adds to feature
``j`` of ``D``

    phi_j = v (o_j - z_j) sum_{S subset of D - {j}} |S|! (d - 1 - |S|)! / d!
            prod_{k in S} o_k prod_{k in D - {j} - S} z_k

and nothing to features off its path. ``o`` is a pattern of ``d`` bits, so every leaf's ``phi``
for each of its ``2**d`` patterns is computed once per booster (a table of ``2**d x d``
numbers; ``d`` is at most the tree depth, 5 in the bundle's configuration). Explaining a row
is then a walk that finds each leaf's pattern and adds its table entry: ``O(leaves x depth)``
per tree instead of the recursion's ``O(leaves x depth**2)`` with its path copies. This is the
idea of Yang (2021), "Fast TreeSHAP: accelerating SHAP value computation for trees"
(arXiv:2109.09847), algorithm v2, written here for LightGBM's trees.

Splits follow LightGBM 4's ``Tree::NumericalDecision`` and ``CategoricalDecision``: values
with ``|x| <= 1e-35`` read as 0, NaN as 0 unless the split's missing type is NaN, the
default direction for missing values, and categories as bitsets with NaN and negative
values going right. ``tests/models/test_treeshap.py`` holds every component model of a
trained bundle to LightGBM's own values within 1e-9.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import lightgbm as lgb
import numba
import numpy as np

#: LightGBM's kZeroThreshold (1e-35f as a double): smaller magnitudes are zero.
_ZERO = float(np.float32(1e-35))
_CATEGORICAL, _DEFAULT_LEFT = 1, 2
#: Largest trees explained here: node bits fit in an int64, and a leaf's table (2**d x d
#: numbers for d distinct features on its path) stays small. Deeper trees use LightGBM's own.
MAX_NODES, MAX_PATH_FEATURES = 63, 12
#: Rows explained together, tree by tree (one block per thread at a time).
_BLOCK = 32


@dataclass(frozen=True)
class _Trees:
    """A booster's trees as flat arrays (one entry per node, leaf, path feature or table cell)."""

    n_features: int
    bias: float
    node_start: np.ndarray  # (trees + 1,) first node of each tree
    feature: np.ndarray  # (nodes,) split feature
    threshold: np.ndarray  # (nodes,) threshold, or category bitset index
    decision: np.ndarray  # (nodes,) LightGBM decision_type bits
    cat_start: np.ndarray  # (nodes,) first bitset word of a categorical split (global)
    cat_words: np.ndarray  # (nodes,) bitset words of a categorical split
    cat_bits: np.ndarray  # (words,) uint32 bitsets of all categorical splits
    leaf_start: np.ndarray  # (trees + 1,) first leaf of each tree
    path_left: np.ndarray  # (leaves,) bit n: the leaf's path goes left at node n of its tree
    slot_start: np.ndarray  # (leaves + 1,) first distinct feature of each leaf
    slot_nodes: np.ndarray  # (slots,) bit n: the path splits on this feature at node n
    slot_feature: np.ndarray  # (slots,) the distinct features of each leaf's path
    table_start: np.ndarray  # (leaves + 1,) first table cell of each leaf
    table: np.ndarray  # (cells,) phi per leaf, pattern and distinct feature


def _sections(text: str) -> list[dict[str, str]]:
    """The ``Tree=`` sections of a LightGBM model text, as key -> value strings."""
    trees: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in text.splitlines():
        if line.startswith("Tree="):
            current = {}
            trees.append(current)
        elif line.startswith("end of trees"):
            break
        elif current is not None and "=" in line:
            key, value = line.split("=", 1)
            current[key] = value
    return trees


def _numbers(section: dict[str, str], key: str, dtype: type) -> np.ndarray:
    value = section.get(key, "").strip()
    return np.array(value.split(), dtype=dtype) if value else np.zeros(0, dtype=dtype)


@numba.njit(cache=True)
def _leaf_table(value: float, zeros: np.ndarray) -> np.ndarray:
    """``phi`` of one leaf for every pattern of its ``d`` distinct features, (2**d, d)."""
    d = len(zeros)
    # Shapley weights |S|! (d - 1 - |S|)! / d! for |S| = 0 .. d - 1.
    weights = np.empty(d)
    for size in range(d):
        weights[size] = math.gamma(size + 1) * math.gamma(d - size) / math.gamma(d + 1)
    out = np.zeros((1 << d, d))
    coef = np.empty(d)
    for pattern in range(1 << d):
        for j in range(d):
            # Coefficients of prod_{k != j} (o_k y + z_k): coef[s] sums over |S| = s.
            coef[:] = 0.0
            coef[0] = 1.0
            size = 0
            for k in range(d):
                if k == j:
                    continue
                one = (pattern >> k) & 1
                for s in range(size + 1, 0, -1):
                    coef[s] = coef[s] * zeros[k] + coef[s - 1] * one
                coef[0] = coef[0] * zeros[k]
                size += 1
            total = 0.0
            for s in range(d):
                total += weights[s] * coef[s]
            out[pattern, j] = value * (((pattern >> j) & 1) - zeros[j]) * total
    return out


def _flatten(booster: lgb.Booster) -> _Trees:
    sections = _sections(booster.model_to_string())
    n_features = booster.num_feature()
    node_start, leaf_start, slot_start, table_start = [0], [0], [0], [0]
    feature: list[int] = []
    threshold: list[float] = []
    decision: list[int] = []
    cat_start: list[int] = []
    cat_words: list[int] = []
    cat_bits: list[int] = []
    path_left: list[int] = []
    slot_nodes: list[int] = []
    slot_feature: list[int] = []
    tables: list[np.ndarray] = []
    bias = 0.0
    for s in sections:
        leaves = int(s["num_leaves"])
        values = _numbers(s, "leaf_value", float)
        if leaves == 1:
            bias += float(values[0])
            node_start.append(node_start[-1])
            leaf_start.append(leaf_start[-1])
            continue
        split = _numbers(s, "split_feature", np.int64)
        if len(split) > MAX_NODES:
            raise ValueError(f"trees too large to explain here: {len(split)} splits > {MAX_NODES}")
        thresholds = _numbers(s, "threshold", float)
        types = _numbers(s, "decision_type", np.int64)
        left, right = _numbers(s, "left_child", np.int64), _numbers(s, "right_child", np.int64)
        leaf_count = _numbers(s, "leaf_count", float)
        internal_count = _numbers(s, "internal_count", float)
        bounds = _numbers(s, "cat_boundaries", np.int64)
        words = _numbers(s, "cat_threshold", np.uint64).astype(np.uint32)
        # Expected value as LightGBM's Tree::ExpectedValue: leaf values by their share of rows.
        bias += float(sum(leaf_count[i] / internal_count[0] * values[i] for i in range(leaves)))
        offset = len(cat_bits)
        cat_bits.extend(words.tolist())
        for n in range(len(split)):
            feature.append(int(split[n]))
            threshold.append(float(thresholds[n]))
            decision.append(int(types[n]))
            if types[n] & _CATEGORICAL:
                idx = int(thresholds[n])
                cat_start.append(offset + int(bounds[idx]))
                cat_words.append(int(bounds[idx + 1] - bounds[idx]))
            else:
                cat_start.append(0)
                cat_words.append(0)
        node_start.append(node_start[-1] + len(split))

        # Rows through each node: internal nodes, then leaves (a child c < 0 is leaf ~c).
        counts = np.concatenate([internal_count, leaf_count])
        split_count = len(internal_count)
        # Every leaf's path from the root: (node, goes left, cover ratio), depth first.
        paths: dict[int, list[tuple[int, bool, float]]] = {}
        stack: list[tuple[int, list[tuple[int, bool, float]]]] = [(0, [])]
        while stack:
            node, path = stack.pop()
            if node < 0:
                paths[~node] = path
                continue
            for child, goes_left in ((int(left[node]), True), (int(right[node]), False)):
                at = child if child >= 0 else split_count + ~child
                stack.append((child, [*path, (node, goes_left, counts[at] / counts[node])]))
        for leaf in range(leaves):
            path = paths[leaf]
            distinct = list(dict.fromkeys(int(split[n]) for n, _, _ in path))
            if len(distinct) > MAX_PATH_FEATURES:
                raise ValueError(
                    f"trees too large to explain here: {len(distinct)} features on a path > "
                    f"{MAX_PATH_FEATURES}"
                )
            zeros = np.ones(len(distinct))
            nodes, left_bits = [0] * len(distinct), 0
            for n, goes_left, ratio in path:
                slot = distinct.index(int(split[n]))
                zeros[slot] *= ratio
                nodes[slot] |= 1 << n
                left_bits |= int(goes_left) << n
            path_left.append(left_bits)
            slot_nodes.extend(nodes)
            slot_feature.extend(distinct)
            slot_start.append(len(slot_feature))
            table = _leaf_table(float(values[leaf]), zeros)
            tables.append(table.ravel())
            table_start.append(table_start[-1] + table.size)
        leaf_start.append(leaf_start[-1] + leaves)
    return _Trees(
        n_features=n_features,
        bias=bias,
        node_start=np.array(node_start, dtype=np.int64),
        feature=np.array(feature, dtype=np.int32),
        threshold=np.array(threshold, dtype=np.float64),
        decision=np.array(decision, dtype=np.int32),
        cat_start=np.array(cat_start, dtype=np.int32),
        cat_words=np.array(cat_words, dtype=np.int32),
        cat_bits=np.array(cat_bits, dtype=np.uint32),
        leaf_start=np.array(leaf_start, dtype=np.int64),
        path_left=np.array(path_left, dtype=np.int64),
        slot_start=np.array(slot_start, dtype=np.int64),
        slot_nodes=np.array(slot_nodes, dtype=np.int64),
        slot_feature=np.array(slot_feature, dtype=np.int32),
        table_start=np.array(table_start, dtype=np.int64),
        table=np.concatenate(tables) if tables else np.zeros(0),
    )


@numba.njit(cache=True, nogil=True)
def _goes_left(  # noqa: PLR0913, PLR0917  (numba kernel: plain values in)
    x: float, threshold: float, decision: int, start: int, words: int, bits: np.ndarray
) -> bool:
    if decision & 1:  # categorical
        if math.isnan(x):
            return False
        category = int(x)
        if category < 0:
            return False
        word = category // 32
        if word >= words:
            return False
        return bool((bits[start + word] >> np.uint32(category % 32)) & np.uint32(1))
    missing = (decision >> 2) & 3  # 0 none, 1 zero, 2 NaN
    if math.isnan(x) and missing != 2:
        x = 0.0
    if (missing == 1 and -_ZERO <= x <= _ZERO) or (missing == 2 and math.isnan(x)):
        return bool(decision & 2)
    return x <= threshold


@numba.njit(cache=True, nogil=True)
def _explain_block(lo: int, hi: int, X: np.ndarray, trees: tuple, out: np.ndarray) -> None:  # type: ignore[type-arg]
    """SHAP values of rows ``lo:hi``, tree by tree, so one tree's arrays stay in cache while
    every row of the block passes through it (``trees``: ``TreeExplainer._arrays``)."""
    (
        bias,
        node_start,
        feature,
        threshold,
        decision,
        cat_start,
        cat_words,
        cat_bits,
        leaf_start,
        path_left,
        slot_start,
        slot_nodes,
        slot_feature,
        table_start,
        table,
    ) = trees
    n_features = out.shape[1] - 1
    for t in range(len(node_start) - 1):
        first = node_start[t]
        for r in range(lo, hi):
            # Bit n: the row goes left at node n of this tree.
            goes = np.int64(0)
            for n in range(first, node_start[t + 1]):
                x = X[r, feature[n]]
                if -_ZERO <= x <= _ZERO:  # LightGBM drops near-zero inputs to 0
                    x = 0.0
                if _goes_left(x, threshold[n], decision[n], cat_start[n], cat_words[n], cat_bits):
                    goes |= np.int64(1) << (n - first)
            for leaf in range(leaf_start[t], leaf_start[t + 1]):
                # Path nodes where the row goes the other way than the path.
                other = goes ^ path_left[leaf]
                first_slot = slot_start[leaf]
                d = slot_start[leaf + 1] - first_slot
                pattern = 0
                for j in range(d):
                    if other & slot_nodes[first_slot + j] == 0:
                        pattern |= 1 << j
                cell = table_start[leaf] + pattern * d
                for j in range(d):
                    out[r, slot_feature[first_slot + j]] += table[cell + j]
    for r in range(lo, hi):
        out[r, n_features] = bias


@numba.njit(parallel=True, cache=True, nogil=True)
def _explain_parallel(X: np.ndarray, trees: tuple, out: np.ndarray) -> None:  # type: ignore[type-arg]
    """Blocks of rows on every core."""
    n_rows = X.shape[0]
    for b in numba.prange((n_rows + _BLOCK - 1) // _BLOCK):
        _explain_block(b * _BLOCK, min(n_rows, (b + 1) * _BLOCK), X, trees, out)


@numba.njit(cache=True, nogil=True)
def _explain_serial(X: np.ndarray, trees: tuple, out: np.ndarray) -> None:  # type: ignore[type-arg]
    """Blocks of rows on one core: few rows are faster without waking a thread pool (whose
    threads would spin beside the other libraries' pools). The kernels run without the GIL,
    so another request's Python goes on meanwhile."""
    n_rows = X.shape[0]
    for lo in range(0, n_rows, _BLOCK):
        _explain_block(lo, min(n_rows, lo + _BLOCK), X, trees, out)


def supported(booster: lgb.Booster) -> bool:
    """Whether :class:`TreeExplainer` can explain ``booster`` (its trees' size)."""
    dump = booster.dump_model()["tree_info"]

    def depth(node: dict[str, object]) -> int:
        if "split_index" not in node:
            return 0
        left, right = node["left_child"], node["right_child"]
        assert isinstance(left, dict)
        assert isinstance(right, dict)
        return 1 + max(depth(left), depth(right))

    return all(
        t["num_leaves"] - 1 <= MAX_NODES and depth(t["tree_structure"]) <= MAX_PATH_FEATURES
        for t in dump
    )


#: Rows from which the kernel runs on every core (a single factory's 5 rows run on one).
PARALLEL_ROWS = 64


class TreeExplainer:
    """Exact SHAP values of one booster (``explain(X)`` equals
    ``booster.predict(X, pred_contrib=True)``)."""

    def __init__(self, booster: lgb.Booster) -> None:
        self._trees = t = _flatten(booster)
        self._arrays = (
            t.bias,
            t.node_start,
            t.feature,
            t.threshold,
            t.decision,
            t.cat_start,
            t.cat_words,
            t.cat_bits,
            t.leaf_start,
            t.path_left,
            t.slot_start,
            t.slot_nodes,
            t.slot_feature,
            t.table_start,
            t.table,
        )

    def explain(self, X: np.ndarray) -> np.ndarray:
        """(rows, features + 1): each feature's contribution, then the base value."""
        t = self._trees
        rows = np.ascontiguousarray(X, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[1] != t.n_features:
            raise ValueError(f"X must have shape (rows, {t.n_features}), got {rows.shape}")
        out = np.zeros((len(rows), t.n_features + 1))
        kernel = _explain_parallel if len(rows) >= PARALLEL_ROWS else _explain_serial
        kernel(rows, self._arrays, out)
        return out
