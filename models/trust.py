"""Which model files may be unpickled: the bundles this project's training wrote.

Unpickling runs code, so whoever can register a model version and move the champion alias could
otherwise run code in every process that loads the champion. Training records a digest of the
serialised bundle on its MLflow run as it logs the model (:func:`digest_tags`): the file's
SHA-256 and, when a signing key is configured (``DECARB_MODEL_SIGNING_KEY``), its HMAC-SHA256
keyed with it. The loader reads that record before it fetches anything, fetches the bundle file
alone, computes the same digest over the bytes it will unpickle and unpickles only on a match
(:func:`unpickle_verified`); MLflow's own ``python_model.pkl`` and the ``code/`` copied with the
model are never loaded. What this does and does not protect against: docs/deploy.md.
"""

from __future__ import annotations

import hashlib
import hmac
import pickle

from features.errors import DecarbError

#: Run tag with the SHA-256 of the bundle file (hex).
SHA256_TAG = "decarb.bundle_sha256"
#: Run tag with the HMAC-SHA256 of the bundle file keyed with the signing key (hex).
HMAC_TAG = "decarb.bundle_hmac_sha256"


class UntrustedModelError(DecarbError):
    """A model version that this project's training did not produce (or that was changed since):
    it is refused before anything of it is unpickled."""


def _hmac(data: bytes, key: str) -> str:
    return hmac.new(key.encode("utf-8"), data, hashlib.sha256).hexdigest()


def digest_tags(data: bytes, key: str | None) -> dict[str, str]:
    """The run tags that record ``data`` (a serialised bundle) as this project's: its SHA-256,
    and its HMAC-SHA256 when a signing ``key`` is given."""
    tags = {SHA256_TAG: hashlib.sha256(data).hexdigest()}
    if key:
        tags[HMAC_TAG] = _hmac(data, key)
    return tags


def check_record(tags: dict[str, str], key: str | None, what: str) -> None:
    """Refuse ``what`` (a model URI) when its training run holds no digest to check against:
    the keyed one when a signing ``key`` is configured, else the plain one."""
    needed = HMAC_TAG if key else SHA256_TAG
    if tags.get(needed):
        return
    how = (
        "the keyed digest decarb-train records when DECARB_MODEL_SIGNING_KEY is set to the "
        "service's key"
        if key
        else "the digest decarb-train records when it logs a model"
    )
    raise UntrustedModelError(
        f"{what}: refused, its training run has no {needed} tag ({how}); only models trained "
        "by this project's training are loaded, and nothing of this one was unpickled"
    )


def unpickle_verified(data: bytes, tags: dict[str, str], key: str | None, what: str) -> object:
    """Unpickle ``data`` (the bundle file of ``what``) only if its digest is the one its
    training run recorded (``tags``); otherwise raise :class:`UntrustedModelError`."""
    check_record(tags, key, what)
    if key:
        name, actual = HMAC_TAG, _hmac(data, key)
    else:
        name, actual = SHA256_TAG, hashlib.sha256(data).hexdigest()
    if not hmac.compare_digest(actual, tags[name]):
        raise UntrustedModelError(
            f"{what}: refused, its bundle file does not match the {name} its training run "
            "recorded (changed after training, or recorded for another file); nothing of it "
            "was unpickled"
        )
    return pickle.loads(data)  # the very bytes training recorded
