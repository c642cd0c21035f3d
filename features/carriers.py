"""The carrier order of every per-carrier array: the one ``CARRIERS`` the packages index by.

:class:`features.units.Carrier` names the carriers; every ``(…, carriers)`` array (energy,
savings, prices, emission factors) has one column per carrier in this order, and code finds a
carrier's column by :func:`column`, never by assuming where it sits.
"""

from __future__ import annotations

from features.units import GJ_PER_CANONICAL, Carrier

#: The carriers in column order of every per-carrier array.
CARRIERS: tuple[Carrier, ...] = tuple(Carrier)

__all__ = ["CARRIERS", "ELECTRICITY", "GJ_PER_CANONICAL", "column"]


def column(carrier: Carrier) -> int:
    """The column of ``carrier`` in a per-carrier array."""
    return CARRIERS.index(carrier)


#: The column of grid electricity (kWh; every other carrier is in GJ, ``GJ_PER_CANONICAL``).
ELECTRICITY: int = column(Carrier.ELECTRICITY)
