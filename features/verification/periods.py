"""Periods of meter readings: parsing ``YYYY-MM`` months and explicit day ranges, the phase of a
period around the month a measure went into service, and the refusal of overlapping periods."""

from __future__ import annotations

import calendar
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from features.errors import InvalidValueError
from features.units import Carrier

Phase = Literal["baseline", "installation", "reporting"]
_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
_DAY = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
PERIOD_FORMATS = "YYYY-MM (a calendar month) or YYYY-MM-DD with period_end YYYY-MM-DD"


@dataclass(frozen=True)
class Span:
    """First and last day (inclusive) of a period."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        """``YYYY-MM`` for a whole calendar month, else ``start..end``."""
        if self.start.day == 1 and self.end == month_end(self.start):
            return f"{self.start:%Y-%m}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def month_end(day: date) -> date:
    """Last day of the month of ``day``."""
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def parse_month(value: str, field: str) -> date:
    """First day of the month ``YYYY-MM``."""
    match = _MONTH.match(value or "")
    if match is not None and 1 <= int(match.group(1)) and 1 <= int(match.group(2)) <= 12:
        return date(int(match.group(1)), int(match.group(2)), 1)  # year 0 does not exist
    raise InvalidValueError(field, value, "a month YYYY-MM")


def _parse_day(value: str, field: str) -> date:
    match = _DAY.match(value or "")
    if match is not None:
        try:
            return date(*(int(g) for g in match.groups()))
        except ValueError:
            pass
    raise InvalidValueError(field, value, "a date YYYY-MM-DD")


def parse_span(period: str, period_end: str | None, field: str, end_field: str) -> Span:
    """The days a reading covers: ``YYYY-MM`` is the calendar month (or up to ``period_end``);
    ``YYYY-MM-DD`` needs ``period_end``.

    Raises
    ------
    InvalidValueError
        Naming ``field`` or ``end_field``, with the allowed formats.
    """
    if _MONTH.match(period or ""):
        start = parse_month(period, field)
        end = month_end(start) if period_end is None else _parse_day(period_end, end_field)
    elif _DAY.match(period or ""):
        start = _parse_day(period, field)
        if period_end is None:
            raise InvalidValueError(
                end_field, period_end, "the last day YYYY-MM-DD when period is a day"
            )
        end = _parse_day(period_end, end_field)
    else:
        raise InvalidValueError(field, period, PERIOD_FORMATS)
    if end < start:
        raise InvalidValueError(end_field, period_end, f"a day on or after {start.isoformat()}")
    return Span(start, end)


def phase_of(span: Span, installed: date) -> Phase:
    """Baseline before the installed month, reporting after it, installation when the period
    touches the installed month (neither baseline nor reporting)."""
    if span.end < installed:
        return "baseline"
    if span.start > month_end(installed):
        return "reporting"
    return "installation"


def check_overlaps(
    carriers: Sequence[Carrier],
    spans: Sequence[Span],
    name: Callable[[int], str],
    field: str = "period",
) -> None:
    """Refuse duplicate or overlapping periods of one carrier.

    Parameters
    ----------
    carriers, spans
        The carrier and period of each reading, in input order.
    name
        How reading ``i`` is named in the error (``"readings[3]"``, ``"row 5"``).

    Raises
    ------
    InvalidValueError
        Naming both readings and the carrier.
    """
    order = sorted(range(len(spans)), key=lambda i: (carriers[i], spans[i].start, i))
    for before, after in itertools.pairwise(order):
        if carriers[before] != carriers[after]:
            continue
        if spans[after].start <= spans[before].end:
            first, second = sorted((before, after))
            kind = "duplicates" if spans[first] == spans[second] else "overlaps"
            raise InvalidValueError(
                f"{name(second)}: {field}",
                spans[second].label,
                f"one reading per period and carrier; it {kind} {name(first)} "
                f"({spans[first].label}, {carriers[first].value})",
            )
