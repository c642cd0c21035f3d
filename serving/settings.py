"""Service settings from ``DECARB_*`` environment variables (or a ``.env`` file)."""

from __future__ import annotations

import functools
import hashlib

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.pyfunc import CHAMPION_URI


def hash_key(key: str) -> str:
    """SHA-256 hex digest of an API key: the form keys are stored and configured in."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class Settings(BaseSettings):
    """Everything the service reads from its environment.

    API keys are configured as SHA-256 hashes (``decarb-serve --hash-key KEY`` prints one),
    so the environment never holds a usable key.
    """

    model_config = SettingsConfigDict(env_prefix="DECARB_", env_file=".env", extra="ignore")

    model_uri: str = Field(default=CHAMPION_URI)
    model_signing_key: SecretStr | None = Field(
        default=None,
        description="Key of the HMAC-SHA256 that training records on a model's run "
        "(DECARB_MODEL_SIGNING_KEY, the same for decarb-train and the service): a model version "
        "without a matching one is refused before it is unpickled. Unset: the plain SHA-256 "
        "training records is checked (a changed file is refused, a forged record is not; see "
        "docs/deploy.md).",
    )
    tracking_uri: str | None = Field(
        default=None, description="MLflow store; MLFLOW_TRACKING_URI, else sqlite:///mlflow.db."
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=16)
    auth_enabled: bool = True
    read_key_hashes: list[str] = Field(default_factory=list)
    write_key_hashes: list[str] = Field(
        default_factory=list, description="Keys that may also report outcomes (POST /v1/outcomes)."
    )
    admin_key_hashes: list[str] = Field(default_factory=list)
    database_url: str = Field(
        default="sqlite:///outcomes.db",
        description="Outcomes store (SQLAlchemy URL): a SQLite file by default, "
        "postgresql+psycopg://user@host/db in production; migrated on first use.",
    )
    batch_max_factories: int = Field(default=500, ge=1, le=100_000)
    reload_poll_seconds: float | None = Field(
        default=None, gt=0, description="Poll the model alias and swap in a new version."
    )
    log_level: str = "INFO"
    max_body_bytes: int = Field(
        default=10_000_000, ge=1_000, description="Largest request body; 413 before parsing."
    )
    max_in_flight: int = Field(
        default=16,
        ge=1,
        le=100_000,
        description="Scoring requests in flight per worker, counted once a request's body has "
        "arrived; more get a fast 503 + Retry-After.",
    )
    body_read_timeout_s: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="Seconds a request's whole body may take to arrive; slower is a 408 (a "
        "client dribbling its upload holds a connection, never a scoring slot, and not long).",
    )
    header_read_timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=600,
        description="Seconds a request's headers may take to arrive, from their first byte (and "
        "a new connection to begin a request); slower is a 408 and the connection closed. A "
        "browser or client sends its headers in one packet; Apache's mod_reqtimeout allows 20 s "
        "to the first header byte by default.",
    )
    body_min_bytes_per_s: float = Field(
        default=500.0,
        ge=0,
        description="Slowest average rate a request body may arrive at once "
        "body_rate_grace_s has passed (0: no minimum); slower is a 408 before the whole-body "
        "deadline. 500 bytes/s is mod_reqtimeout's default MinRate.",
    )
    body_rate_grace_s: float = Field(
        default=5.0,
        ge=0,
        description="Seconds a body may take to get going before body_min_bytes_per_s applies.",
    )
    scoring_threads: int | None = Field(
        default=None,
        ge=1,
        le=256,
        description="Requests scored at the same time per worker (the rest of those admitted "
        "wait their turn). None: the number of cores.",
    )
    cjk_font: str | None = Field(
        default=None,
        description="TrueType font (.ttf/.ttc) with Chinese glyphs for PDF reports; default: "
        "the first of serving.pages.pdf.CJK_FONT_CANDIDATES found (fonts-wqy-microhei).",
    )
    rate_limit_per_minute: float | None = Field(
        default=None,
        gt=0,
        description="Requests per minute per API key (bursts up to a minute's worth); 429 + "
        "Retry-After above it. None: no limit.",
    )
    store_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Start serving after this long even if the model store has not answered "
        "(503 until the model is in).",
    )
    compiled_trees: bool = Field(
        default=True,
        description="Predict with the boosters compiled to native code (tl2cgen + the C "
        "compiler; same numbers as LightGBM), built in the background after a model loads and "
        "cached; until then, or if building fails, LightGBM predicts. false: LightGBM only.",
    )
    compiled_cache: str | None = Field(
        default=None,
        description="Folder of the compiled libraries (shared by workers and restarts); "
        "default ~/.cache/decarb-recommender/compiled-trees.",
    )
    session_secret: SecretStr | None = Field(
        default=None,
        description="Key signing the pages' session tokens (DECARB_SESSION_SECRET). Unset: a "
        "random one made once per host in session_secret_file; set it when several hosts serve "
        "one address.",
    )
    session_secret_file: str | None = Field(
        default=None,
        description="Where the per-host session secret is kept when session_secret is unset; "
        "default ~/.cache/decarb-recommender/session-secret.",
    )
    session_hours: float = Field(
        default=12.0, gt=0, le=24 * 30, description="How long a page session lasts."
    )
    cookie_secure: bool = Field(
        default=False,
        description="Mark the session cookie Secure (sent over HTTPS only): set true when the "
        "service is reached over TLS (directly or behind a proxy).",
    )
    metrics_open: bool = Field(
        default=False,
        description="Serve /metrics without a key. false (default): with auth on, /metrics "
        "needs a configured key (X-API-Key or Authorization: Bearer).",
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins a browser portal may call from (none)."
    )

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Settings:
        if self.auth_enabled and not (
            self.read_key_hashes or self.write_key_hashes or self.admin_key_hashes
        ):
            raise ValueError(
                "auth is enabled but no API key hashes are configured: set "
                "DECARB_READ_KEY_HASHES / DECARB_ADMIN_KEY_HASHES (JSON lists of SHA-256 hex "
                "digests) or switch auth off explicitly with DECARB_AUTH_ENABLED=false"
            )
        for digest in (*self.read_key_hashes, *self.write_key_hashes, *self.admin_key_hashes):
            if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise ValueError("API key hashes must be 64-character lowercase SHA-256 hex")
        return self


@functools.cache
def get_settings() -> Settings:
    """The process's settings (cached; tests override the dependency or clear the cache)."""
    return Settings()
