"""Compiled tree ensembles for predictions.

Each booster of a bundle is translated to C by tl2cgen and built into a shared library with the
system's C compiler, once per booster (the file name is a digest of the booster's text), and kept
in a cache folder: loading the same model again, in another worker or after a restart, finds the
libraries already built. Compilation happens when a model is loaded, never per request; until
it is done (or when it fails, or is turned off) the boosters predict with LightGBM itself.

The service never runs the compiler itself (:func:`compile_off_process`): it writes the model
text of each booster whose library is missing and starts a builder process
(``python -m models.compiled``) at the lowest CPU priority (nice 19, ``SCHED_IDLE``), one at a
time per serving process; builders take a host-wide lock in the cache folder, so however many
workers reload at once, one compiler runs on the host and the others find its libraries. Each
builder that runs the compiler appends a line to ``builds.log`` in the cache folder.

Chosen by measurement (docs/benchmarks.md; ../shared/STACK.md on this stack): tl2cgen gives the
same predictions as LightGBM (max difference 0.0 measured; the test allows 1e-9) 2-8x faster;
lleaves is faster still but needs an llvmlite older than the one shap's numba requires, and
onnxruntime predicts in float32 (differences up to 0.17). Exact SHAP (``pred_contrib``) stays
with LightGBM: the compiled libraries only predict.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import lightgbm as lgb
import numpy as np

from models.estimators import _GBMBase

if TYPE_CHECKING:
    from models.bundle import RecommendationBundle

logger = logging.getLogger("decarb.models")

#: The component models of a bundle that hold boosters (attribute names).
COMPONENTS = ("applicability_", "savings_", "side_", "cost_", "adoption_")


#: tl2cgen's generated code reads an input as missing when the low 32 bits of its float64 are
#: all ones (its ``union Entry`` overlays an int -1 on the double): values such as
#: 0.9999999999999999 (0x3FEFFFFFFFFFFFFF) would take the missing branch. Rows holding such a
#: value are predicted by LightGBM instead.
_LOW_WORD = np.uint64(0xFFFFFFFF)


#: Rows from which compiled predictions run on every core; a single factory's few dozen
#: candidates run on one, without waking a thread pool beside LightGBM's and the explainer's
#: (bench/speed.py: the single-factory floor was slower with every call on two threads).
PARALLEL_ROWS = 1_000


class CompiledPredictor:
    """Predictions of one compiled booster; the same numbers as ``booster.predict(X)``."""

    def __init__(self, libpath: Path, booster: lgb.Booster, nthread: int) -> None:
        import tl2cgen  # noqa: PLC0415  (loaded only when compiled trees are on)

        self._tl2cgen = tl2cgen
        self._serial = tl2cgen.Predictor(str(libpath), nthread=1)
        try:
            self._parallel = tl2cgen.Predictor(str(libpath), nthread=nthread)
        except tl2cgen.TL2cgenError:  # OpenMP allows fewer threads than asked (OMP_NUM_THREADS)
            self._parallel = self._serial
        self._booster = booster
        self.libpath = libpath

    def __call__(self, X: np.ndarray) -> np.ndarray:
        rows = np.ascontiguousarray(X, dtype=np.float64)
        predictor = self._parallel if len(rows) >= PARALLEL_ROWS else self._serial
        out: np.ndarray = predictor.predict(self._tl2cgen.DMatrix(rows)).reshape(len(rows))
        clash = ((rows.view(np.uint64) & _LOW_WORD) == _LOW_WORD).any(axis=1)
        if clash.any():
            out[clash] = self._booster.predict(rows[clash])
        return out


@dataclass(frozen=True)
class CompileReport:
    """What compiling a bundle did."""

    boosters: int
    built: int
    from_cache: int
    seconds: float
    cache_dir: str


def default_compiled_cache() -> Path:
    """Where compiled libraries are kept unless configured: the user's cache folder."""
    return Path.home() / ".cache" / "decarb-recommender" / "compiled-trees"


def booster_digest(booster: lgb.Booster) -> str:
    """A name for the booster's library: its model text and the compiler's version."""
    import tl2cgen  # noqa: PLC0415

    text = booster.model_to_string().encode()
    return hashlib.sha256(text + tl2cgen.__version__.encode()).hexdigest()[:32]


