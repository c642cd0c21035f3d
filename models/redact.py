"""Secrets out of everything the project prints, logs or returns.

Store URIs carry passwords (``postgresql://user:secret@host/db``, ``http://user:secret@host``).
:func:`redact` is the one helper every start-up line, log line, error body and API answer that
may hold such a URI goes through: the password of any URI in the text becomes ``***``
(``user:***@host``), and so do the passwords of the URIs it is told about wherever they appear
on their own (an error message may quote one without its URI).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

#: What replaces a secret.
MASK = "***"

#: ``scheme://user:password@``: the user stays, the password goes.
_USERINFO = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"]*):[^\s@/'\"]*@")
#: ``password=...`` in a query string or a libpq connection string.
_KEYWORD = re.compile(r"(?P<head>\b(?:password|passwd|pwd|token|secret)=)[^\s&;'\"]+", re.I)


def passwords_of(*uris: str | None) -> list[str]:
    """The passwords in ``uris`` (as written and percent-decoded), for :func:`redact`."""
    found: list[str] = []
    for uri in uris:
        if not uri or "://" not in uri:
            continue
        userinfo = uri.split("://", 1)[1].split("/", 1)[0].rpartition("@")[0]
        _, colon, password = userinfo.partition(":")
        if colon and password:
            found += [password, unquote(password)]
    # The longest first: a decoded form may contain the encoded one.
    return sorted({p for p in found if len(p) >= 3}, key=len, reverse=True)


def redact(text: object, *uris: str | None) -> str:
    """``text`` with every URI's password replaced by ``***`` and the passwords of ``uris``
    (the store URIs in use) masked wherever else they occur.

    Examples
    --------
    >>> redact("cannot reach postgresql://app:s3cret@db:5432/mlflow")
    'cannot reach postgresql://app:***@db:5432/mlflow'
    >>> redact("auth failed for s3cret", "http://app:s3cret@mlflow:5000")
    'auth failed for ***'
    """
    out = _USERINFO.sub(rf"\g<head>:{MASK}@", str(text))
    out = _KEYWORD.sub(rf"\g<head>{MASK}", out)
    for password in passwords_of(*uris):
        out = out.replace(password, MASK)
    return out
