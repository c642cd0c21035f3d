"""The public US DOE IAC tables shipped in the package (``features/data/iac``, see its
DATACARD.md), so the default training learns from real audits on a machine with nothing else:
the primary-stream RECC table (148,486 recommendations, FY1981-2021), the 2026 ASSESS table
(19,759 plants, FY1981-2021) and EIA's state-by-year grid carbon intensity (1990-2024).

Every file is checked against ``SHA256SUMS`` before it is read: a changed or truncated copy is
refused, naming the file, rather than trained on."""

from __future__ import annotations

import hashlib
from pathlib import Path

from features.errors import InvalidValueError

#: Folder of the shipped tables.
PACKAGED_IAC = Path(__file__).resolve().parent.parent / "data" / "iac"
#: EIA state-by-year grid intensity in that folder (year-matched US grid factors).
PACKAGED_EIA_STATE_FACTORS = PACKAGED_IAC / "state_carbon_intensity_derived.csv"
CHECKSUMS = "SHA256SUMS"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_packaged(folder: Path = PACKAGED_IAC) -> dict[str, str]:
    """Check every file listed in ``folder/SHA256SUMS``; returns file -> digest. Raises
    :class:`InvalidValueError` naming the first file that is missing or differs."""
    listing = folder / CHECKSUMS
    if not listing.is_file():
        raise InvalidValueError("packaged IAC data", str(folder), f"a folder with {CHECKSUMS}")
    expected: dict[str, str] = {}
    for line in listing.read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            expected[name.strip().lstrip("*")] = digest
    for name, digest in expected.items():
        path = folder / name
        if not path.is_file():
            raise InvalidValueError(f"packaged IAC file {name}", "missing", f"sha256 {digest}")
        actual = _sha256(path)
        if actual != digest:
            raise InvalidValueError(
                f"packaged IAC file {name}", f"sha256 {actual}", f"sha256 {digest} (SHA256SUMS)"
            )
    return expected
