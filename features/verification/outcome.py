"""A verification as a reported outcome, so the next model learns from metered savings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from features.errors import InvalidValueError
from features.i18n import text
from features.outcomes import OutcomeReport, OutcomeVerification, VerifiedCarrierFit
from features.profile import EnergyQuantity
from features.verification.engine import DAYS_PER_YEAR, installed_on
from features.verification.schema import Verification

#: Verdicts whose savings figure is a measurement (interval and fit within Guideline 14).
MEASURED_VERDICTS = ("verified", "no_savings_detected")


def to_outcome_report(
    verification: Verification,
    profile: dict[str, Any],
    factory_id: str | None = None,
    model_version: str | None = None,
) -> OutcomeReport:
    """The outcome a verification reports: the measure implemented, its measured savings.

    Parameters
    ----------
    verification
        The result of :func:`features.verification.verify`.
    profile
        The factory's profile as submitted for the recommendation (``Any``: raw JSON, as
        :class:`OutcomeReport` takes it).
    factory_id
        Default the verification's, else the profile's ``factory_id``.
    model_version
        Model version that recommended the measure, if known.

    Returns
    -------
    OutcomeReport
        Status ``implemented`` on the first day of the installed month; ``measured_savings`` per
        carrier in its canonical unit (kWh; GJ) over the reporting period (``period_start`` the
        first reporting day of any carrier, ``period_end`` the last); ``verification`` keeps the
        fit and verdict. Only carriers whose verdict is "verified" or "no_savings_detected" go in:
        a not-verifiable carrier's figure comes from a baseline that fails Guideline 14 (or is
        too short), so it is not a measurement and would teach the model noise. Each carrier's
        value is its annual savings times the period's length, so the store's annualisation
        (value * 365.25 / days) gives back ``saved_per_year`` even when non-routine periods were
        left out.

    Raises
    ------
    InvalidValueError
        ``verification.verdict`` when no carrier has a measured figure.
    """
    measured = [c for c in verification.carriers if c.verdict in MEASURED_VERDICTS]
    if not measured:
        allowed = text("verification_no_outcome", verdict=verification.verdict)
        raise InvalidValueError("verification.verdict", verification.verdict, allowed)
    start = min(c.reporting_start for c in measured)
    end = max(c.reporting_end for c in measured)
    days = (end - start + timedelta(days=1)).days
    fits = {f.carrier: f for f in verification.fits}
    return OutcomeReport(
        factory_id=factory_id or verification.factory_id or str(profile.get("factory_id", "")),
        measure_id=verification.measure_id,
        status="implemented",
        implemented_on=installed_on(verification.installed),
        period_start=start,
        period_end=end,
        measured_savings=[
            EnergyQuantity(
                carrier=c.carrier, value=c.saved_per_year * days / DAYS_PER_YEAR, unit=c.unit
            )
            for c in measured
        ],
        model_version=model_version,
        verification=OutcomeVerification(
            carriers=[
                VerifiedCarrierFit(
                    carrier=c.carrier,
                    form=fits[c.carrier].form,
                    cv_rmse=fits[c.carrier].cv_rmse,
                    nmbe=fits[c.carrier].nmbe,
                    r2=fits[c.carrier].r2,
                    n_baseline=fits[c.carrier].n_baseline,
                    fractional_uncertainty=c.fractional_uncertainty,
                    confidence=c.confidence,
                    verdict=c.verdict,
                )
                for c in measured
            ]
        ),
        profile=profile,
    )
