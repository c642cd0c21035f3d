"""The energy baseline of one carrier from the plant's own history (ISO 50006:2014 energy
baselines and relevant variables; IPMVP Option C, whole facility): energy per period regressed by
ordinary least squares (statsmodels) on the days of the period, production and, where given,
heating/cooling degree days or a temperature change point, the form chosen by the data.

Choosing the form
-----------------
Every form the data allow is fitted; a form qualifies when each slope it adds to the base load
(production, HDD, CDD, heating or cooling degrees below/above the balance point) is positive and
significant at p < 0.1, the rule CalTRACK 2.0 uses for its candidate models (CalTRACK Methods,
sec. 3.4.3.2 "statistically significant, p-value < 0.1, positive"). Among qualifying forms the one
with the lowest Bayesian information criterion, BIC = n ln(SSE/n) + k ln(n) (Schwarz 1978; a
change point's balance temperature counts as one more parameter), is kept; the mean (base load
per day) always qualifies.

The base load is a rate per day (the period's days are a regressor, not a constant), so months of
28-31 days and explicit day ranges of any length share one model.

Judging the fit (ASHRAE Guideline 14-2014)
------------------------------------------
CV(RMSE) = sqrt(SSE / (n - p)) / mean(y) and NMBE = sum(y - yhat) / ((n - p) mean(y)) (Guideline
14-2014, sec. 5.2.11.3 / 5.3.2.4, with n - p degrees of freedom as the guideline writes them). The
limits used are the guideline's for monthly data, CV(RMSE) <= 15% and |NMBE| <= 5%, and for shorter
intervals its hourly figures, 30% and 10% (sec. 5.3.2.4 f; applying the hourly figures to daily or
weekly periods is an ASSUMPTION, the nearest interval the guideline states). Lag-1 autocorrelation
rho of the residuals gives the effective number of observations n' = n (1 - rho) / (1 + rho)
(Guideline 14-2014 Annex B; Reddy & Claridge 2000, HVAC&R Research 6(1):3-20).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import statsmodels.api as sm  # no type stubs (pyproject: mypy override)

from features.units import Carrier
from features.verification.schema import BaselineFit, BaselineForm

#: p-value below which an added slope counts (CalTRACK Methods 2.0, sec. 3.4.3.2).
SLOPE_P_VALUE = 0.1
#: Guideline 14-2014 sec. 5.3.2.4: monthly data CV(RMSE) <= 15%, |NMBE| <= 5%.
MONTHLY_LIMITS = (0.15, 0.05)
#: Guideline 14-2014 sec. 5.3.2.4: hourly data CV(RMSE) <= 30%, |NMBE| <= 10% (used for daily and
#: weekly periods: ASSUMPTION, see the module docstring).
SHORT_INTERVAL_LIMITS = (0.30, 0.10)
#: Periods of at least this many days (on average) are judged as monthly data.
MONTHLY_DAYS = 27
#: Balance temperatures searched for a change point, °C (integer grid; CalTRACK 2.0 sec. 3.2.2
#: searches a fixed grid of balance points; our 0-30 °C range covers Chinese and US climates:
#: ASSUMPTION).
BALANCE_POINTS_C = tuple(float(t) for t in range(0, 31))
#: A balance point needs at least this share of baseline periods on the degree-day side of it
#: (and at least 3): CalTRACK 2.0 sec. 3.2.2 asks for a minimum of non-zero degree-day periods;
#: 10% is ASSUMPTION.
MIN_DEGREE_SHARE = 0.10

#: Slopes each form adds to the base load, in column order after ``days``.
FORM_TERMS: dict[BaselineForm, tuple[str, ...]] = {
    "mean": (),
    "production": ("production",),
    "production_hdd": ("production", "hdd"),
    "production_cdd": ("production", "cdd"),
    "production_hdd_cdd": ("production", "hdd", "cdd"),
    "change_point_heating": ("production", "heating_degree_days"),
    "change_point_cooling": ("production", "cooling_degree_days"),
}


@dataclass(frozen=True)
class Drivers:
    """What each period's energy is regressed on (arrays of one carrier's periods, aligned)."""

    days: np.ndarray
    production: np.ndarray | None = None
    hdd: np.ndarray | None = None
    cdd: np.ndarray | None = None
    temperature_c: np.ndarray | None = None

    def take(self, index: np.ndarray) -> Drivers:
        def cut(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[index]

        return Drivers(
            self.days[index],
            cut(self.production),
            cut(self.hdd),
            cut(self.cdd),
            cut(self.temperature_c),
        )


def _column(name: str, d: Drivers, balance: float | None) -> np.ndarray:
    if name == "days":
        return d.days
    if name == "heating_degree_days":
        assert d.temperature_c is not None
        assert balance is not None
        return d.days * np.maximum(balance - d.temperature_c, 0.0)
    if name == "cooling_degree_days":
        assert d.temperature_c is not None
        assert balance is not None
        return d.days * np.maximum(d.temperature_c - balance, 0.0)
    values = getattr(d, name)
    assert values is not None
    return np.asarray(values, dtype=float)


def _terms(form: BaselineForm, d: Drivers) -> tuple[str, ...] | None:
    """The columns of ``form`` for these drivers, or None when the data cannot carry it."""
    terms = FORM_TERMS[form]
    if form.startswith("change_point"):
        if d.temperature_c is None:
            return None
        if d.production is None:  # a change point without production: temperature alone
            terms = terms[1:]
    elif any(getattr(d, t) is None for t in terms):
        return None
    return ("days", *terms)


def design(
    form: BaselineForm, terms: Sequence[str], d: Drivers, balance: float | None
) -> np.ndarray:
    """The design matrix of ``form`` (one row per period)."""
    del form
    return np.column_stack([_column(t, d, balance) for t in terms])


@dataclass
class Model:
    """A fitted baseline: its form, coefficients, their covariance and the fit statistics."""

    carrier: Carrier
    form: BaselineForm
    terms: tuple[str, ...]
    params: np.ndarray
    cov: np.ndarray
    sigma2: float
    balance_point_c: float | None
    n: int
    residuals: np.ndarray
    fitted: np.ndarray
    y_mean: float
    bic: float
    p_values: np.ndarray
    short_interval: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def p(self) -> int:
        """Parameters, the balance point counted."""
        return len(self.params) + (self.balance_point_c is not None)

    def matrix(self, d: Drivers) -> np.ndarray:
        return design(self.form, self.terms, d, self.balance_point_c)

    def predict(self, d: Drivers) -> np.ndarray:
        return np.asarray(self.matrix(d) @ self.params, dtype=float)

    @property
    def cv_rmse(self) -> float:
        dof = max(self.n - self.p, 1)
        return float(np.sqrt(np.sum(self.residuals**2) / dof) / self.y_mean)

    @property
    def nmbe(self) -> float:
        dof = max(self.n - self.p, 1)
        return float(np.sum(self.residuals) / (dof * self.y_mean))

    @property
    def r2(self) -> float:
        y = self.fitted + self.residuals
        total = float(np.sum((y - y.mean()) ** 2))
        return 1.0 - float(np.sum(self.residuals**2)) / total if total > 0 else 0.0

    @property
    def autocorrelation(self) -> float:
        """Lag-1 autocorrelation of the residuals in time order (Guideline 14 Annex B)."""
        e = self.residuals - self.residuals.mean()
        denominator = float(np.sum(e**2))
        if len(e) < 3 or denominator <= 0:
            return 0.0
        return float(np.sum(e[1:] * e[:-1]) / denominator)

    @property
    def limits(self) -> tuple[float, float]:
        return SHORT_INTERVAL_LIMITS if self.short_interval else MONTHLY_LIMITS

    @property
    def passes(self) -> bool:
        cv_limit, nmbe_limit = self.limits
        return self.cv_rmse <= cv_limit and abs(self.nmbe) <= nmbe_limit

    def record(self) -> BaselineFit:
        cv_limit, nmbe_limit = self.limits
        return BaselineFit(
            carrier=self.carrier,
            form=self.form,
            coefficients={t: float(v) for t, v in zip(self.terms, self.params, strict=True)},
            balance_point_c=self.balance_point_c,
            n_baseline=self.n,
            r2=self.r2,
            cv_rmse=self.cv_rmse,
            nmbe=self.nmbe,
            autocorrelation=self.autocorrelation,
            cv_rmse_limit=cv_limit,
            nmbe_limit=nmbe_limit,
            passes=self.passes,
        )


def _ols(
    carrier: Carrier,
    form: BaselineForm,
    terms: tuple[str, ...],
    d: Drivers,
    y: np.ndarray,
    balance: float | None,
) -> Model | None:
    x = design(form, terms, d, balance)
    n, k = x.shape
    if n <= k + (balance is not None) or np.linalg.matrix_rank(x) < k:
        return None
    result = sm.OLS(y, x).fit()
    residuals = y - result.fittedvalues
    sse = float(np.sum(residuals**2))
    kk = k + (balance is not None)
    bic = n * np.log(max(sse, 1e-300) / n) + kk * np.log(n)
    return Model(
        carrier=carrier,
        form=form,
        terms=terms,
        params=np.asarray(result.params),
        cov=np.asarray(result.normalized_cov_params),
        sigma2=sse / max(n - kk, 1),
        balance_point_c=balance,
        n=n,
        residuals=np.asarray(residuals),
        fitted=np.asarray(result.fittedvalues),
        y_mean=float(np.mean(y)),
        bic=float(bic),
        p_values=np.asarray(result.pvalues),
    )


def _qualifies(model: Model) -> bool:
    """Every slope after the base load positive and significant (CalTRACK 2.0 sec. 3.4.3.2)."""
    slopes = model.params[1:]
    return bool(np.all(slopes > 0) and np.all(model.p_values[1:] < SLOPE_P_VALUE))


def _balance_points(form: BaselineForm, d: Drivers) -> list[float]:
    assert d.temperature_c is not None
    n = len(d.temperature_c)
    needed = max(3, int(np.ceil(MIN_DEGREE_SHARE * n)))
    points = []
    for t in BALANCE_POINTS_C:
        side = d.temperature_c < t if form == "change_point_heating" else d.temperature_c > t
        if needed <= int(np.sum(side)) <= n - 1:
            points.append(t)
    return points


def fit_baseline(carrier: Carrier, drivers: Drivers, energy: np.ndarray) -> Model:
    """Fit every form the data carry and keep the best qualifying one (lowest BIC).

    Parameters
    ----------
    carrier
        The carrier (kept in the result).
    drivers
        Days, production, degree days, temperature of the baseline periods, in time order.
    energy
        Metered use per period in the canonical unit (minus any non-routine adjustment).

    Returns
    -------
    Model
        The chosen fit. With fewer periods than parameters even the mean cannot be fitted and
        the mean with a zero variance estimate is returned (callers check ``n`` first).
    """
    y = np.asarray(energy, dtype=float)
    short = bool(np.mean(drivers.days) < MONTHLY_DAYS)
    candidates: list[Model] = []
    for form in FORM_TERMS:
        terms = _terms(form, drivers)
        if terms is None:
            continue
        if form.startswith("change_point"):
            fits = [
                _ols(carrier, form, terms, drivers, y, tb) for tb in _balance_points(form, drivers)
            ]
            usable = [m for m in fits if m is not None]
            if not usable:
                continue
            best = min(usable, key=lambda m: float(np.sum(m.residuals**2)))
            candidates.append(best)
        else:
            model = _ols(carrier, form, terms, drivers, y, None)
            if model is not None:
                candidates.append(model)
    qualifying = [m for m in candidates if m.form == "mean" or _qualifies(m)]
    if not qualifying:
        rate = float(np.sum(y) / np.sum(drivers.days)) if np.sum(drivers.days) > 0 else 0.0
        residuals = y - rate * drivers.days
        chosen = Model(
            carrier=carrier, form="mean", terms=("days",), params=np.array([rate]),
            cov=np.zeros((1, 1)), sigma2=0.0, balance_point_c=None, n=len(y),
            residuals=residuals, fitted=rate * drivers.days, y_mean=float(np.mean(y)) or 1.0,
            bic=np.inf, p_values=np.array([np.nan]),
        )  # fmt: skip
    else:
        chosen = min(qualifying, key=lambda m: m.bic)
    chosen.short_interval = short
    return chosen
