"""The bundle as one MLflow pyfunc model, and the one place that loads it back.

The pyfunc takes a DataFrame of factory profiles (the profile columns, strings and numbers only,
no pandas categories) and returns one row per factory with the recommendations as JSON, so
``mlflow models serve`` and ``mlflow.pyfunc.load_model`` work on the same artifact as our
service. The project's own loader (:func:`load_bundle`) does not go through
``mlflow.pyfunc.load_model``: it unpickles the bundle file alone, and only once its digest
matches the one training recorded (:mod:`models.trust`).
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
import os
import pickle
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import mlflow.pyfunc
import pandas as pd
from mlflow.models import ModelSignature, infer_signature
from mlflow.pyfunc.model import PythonModel
from mlflow.types.schema import ParamSchema, ParamSpec
from packaging.requirements import Requirement

from features.profile import PROFILE_COLUMNS, profiles_from_frame
from models.bundle import RecommendationBundle
from models.card import ModelCard, model_card
from models.schemas import RecommendOptions
from models.trust import UntrustedModelError, check_record, digest_tags, unpickle_verified

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
MODEL_NAME = "decarb-recommender"
CHAMPION_ALIAS = "champion"


def alias_uri(name: str = MODEL_NAME, alias: str = CHAMPION_ALIAS) -> str:
    """The registry URI of a registered model's alias (``models:/NAME@alias``)."""
    return f"models:/{name}@{alias}"


#: What the service, the CLIs and the benchmarks load unless told otherwise.
CHAMPION_URI = alias_uri()


@dataclass(frozen=True)
class RegistryRef:
    """What a ``models:/`` URI names: a registered model and one of its alias or version."""

    name: str
    alias: str | None
    version: str | None


def parse_registry_uri(uri: str) -> RegistryRef | None:
    """``models:/NAME@alias`` or ``models:/NAME/VERSION`` read apart; None for other URIs
    (``runs:/...``)."""
    if not uri.startswith("models:/"):
        return None
    rest = uri.removeprefix("models:/")
    name, _, alias = rest.partition("@")
    if alias:
        return RegistryRef(name, alias, None)
    name, _, version = rest.partition("/")
    return RegistryRef(name, None, version or None)


BUNDLE_ARTIFACT = "bundle"
#: Where the bundle file sits inside a logged model (MLflow copies pyfunc artifacts there).
BUNDLE_FILE = "artifacts/bundle.pkl"
#: Run tags that say where training ran: kept in the store, never shown to API callers.
PRIVATE_TAGS = ("host", "pid")
#: The distribution whose runtime requirements the logged model carries.
DISTRIBUTION = "decarb-recommender"


def pip_requirements() -> list[str]:
    """The model's pip requirements: the distribution's own runtime requirements (extras such as
    ``dev`` left out), each pinned to the version installed here, so an environment built from
    them (``mlflow models serve --env-manager virtualenv``) runs the code the model was trained
    with; written out, not inferred (MLflow's inference imports the model and takes seconds)."""
    pins = []
    for line in importlib.metadata.requires(DISTRIBUTION) or []:
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
        version = importlib.metadata.version(requirement.name)
        pins.append(f"{requirement.name}{extras}=={version}")
    return pins


class RecommenderPyfunc(PythonModel):
    """MLflow wrapper: profile rows in, recommendation JSON out."""

    def load_context(self, context: Any) -> None:
        # Any: mlflow's PythonModelContext.
        with Path(context.artifacts[BUNDLE_ARTIFACT]).open("rb") as f:
            self.bundle: RecommendationBundle = pickle.load(
                f
            )  # our own artifact, written by log_bundle

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        # Any: mlflow passes context and params untyped.
        frame = pyfunc_input(model_input)
        for column in _TEXT_COLUMNS:  # "" means missing
            frame[column] = frame[column].replace("", None)
        profiles, rejected = profiles_from_frame(frame)
        # MLflow passes every param of the schema; capex_budget's default is None (no budget).
        options = RecommendOptions(**{k: v for k, v in (params or {}).items() if v is not None})
        results = self.bundle.recommend(profiles, options) if profiles else []
        rows = [{"factory_id": r.factory_id, "result": r.model_dump_json()} for r in results]
        rows += [
            {"factory_id": str(frame.iloc[i]["factory_id"]), "result": f'{{"error": "{exc}"}}'}
            for i, exc in rejected
        ]
        return pd.DataFrame(rows, columns=["factory_id", "result"])


