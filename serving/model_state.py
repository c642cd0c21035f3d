"""The loaded model, swapped atomically on reload; a failed reload keeps the old model serving."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import mlflow

from models.collector import settle_after_load
from models.compiled import compile_off_process
from models.pyfunc import LoadedModel, load_bundle, parse_registry_uri
from models.redact import redact
from serving.errors import ModelNotLoadedError

logger = logging.getLogger("decarb.serving")


@dataclass(frozen=True)
class ReloadOutcome:
    """What a load or reload did."""

    ok: bool
    version: str | None
    message: str


class ModelHolder:
    """Holds the current model; readers take a reference, so a swap never affects a request in
    flight."""

    def __init__(
        self,
        uri: str,
        tracking_uri: str,
        compiled_cache: Path | None = None,
        signing_key: str | None = None,
    ) -> None:
        self.uri = uri
        self.tracking_uri = tracking_uri
        #: Key of the digest a model's bundle must match (models.trust); None: plain SHA-256.
        self.signing_key = signing_key
        #: Where compiled boosters are kept; None: predictions by LightGBM only.
        self.compiled_cache = compiled_cache
        self.compiled_trees = "off" if compiled_cache is None else "not loaded"
        self._current: LoadedModel | None = None
        self._lock = threading.Lock()
        self.last_error: str | None = None
        self.loaded_at: float | None = None
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None
        self._loading: threading.Thread | None = None

    def shown(self, text: object) -> str:
        """``text`` as it may be logged or returned: no store password in it."""
        return redact(text, self.tracking_uri, self.uri)

    @property
    def current(self) -> LoadedModel:
        model = self._current
        if model is None:
            # The reason stays in the log: store errors can carry paths and SQL.
            loading = self._loading is not None and self._loading.is_alive()
            raise ModelNotLoadedError(
                f"no model loaded from {self.shown(self.uri)}"
                + ("; still loading" if loading else "")
                + ("; the last load failed (see the service log)" if self.last_error else "")
            )
        return model

    @property
    def ready(self) -> bool:
        return self._current is not None

    def load_at_start(self, timeout: float) -> ReloadOutcome | None:
        """Load in a background thread and wait at most ``timeout`` seconds: a slow or
        unreachable store must not keep the port closed. Until the model is in, requests get
        503 ("still loading"); the load's outcome is logged when it ends."""
        done: list[ReloadOutcome] = []

        def run() -> None:
            done.append(self.load())

        self._loading = threading.Thread(target=run, name="model-load", daemon=True)
        self._loading.start()
        self._loading.join(timeout)
        if done:
            return done[0]
        logger.warning(
            "model still loading after the start-up timeout; serving 503 until it is in",
            extra={"model_uri": self.uri, "timeout_s": timeout},
        )
        return None

    def load(self) -> ReloadOutcome:
        """Load the model at ``uri``; on failure keep the current one and report why."""
        with self._lock:
            try:
                mlflow.set_tracking_uri(self.tracking_uri)
                model = load_bundle(self.uri, self.signing_key)
            except Exception as exc:  # any load failure keeps the old model
                self.last_error = self.shown(f"{type(exc).__name__}: {exc}")
                logger.error(
                    "model load failed",
                    extra={
                        "model_uri": self.shown(self.uri),
                        "tracking_uri": self.shown(self.tracking_uri),
                        "error_class": type(exc).__name__,
                        "error": self.last_error[:2000],
                    },
                )
                version = self._current.version if self._current else None
                return ReloadOutcome(
                    False,
                    version,
                    self.shown(
                        f"loading {self.uri} from {self.tracking_uri} failed, kept "
                        f"version {version}: {self.last_error}"
                    ),
                )
            previous = self._current.version if self._current else None
            self._current = model
            self.last_error = None
            self.loaded_at = time.time()
            self._prepare_in_background(model, self.compiled_cache)
            return ReloadOutcome(
                True, model.version, f"loaded version {model.version} (was {previous})"
            )

    def _prepare_in_background(self, model: LoadedModel, cache: Path | None) -> None:
        """In a thread: build the model's tree explainers, then compile its boosters (when
        ``cache`` is set); the model serves meanwhile, explaining and predicting with LightGBM
        (the same numbers), then switches. A failure (no C compiler, say) leaves LightGBM
        predicting and says why in ``compiled_trees``."""

        def run() -> None:
            try:
                model.bundle.prepare()
            except Exception as exc:  # explanations then come from LightGBM's own
                logger.warning(
                    "building tree explainers failed",
                    extra={"model_version": model.version, "error": self.shown(exc)[:2000]},
                )
            if cache is None:
                return
            self.compiled_trees = f"compiling version {model.version}"
            try:
                if self._current is not model:  # superseded before its turn
                    return
                report = compile_off_process(model.bundle, cache)  # a builder process
            except Exception as exc:  # any build failure: LightGBM keeps predicting
                if self._current is model:
                    self.compiled_trees = self.shown(
                        f"failed, LightGBM predicts: {type(exc).__name__}: {exc}"
                    )
                logger.warning(
                    "compiling trees failed",
                    extra={"model_version": model.version, "error": self.shown(exc)[:2000]},
                )
                return
            if self._current is model:
                self.compiled_trees = (
                    f"ready: version {model.version}, {report.boosters} boosters "
                    f"({report.built} built, {report.from_cache} from the cache) in "
                    f"{report.seconds} s"
                )

        def run_then_settle() -> None:
            try:
                run()
            finally:  # the model and what preparing it built stay; later GC passes skip them
                settle_after_load()

        threading.Thread(target=run_then_settle, name="prepare-model", daemon=True).start()

    def alias_version(self) -> str | None:
        """The version the alias points at now (None if the URI is not an alias)."""
        ref = parse_registry_uri(self.uri)
        if ref is None or ref.alias is None:
            return None
        client = mlflow.MlflowClient(tracking_uri=self.tracking_uri)
        return str(client.get_model_version_by_alias(ref.name, ref.alias).version)

    def start_polling(self, seconds: float) -> None:
        """Check the alias every ``seconds`` and load a new version when it moves."""

        def loop() -> None:
            while not self._stop.wait(seconds):
                try:
                    latest = self.alias_version()
                except Exception as exc:  # registry hiccups must not kill the poller
                    self.last_error = self.shown(f"poll failed: {exc}")
                    continue
                current = self._current.version if self._current else None
                if latest is not None and latest != current:
                    self.load()

        self._poller = threading.Thread(target=loop, name="model-poller", daemon=True)
        self._poller.start()

    def stop(self) -> None:
        self._stop.set()
        if self._poller is not None:
            self._poller.join(timeout=5)