def compile_booster(booster: lgb.Booster, cache_dir: Path) -> tuple[Path, bool]:
    """The shared library of ``booster`` in ``cache_dir`` (built if missing): (path, built now).
    Built under a temporary name and renamed, so concurrent workers never load half a file, and
    under an exclusive lock on ``<digest>.lock`` in the cache folder, so two processes or
    threads (workers reloading the same version, a reload storm) never run the compiler for the
    same booster at once: the later ones wait, then find the library built."""
    import tl2cgen  # noqa: PLC0415
    import treelite  # noqa: PLC0415

    cache_dir.mkdir(parents=True, exist_ok=True)
    digest = booster_digest(booster)
    target = cache_dir / f"{digest}.so"
    if target.exists():
        return target, False
    with (cache_dir / f"{digest}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if target.exists():  # built by whoever held the lock before
                return target, False
            model = treelite.frontend.from_lightgbm(booster)
            with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
                partial = Path(tmp) / target.name
                tl2cgen.export_lib(
                    model,
                    toolchain="gcc",
                    libpath=str(partial),
                    params={"parallel_comp": os.cpu_count(), "quantize": 0},
                )
                shutil.move(partial, target)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return target, True


def component_boosters(bundle: RecommendationBundle) -> list[tuple[_GBMBase, str, lgb.Booster]]:
    """(estimator, attribute, booster) of every booster that predicts in the bundle."""
    out = []
    for name in COMPONENTS:
        estimator = getattr(bundle, name, None)
        if isinstance(estimator, _GBMBase):
            out += [(estimator, attr, b) for attr, b in estimator.boosters().items()]
    return out


def openmp_threads() -> int:
    """Threads for compiled predictions of many rows: every core, as LightGBM's own predictions
    use (measured on 2 cores, 8,000 rows: 37 ms on one thread, 21 ms on two), unless
    ``OMP_NUM_THREADS`` allows fewer (Dask's nanny sets it to 1 in processes that import it)."""
    value = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    return int(value) if value.isdigit() and int(value) > 0 else (os.cpu_count() or 1)


def compile_bundle(
    bundle: RecommendationBundle, cache_dir: Path, nthread: int | None = None
) -> CompileReport:
    """Build (or find) every booster's library and switch the bundle's predictions to them
    (``nthread``: threads for large inputs, default :func:`openmp_threads`)."""
    nthread = nthread or openmp_threads()
    started = time.perf_counter()
    built = 0
    found = component_boosters(bundle)
    predictors: dict[int, dict[str, CompiledPredictor]] = {}
    owners: dict[int, _GBMBase] = {}
    for estimator, attr, booster in found:
        path, new = compile_booster(booster, cache_dir)
        built += new
        predictors.setdefault(id(estimator), {})[attr] = CompiledPredictor(path, booster, nthread)
        owners[id(estimator)] = estimator
    # Switched only once all are built: a bundle never runs half compiled because of a failure.
    for key, estimator in owners.items():
        estimator.use_compiled(predictors[key])
    seconds = time.perf_counter() - started
    report = CompileReport(len(found), built, len(found) - built, round(seconds, 2), str(cache_dir))
    logger.info(
        "compiled trees ready",
        extra={"boosters": report.boosters, "built": built, "seconds": report.seconds},
    )
    return report


#: The cache folder's host-wide builder lock and the log of builds that ran the compiler.
HOST_LOCK = "builder.lock"
BUILD_LOG = "builds.log"
#: One builder process at a time per serving process (reloads queue behind it).
_ONE_BUILDER = threading.Lock()


class BuildError(RuntimeError):
    """The builder process failed; the message ends with what it wrote to stderr."""


def compile_off_process(
    bundle: RecommendationBundle, cache_dir: Path, nthread: int | None = None
) -> CompileReport:
    """:func:`compile_bundle`, with every missing library built by a builder process at the
    lowest priority instead of in this one (see the module docstring); blocks until they are
    built. ``built`` counts the libraries that were missing (built by this call's builder or by
    another worker's)."""
    started = time.perf_counter()
    cache_dir.mkdir(parents=True, exist_ok=True)
    found = component_boosters(bundle)
    missing: dict[str, lgb.Booster] = {}
    for _, _, booster in found:
        digest = booster_digest(booster)
        if not (cache_dir / f"{digest}.so").exists():
            missing[digest] = booster
    if missing:
        with _ONE_BUILDER:
            todo = [d for d in missing if not (cache_dir / f"{d}.so").exists()]
            for digest in todo:
                text = cache_dir / f"{digest}.txt"
                if not text.exists():  # written whole, then renamed: a builder never reads half
                    partial = cache_dir / f"{digest}.{os.getpid()}.{threading.get_ident()}.tmp"
                    missing[digest].save_model(str(partial))
                    partial.replace(text)
            if todo:
                _run_builder(cache_dir, todo)
        absent = [d for d in missing if not (cache_dir / f"{d}.so").exists()]
        if absent:
            raise BuildError(f"the builder left {len(absent)} libraries unbuilt")
    report = compile_bundle(bundle, cache_dir, nthread)  # every library is there: loads only
    seconds = round(time.perf_counter() - started, 2)
    return replace(
        report, built=len(missing), from_cache=len(found) - len(missing), seconds=seconds
    )


def _run_builder(cache_dir: Path, digests: list[str]) -> None:
    done = subprocess.run(
        # -P: the service's working folder (which may hold a "models" folder) is not searched
        [sys.executable, "-P", "-m", "models.compiled", str(cache_dir), *digests],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        check=False,
    )  # fmt: skip
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise BuildError(f"builder exited with {done.returncode}: {' / '.join(tail)}")


def build_libraries(cache_dir: Path, digests: list[str]) -> int:
    """The builder's work: under the host-wide lock, build each ``<digest>.so`` still missing
    from ``<digest>.txt`` (a LightGBM model file); the number built."""
    import tl2cgen  # noqa: PLC0415
    import treelite  # noqa: PLC0415

    with (cache_dir / HOST_LOCK).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker's builder may hold it: wait
        try:
            todo = [d for d in digests if not (cache_dir / f"{d}.so").exists()]
            if not todo:
                return 0
            with (cache_dir / BUILD_LOG).open("a") as log:
                log.write(
                    f"{time.time():.3f} pid={os.getpid()} nice={os.nice(0)} libraries={len(todo)}\n"
                )
            for digest in todo:
                model = treelite.frontend.load_lightgbm_model(cache_dir / f"{digest}.txt")
                target = cache_dir / f"{digest}.so"
                with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
                    partial = Path(tmp) / target.name
                    tl2cgen.export_lib(
                        model,
                        toolchain="gcc",
                        libpath=str(partial),
                        params={"parallel_comp": os.cpu_count(), "quantize": 0},
                    )
                    shutil.move(partial, target)
                (cache_dir / f"{digest}.txt").unlink(missing_ok=True)
            return len(todo)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def lowest_priority() -> None:
    """Give this process (and the compilers it starts) the CPU only when nothing else wants it:
    nice 19 and, on Linux, the idle scheduling class."""
    os.nice(19 - os.nice(0))
    idle = getattr(os, "SCHED_IDLE", None)
    if idle is not None:
        with contextlib.suppress(OSError):  # not allowed here: nice 19 still applies
            os.sched_setscheduler(0, idle, os.sched_param(0))


def main(argv: list[str] | None = None) -> None:
    """``python -m models.compiled CACHE_DIR DIGEST...``: the builder process."""
    cache, *digests = argv if argv is not None else sys.argv[1:]
    lowest_priority()
    build_libraries(Path(cache), digests)


def plain_predictions(bundle: RecommendationBundle) -> None:
    """Switch the bundle back to LightGBM's own predictions."""
    for estimator, _, _ in component_boosters(bundle):
        estimator.use_compiled({})


def largest_difference(
    bundle: RecommendationBundle, X: np.ndarray, adoption_X: np.ndarray
) -> dict[str, float]:
    """Per booster, the largest absolute difference between compiled and LightGBM predictions
    on ``X`` (design rows), the adoption model's on ``adoption_X`` (design rows with its cost,
    savings and payback columns, :meth:`RecommendationBundle.adoption_inputs`)."""
    out: dict[str, float] = {}
    for name in COMPONENTS:
        estimator = getattr(bundle, name, None)
        if not isinstance(estimator, _GBMBase):
            continue
        rows = adoption_X if name == "adoption_" else X
        compiled = getattr(estimator, "_compiled", {})
        for attr, booster in estimator.boosters().items():
            if attr not in compiled:
                raise ValueError(f"{name}{attr} is not compiled")
            plain = np.asarray(booster.predict(rows))
            out[f"{name}{attr}"] = float(np.max(np.abs(compiled[attr](rows) - plain)))
    return out


if __name__ == "__main__":
    main()
