"""Running past one process: a Dask client, and training boosters on a Dask cluster.

``DaskTrainer`` plugs into ``models.estimators.trained_with``: every component model of the
bundle then trains with ``lightgbm.dask`` (data-parallel trees, the rows split across the
workers) and comes back as a plain ``lgb.Booster``, so the bundle, its MLflow model and serving
are the same as after an in-process training. Dask is imported only when a cluster is used.
"""

from __future__ import annotations

import math
import resource
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import lightgbm as lgb
import numpy as np

from models.estimators import RowBlocks, train_in_process

#: Rows below which a booster is trained in this process even when a cluster is at hand: a
#: LightGBM network across workers costs ~0.3-1 s to set up per booster (measured on a local
#: cluster here), more than a small fit takes. ASSUMPTION: tuned on 2 cores, not a cluster.
MIN_DISTRIBUTED_ROWS = 20_000

#: LightGBM parameter -> the scikit-learn estimator argument lightgbm.dask takes it as.
_SKLEARN_NAMES = {
    "objective": "objective",
    "learning_rate": "learning_rate",
    "num_leaves": "num_leaves",
    "max_depth": "max_depth",
    "min_child_samples": "min_child_samples",
    "bagging_fraction": "subsample",
    "bagging_freq": "subsample_freq",
    "feature_fraction": "colsample_bytree",
    "seed": "random_state",
}
#: Set by lightgbm.dask itself from the cluster (threads per worker, machines).
_CLUSTER_SET = {"num_threads"}


@contextmanager
def dask_client(address: str) -> Iterator[Any]:
    """A Dask client: "local" starts a LocalCluster (2 worker processes, 1 thread each);
    anything else is a scheduler address (``tcp://host:8786``). ``Any``: distributed's
    Client, imported here so work without a cluster does not load Dask."""
    from distributed import Client, LocalCluster  # noqa: PLC0415

    if address == "local":
        # The dashboard on a free port: None means distributed's default 8787, and a second
        # cluster on the machine (another job, another test run) then fails to start.
        with (
            LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
    else:
        with Client(address) as client:
            yield client


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class DaskTrainer:
    """Trains each booster with ``lightgbm.dask`` on ``client``'s workers.

    The rows are split into one contiguous block per worker and scattered, so each worker holds
    its share only. Boosters of fewer than ``min_rows`` rows train in this process (see
    ``MIN_DISTRIBUTED_ROWS``); ``distributed`` and ``local`` count which way each went.
    """

    def __init__(self, client: Any, min_rows: int = MIN_DISTRIBUTED_ROWS) -> None:
        # Any: distributed.Client, untyped here so the module imports without Dask.
        self.client = client
        self.min_rows = min_rows
        self.distributed = 0
        self.local = 0

    def __call__(
        self,
        params: dict[str, Any],
        X: np.ndarray | RowBlocks,
        y: np.ndarray,
        categorical: list[int],
        rounds: int,
    ) -> lgb.Booster:
        if len(X) < self.min_rows:
            self.local += 1
            return train_in_process(params, X, y, categorical, rounds)
        self.distributed += 1
        return self._train(params, X, y, categorical, rounds)

    @staticmethod
    def _blocks(
        X: np.ndarray | RowBlocks, y: np.ndarray, n_workers: int
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(rows, labels) blocks to place on the workers: a matrix in one contiguous block per
        worker; row blocks as they are built, one at a time."""
        if isinstance(X, RowBlocks):
            offset = 0
            for i, n in enumerate(X.lengths):
                if n:
                    yield X.build(i), y[offset : offset + n]
                offset += n
            return
        size = math.ceil(len(X) / n_workers)
        for start in range(0, len(X), size):
            yield X[start : start + size], y[start : start + size]

    def _workers(self) -> list[str]:
        return sorted(self.client.scheduler_info()["workers"])

    def _train(
        self,
        params: dict[str, Any],
        X: np.ndarray | RowBlocks,
        y: np.ndarray,
        categorical: list[int],
        rounds: int,
    ) -> lgb.Booster:
        import dask.array as da  # noqa: PLC0415
        from lightgbm.dask import DaskLGBMClassifier, DaskLGBMRegressor  # noqa: PLC0415

        workers = self._workers()
        x_parts, y_parts = [], []
        scattered: list[Any] = []  # distributed futures
        for i, (rows, labels) in enumerate(self._blocks(X, y, len(workers))):
            worker = workers[i % len(workers)]  # round robin: each worker gets its share
            # hash=False: equal blocks of two boosters would otherwise share one key, and the
            # release of the first booster's copy could take the second's ("lost dependencies").
            xf = self.client.scatter(rows, workers=[worker], hash=False)
            yf = self.client.scatter(labels, workers=[worker], hash=False)
            scattered += [xf, yf]  # held until the booster is trained
            x_parts.append(da.from_delayed(xf, shape=rows.shape, dtype=rows.dtype))
            y_parts.append(da.from_delayed(yf, shape=labels.shape, dtype=labels.dtype))
        dX, dy = da.concatenate(x_parts), da.concatenate(y_parts)
        kwargs = {_SKLEARN_NAMES.get(k, k): v for k, v in params.items() if k not in _CLUSTER_SET}
        factory = DaskLGBMClassifier if params["objective"] == "binary" else DaskLGBMRegressor
        model = factory(client=self.client, n_estimators=rounds, **kwargs)
        with warnings.catch_warnings():
            # The scikit-learn wrapper always carries n_jobs; lightgbm.dask sets the threads
            # from each worker instead and says so.
            warnings.filterwarnings("ignore", "Parameter n_jobs will be ignored", UserWarning)
            model.fit(dX, dy, categorical_feature=categorical)
        booster: lgb.Booster = model.booster_
        return booster

    def worker_peak_rss_mb(self) -> dict[str, float]:
        """Each worker process's peak resident memory so far, in MB."""
        peaks: dict[str, float] = self.client.run(_peak_rss_mb)
        return peaks
