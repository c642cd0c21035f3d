"""Typed errors of the domain layer.

Every error a user can meet names the field, the offending value and what is allowed, so that
the HTTP edge and the command line can show it unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable


class DecarbError(Exception):
    """Base class of every error raised on purpose by this project."""


def _format_allowed(allowed: Iterable[object] | str) -> str:
    if isinstance(allowed, str):
        return allowed
    return ", ".join(str(a) for a in allowed)


#: Longest rendering of a bad value inside a message (the value itself travels whole).
_MESSAGE_ECHO = 120


def _shown(value: object) -> str:
    """A value as a message shows it: its repr, cut short when long (a 400-digit integer or a
    20 MB string must not hide what is allowed)."""
    text = repr(value)
    if len(text) <= _MESSAGE_ECHO:
        return text
    unit = "digits" if isinstance(value, int) else "characters"
    return f"{text[:60]}... ({len(text):,} {unit})"


class InvalidValueError(DecarbError, ValueError):
    """A value is outside what is allowed for its field.

    Parameters
    ----------
    field
        Dotted name of the field, e.g. ``"natural_gas_gj"`` or ``"energy_use[1].unit"``.
    value
        The value that was given.
    allowed
        The allowed set (an iterable) or a sentence describing the allowed range.
    """

    def __init__(self, field: str, value: object, allowed: Iterable[object] | str) -> None:
        self.field = field
        self.value = value
        self.allowed = _format_allowed(allowed)
        super().__init__(f"{field}: invalid value {_shown(value)}; allowed: {self.allowed}")


class UnknownSectorError(InvalidValueError):
    """A sector name, NAICS or SIC code that does not resolve to a programme sector."""


class UnknownRegionError(InvalidValueError):
    """A region that is not a known province or state of the given country."""


class UnitError(InvalidValueError):
    """A unit that does not exist for the carrier it was given for."""


class MissingFactorError(DecarbError, LookupError):
    """No emission factor covers the requested carrier, country, region or year."""


class CatalogueError(DecarbError, ValueError):
    """The measure catalogue is inconsistent (duplicate ids, overlapping ARC prefixes, ...)."""
