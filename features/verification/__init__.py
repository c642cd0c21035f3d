"""Verified savings: what a measure really saved, from a plant's metered energy (IPMVP Option C,
ISO 50015, ASHRAE Guideline 14)."""