_TEXT_COLUMNS = (
    "factory_id", "country", "region", "grid", "sector", "naics_code", "revenue_currency",
    "measures_in_place",
)  # fmt: skip


def pyfunc_input(factories: pd.DataFrame) -> pd.DataFrame:
    """Profile columns as the model signature expects them: text as strings ("" for missing),
    numbers as floats (NaN for missing)."""
    frame = factories.reindex(columns=list(PROFILE_COLUMNS)).copy()
    for column in frame.columns:
        if column in _TEXT_COLUMNS:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), "")
            frame[column] = frame[column].astype(str)
        else:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame


def input_example(factories: pd.DataFrame) -> pd.DataFrame:
    """One profile row in the signature's types."""
    return pyfunc_input(factories.head(1))


def log_bundle(bundle: RecommendationBundle, factories: pd.DataFrame, workdir: Path) -> Any:
    """Log the bundle as a pyfunc model in the active run and record the bundle file's digest
    on the run (keyed with the signing key when one is configured: :func:`resolve_signing_key`),
    which :func:`load_bundle` checks before it unpickles; returns mlflow's ModelInfo."""
    path = workdir / "bundle.pkl"
    data = pickle.dumps(bundle)
    path.write_bytes(data)
    mlflow.set_tags(digest_tags(data, resolve_signing_key()))
    example = input_example(factories)
    output = pd.DataFrame({"factory_id": ["x"], "result": ["{}"]})
    inferred = infer_signature(example, output)
    signature = ModelSignature(
        inputs=inferred.inputs, outputs=inferred.outputs, params=OPTIONS_PARAMS
    )
    # MLflow warns on every log that a python_model object is pickled with CloudPickle: the
    # bundle is ours and documented (docs/evaluation.md), so the warning stays out of the way.
    pyfunc_logger = logging.getLogger("mlflow.pyfunc")
    level = pyfunc_logger.level
    pyfunc_logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            # The input example has integer columns; the served frame is built by the project.
            warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
            return _log_model(path, signature, example)
    finally:
        pyfunc_logger.setLevel(level)


def _log_model(path: Path, signature: ModelSignature, example: pd.DataFrame) -> Any:
    return mlflow.pyfunc.log_model(
        name="model",
        python_model=RecommenderPyfunc(),
        artifacts={BUNDLE_ARTIFACT: str(path)},
        signature=signature,
        input_example=example,
        pip_requirements=pip_requirements(),
        code_paths=[str(Path(__file__).resolve().parents[1] / p) for p in ("features", "models")],
    )


_DEFAULTS = RecommendOptions()
#: RecommendOptions as MLflow params, so ``predict(..., params={"top_k": 3})`` and the scoring
#: server's ``"params"`` reach the bundle (MLflow ignores params a signature does not declare).
OPTIONS_PARAMS = ParamSchema(
    [
        ParamSpec("objective", "string", _DEFAULTS.objective),
        ParamSpec("top_k", "long", _DEFAULTS.top_k),
        ParamSpec("capex_budget", "double", None),
        ParamSpec("discount_rate", "double", _DEFAULTS.discount_rate),
        ParamSpec("explain", "string", _DEFAULTS.explain),
        ParamSpec("top_features", "long", _DEFAULTS.top_features),
        ParamSpec("currency", "string", None),
        ParamSpec("lang", "string", _DEFAULTS.lang),
        ParamSpec("green_contract_share", "double", _DEFAULTS.green_contract_share),
        ParamSpec("target_reduction", "double", None),
        ParamSpec("min_evidence", "long", _DEFAULTS.min_evidence),
        ParamSpec("programme_payback_years", "double", _DEFAULTS.programme_payback_years),
    ]
)


