"""Verified savings: what a measure really saved, from a plant's metered energy (IPMVP Option C,
ISO 50015, ASHRAE Guideline 14)."""

from features.verification.engine import verify
from features.verification.outcome import to_outcome_report

__all__ = ["to_outcome_report", "verify"]