def resolve_tracking_uri(explicit: str | None = None) -> str:
    """The MLflow store to use: an explicit setting, else ``MLFLOW_TRACKING_URI``, else a SQLite
    file in the working directory. The one place the project reads that variable; it also turns
    MLflow's telemetry off (MLflow would otherwise look up a telemetry host in the background)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    return explicit or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI


def resolve_signing_key(explicit: str | None = None) -> str | None:
    """The key that signs bundles at training and is checked at loading: an explicit setting,
    else ``DECARB_MODEL_SIGNING_KEY``, else None (bundles then carry a plain SHA-256, which
    shows a changed file but not who wrote it; see docs/deploy.md)."""
    return explicit or os.environ.get("DECARB_MODEL_SIGNING_KEY") or None


def resolve_artifact_root(explicit: str | None = None) -> str | None:
    """Where new experiments keep their artifacts: an explicit setting, else
    ``DECARB_ARTIFACT_ROOT``, else None (beside a SQLite store's file; see :func:`use_store`)."""
    return explicit or os.environ.get("DECARB_ARTIFACT_ROOT") or None


def use_store(tracking_uri: str, experiment: str, artifact_root: str | None = None) -> None:
    """Point MLflow at ``tracking_uri`` and ``experiment``. A new experiment keeps its artifacts
    under ``artifact_root`` (a folder or URI; ``DECARB_ARTIFACT_ROOT``); without one, in a
    SQLite store ``mlartifacts/`` beside the database file and with a server database
    (PostgreSQL) ``mlartifacts/`` in the working directory, not MLflow's own default."""
    mlflow.set_tracking_uri(tracking_uri)
    if mlflow.get_experiment_by_name(experiment) is None:
        root = resolve_artifact_root(artifact_root)
        if root is not None:
            location = Path(root).resolve().as_uri() if "://" not in root else root
        elif tracking_uri.startswith("sqlite:///"):
            database = Path(tracking_uri.removeprefix("sqlite:///")).resolve()
            location = (database.parent / "mlartifacts").as_uri()
        elif "://" in tracking_uri and not tracking_uri.startswith(("http", "databricks")):
            location = (Path.cwd() / "mlartifacts").as_uri()
        else:
            location = None  # a tracking server decides
        mlflow.create_experiment(experiment, artifact_location=location)
    mlflow.set_experiment(experiment)


@dataclass(frozen=True)
class LoadedModel:
    """A bundle loaded from the registry, with where it came from and its run's record."""

    bundle: RecommendationBundle
    uri: str
    version: str | None
    run_id: str | None
    metrics: dict[str, float]
    tags: dict[str, str]

    @functools.cached_property
    def card(self) -> ModelCard:
        """The bundle's model card (computed once per load)."""
        return model_card(self.bundle)


def load_bundle(uri: str = CHAMPION_URI, signing_key: str | None = None) -> LoadedModel:
    """Load a bundle by registry URI (``models:/NAME@alias``, ``models:/NAME/VERSION`` or
    ``runs:/RUN_ID/PATH``). An alias is resolved once, to a version, and that version is what is
    loaded and reported, so the label always names the model that computes the answers.

    Only a bundle this project's training logged is unpickled: its training run must hold the
    digest of the bundle file (keyed with ``signing_key``, default
    :func:`resolve_signing_key`, when there is one), and the file must match it. Otherwise
    :class:`~models.trust.UntrustedModelError` is raised, before anything is unpickled.
    """
    key = resolve_signing_key(signing_key)
    client = mlflow.MlflowClient()
    version: str | None = None
    if (ref := parse_registry_uri(uri)) is not None:
        name = ref.name
        if ref.alias:
            version = str(client.get_model_version_by_alias(name, ref.alias).version)
        else:
            version = ref.version
        if not version:
            raise UntrustedModelError(
                f"{uri}: name a version or an alias (models:/NAME/VERSION or models:/NAME@alias)"
            )
        run_id = client.get_model_version(name, version).run_id or None
        base = f"models:/{name}/{version}"
    elif uri.startswith("runs:/"):
        run_id = uri.removeprefix("runs:/").split("/", 1)[0] or None
        base = uri.rstrip("/")
    else:
        raise UntrustedModelError(
            f"{uri}: allowed: models:/NAME@alias, models:/NAME/VERSION or runs:/RUN_ID/PATH "
            "(the training run they name holds the digest a bundle is checked against)"
        )
    run = client.get_run(run_id) if run_id else None
    run_tags: dict[str, str] = dict(run.data.tags) if run is not None else {}
    check_record(run_tags, key, uri)  # nothing is fetched without a digest to check it against
    with tempfile.TemporaryDirectory(prefix="decarb-bundle-") as tmp:
        path = mlflow.artifacts.download_artifacts(
            artifact_uri=f"{base}/{BUNDLE_FILE}", dst_path=tmp
        )
        bundle = unpickle_verified(Path(path).read_bytes(), run_tags, key, uri)
    if not isinstance(bundle, RecommendationBundle):
        raise UntrustedModelError(f"{uri}: not a decarb-recommender bundle")
    tags = {k: v for k, v in run_tags.items()
            if not k.startswith("mlflow.") and k not in PRIVATE_TAGS}  # fmt: skip
    metrics = dict(run.data.metrics) if run is not None else {}
    return LoadedModel(
        bundle=bundle, uri=uri, version=version, run_id=run_id, metrics=metrics, tags=tags
    )
