"""A second generated world ("world2"), written from deliberately different assumptions.

:mod:`features.sources.synthetic` is the project's own generator. A model that only does well
there may have learned that generator's assumptions rather than anything about factories. This
module makes the same tables (:class:`~features.sources.schema.Dataset`: factories with
``PROFILE_COLUMNS``, outcomes with ``OUTCOME_COLUMNS``, truth with ``TRUTH_COLUMNS``, a
fingerprinted report), so every training and evaluation path accepts it, but it assumes other
things. It keeps the project's catalogue, its candidate and applicability rules, its conversion
physics and its emission-factor table, so the truth covers every applicable physical measure the
service scores. Everything is drawn from one seeded ``numpy.random.Generator`` in a fixed order.

How world2 differs from synthetic.py (every number is sourced or marked ASSUMPTION where it is
set):

1. Plants. US and Chinese plants (half each). Money is in USD for US plants and in CNY for
   Chinese ones (``revenue_currency``, outcome ``currency``). All programme sectors are equally
   likely. Employees have heavier tails, and electricity grows faster than linearly with
   employees. Reporting years are spread over 2010-2024, so time splits have something to
   split.
2. End uses. Each sector's mean split is the EIA MECS 2018 default perturbed once per world
   (log-normal, sd 0.4). Each plant draws its own split from a Dirichlet with LOW concentration
   (4, against synthetic's 30), so plants of one sector differ a lot. Only 15% of plants declare
   their split (``end_use_shares``). For the others the tool falls back to the MECS default, and
   the model meets the gap.
3. True effect of a measure. It is a fraction of the TRUE energy of the measure's end uses. The
   fraction is the geometric middle of the catalogue's typical range, multiplied by:
   - a size factor that saturates (economies of scale);
   - a plant "how much is left" factor: well-run plants have less to save, most of all in
     operational measures;
   - heavy-tailed heterogeneity (Student-t with 3 degrees of freedom, in logs).
   Heat measures (boilers, waste heat, CHP, furnace heat recovery, fuel switch, combustion)
   also scale with the plant's TRUE share of fuel that goes to process heat and steam. That
   share is hidden whenever the split is not declared. Heat recovery and CHP pay only above a
   scale: a ramp in the heat they act on, or in running hours for CHP. On-site generation uses a
   Beta(2, 3) share of its physical potential. Storage changes energy use by a uniform draw
   inside the catalogue's signed range.
4. Interactions. Measures act on (carrier, end-use) cells. In the truth, the applicable measures
   of a plant are applied one after another to what the earlier ones left. The order is:
   management measures first, then technology upgrades, then structural changes, and catalogue
   order within a family. ASSUMPTION: cut the load, then make the equipment efficient, then
   change the supply. So a measure's true saving is its saving once every applicable measure
   before it has been done. Two measures on the same end use save less together than their
   standalone sum: ``f1 E + f2 (1 - f1) E < (f1 + f2) E``. Energy a conversion adds on another
   carrier (a heat pump's electricity) is not handed to the later measures. ``interactions=False``
   gives each measure's standalone effect, as synthetic.py does.
5. Optimism. Outcome rows are the auditor's ESTIMATES: reported = true / R. R is the realisation
   rate (metered / estimated), one log-normal draw per pair (log sd 0.35), applied to every
   carrier. Among the recommendations its median is 0.65 for management measures, 0.75 for
   technology upgrades and 0.85 for structural changes. The auditor picks on its own estimates,
   which favours pairs with a low R (the winner's curse), so the draw is shifted until the
   recommended pairs show these medians, as an evaluation of done projects would. Anchored on
   ``../shared/data/savings-realisation-evidence`` (DATACARD.md, realisation.md): a central
   realisation of about 0.6-0.75 and a range of 0.4-1.0. The split by family is an ASSUMPTION.
   The truth table holds what a meter would find: the true expected saving. Auditors also
   under-estimate cost (median 0.9, ASSUMPTION).
6. Adoption. Each plant has a payback threshold (log-normal). A recommendation is more likely to
   be adopted the further its estimated payback falls below that threshold. Larger plants adopt
   more, and adoption rises over the years. The intercept is calibrated to the IAC
   implementation rate (48.4%).
7. Costs. A fixed cost plus a variable cost with economies of scale (the six-tenths rule). The
   variable cost is calibrated so that a reference project pays back in the catalogue's typical
   payback. PV gets cheaper over the years (LBNL Tracking the Sun). Costs in China mix the
   market exchange rate and the PPP factor (World Bank).

See ``docs/synthetic-data.md``, section "A second world".
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.accounting.factors import FactorTable
from features.accounting.prices import default_price
from features.carriers import CARRIERS, ELECTRICITY
from features.catalogue.applicability import candidate_pairs
from features.catalogue.candidates import FactoryEnergy, Pairs, pairs
from features.catalogue.measures import Catalogue, Family, Measure
from features.enduses.physics import conversion_added
from features.enduses.shares import data_centre_shares, default_shares, energy_gj_matrix
from features.enduses.taxonomy import EndUse
from features.errors import InvalidValueError
from features.profile import PROFILE_COLUMNS, format_end_use_shares
from features.regions import CHINA_PROVINCES, US_STATES, Country, grid_region
from features.sector_stats import SECTOR_STATS
from features.sectors import Sector
from features.sources.schema import (
    SAVED_COLUMN,
    DataReport,
    Dataset,
    fingerprint,
    implemented_from_status,
    outcome_tco2e,
)

# The first generator's sourced IAC statistics, and three of its private helpers, imported
# rather than copied (synthetic.py is not edited): one home for reading a payback off the
# catalogue, for the intercept calibration and for the truth table's layout.
from features.sources.synthetic import (
    EMPLOYEES_LOG_MEAN,
    EMPLOYEES_LOG_SD,
    RECS_PER_FACTORY,
    STATUS_NOT_REPORTED,
    STATUS_PENDING,
    STATUS_UNKNOWN,
    TARGET_ADOPTION,
    _calibrate_intercept,
    _payback_median,
    _truth_frame,
)
from features.units import (
    GJ_PER_CANONICAL,
    GJ_PER_KWH,
    GJ_PER_MMBTU,
    PROFILE_FIELD,
    USD_PER,
    Carrier,
)

END_USES = list(EndUse)
_SECTORS = list(Sector)
_PROVINCES = list(CHINA_PROVINCES)
_HEAVY = (Sector.STEEL, Sector.BUILDING_MATERIALS, Sector.NON_FERROUS_METALS,
          Sector.PETROCHEMICALS_CHEMICALS)  # fmt: skip
_HEAT_USES = (EndUse.PROCESS_HEATING, EndUse.STEAM, EndUse.CHP)

# --- plants -------------------------------------------------------------------------------
#: Share of US plants. ASSUMPTION (synthetic.py makes Chinese plants only).
US_SHARE = 0.5
#: Employees: the IAC median (ln 4.78, SECTOR_STATS source), with Student-t tails of 4 degrees
#: of freedom at the IAC log sd of 0.92. ASSUMPTION on the tails.
EMPLOYEES_T_DF = 4
#: Electricity grows as employees^1.1 around the IAC kWh per employee of the sector at the median
#: plant (122 employees). ASSUMPTION on the exponent.
ELECTRICITY_SCALE_EXPONENT = 1.1
MEDIAN_EMPLOYEES = 122.0
#: Fuel use is log-normal around the sector's IAC gas MMBtu per MWh of electricity
#: (SECTOR_STATS), at the IAC log spread (synthetic.py shrinks it by 0.8). Which fuel a fuel user
#: burns: coal rather than gas for 50% of Chinese plants in heavy sectors and 20% elsewhere; fuel
#: oil rather than gas for 8% of US plants. ASSUMPTIONS.
CN_COAL_SHARE_HEAVY, CN_COAL_SHARE_OTHER, US_FUEL_OIL_SHARE = 0.5, 0.2, 0.08
#: Chinese plants buying steam (industrial parks): 10%. ASSUMPTION.
CN_PURCHASED_HEAT_RATE = 0.1
#: Per-sector mean split: MECS default x log-normal(0, 0.4) per cell, once per world. Per-plant
#: split: Dirichlet with this concentration around it. ASSUMPTIONS: with 4, a share of 0.5 has
#: an sd of about 0.22, against about 0.09 in synthetic.py (concentration 30).
SECTOR_MEAN_LOG_SD = 0.4
SHARE_CONCENTRATION = 4.0
MIN_SHARE = 1e-4
#: Plants that declare their split, and data centres that declare their PUE. ASSUMPTIONS.
SHARES_DECLARED = 0.15
PUE_DECLARED = 0.5
#: Sites with a declared wind/water resource (2-20% of their electricity); chemical and steel
#: plants with by-product hydrogen (0.02-0.1 Nm3 per kWh). ASSUMPTIONS.
WIND_HYDRO_RATE, HYDROGEN_RATE = 0.1, 0.1
#: Plants with a residue supply for biomass boilers. ASSUMPTION.
BIOMASS_SUPPLY_RATE = 0.25
#: Chance a measure is already in place: 0.02 + 0.12 x management quality (0-1). ASSUMPTION:
#: well-run plants have done more already.
IN_PLACE_BASE, IN_PLACE_PER_QUALITY = 0.02, 0.12

# --- true effects ---------------------------------------------------------------------------
#: Economies of scale: the fraction is multiplied by 2 E / (E + E_half). E is the site's true
#: energy in GJ, and E_half is near the median generated site (39,000 GJ at seed 0). ASSUMPTION.
SITE_GJ_HALF = 40_000.0
#: "How much is left": (1.5 - quality) ** weight, where quality ~ Beta(2, 2) is 1 for the
#: best-run plants. ASSUMPTION: operational measures depend on it most.
HEADROOM_WEIGHT: dict[Family, float] = {
    Family.MANAGEMENT_OPTIMISATION: 1.5,
    Family.TECHNOLOGY_UPGRADE: 1.0,
    Family.STRUCTURAL_CHANGE: 0.3,
}
#: Unexplained heterogeneity: exp(0.3 x t with 3 degrees of freedom), clipped to exp(+-2.5).
#: ASSUMPTION (heavier tails than synthetic's log-normal 0.25).
HETEROGENEITY_SCALE, HETEROGENEITY_DF, HETEROGENEITY_CLIP = 0.3, 3, 2.5
#: Heat measures: their fraction scales with the plant's true share of fuel going to process
#: heat, steam and CHP, relative to 0.4. The factor is clipped to 0.2-2.5. ASSUMPTION: plants
#: that burn mostly for heat run hotter, steadier processes with more to recover.
HEAT_MEASURES = frozenset({
    "boiler_economiser", "boiler_replacement", "waste_heat_recovery", "combined_heat_and_power",
    "furnace_heat_recovery", "fuel_switch_to_natural_gas", "combustion_optimisation",
})  # fmt: skip
HEAT_SHARE_REFERENCE, HEAT_FACTOR_CLIP = 0.4, (0.2, 2.5)
#: Heat recovery pays only above a scale. The fraction ramps in log from a floor of 0.05 at
#: 5,000 GJ/yr of the heat the measure acts on to 1 at 50,000 GJ/yr. ASSUMPTION.
RECOVERY_MEASURES = frozenset({"waste_heat_recovery", "furnace_heat_recovery",
                               "boiler_economiser"})  # fmt: skip
RECOVERY_RAMP_GJ, RECOVERY_FLOOR = (5_000.0, 50_000.0), 0.05
#: CHP pays with long hours: a ramp from 4,000 to 7,000 h/yr. ASSUMPTION.
CHP_HOURS_RAMP = (4_000.0, 7_000.0)
#: On-site generation uses a Beta(2, 3) share (mean 0.4) of its physical potential. ASSUMPTION:
#: shading, roof load limits and grid-connection limits are common.
GENERATION_MEASURES = frozenset({"rooftop_pv", "solar_thermal", "hydrogen_fuel_cell",
                                 "onsite_wind_and_hydro"})  # fmt: skip
#: Storage changes energy by a uniform draw inside the catalogue's signed range.
STORAGE_MEASURES = frozenset({"thermal_energy_storage", "green_microgrid_storage"})
#: Order of application in the truth (see the module docstring, point 4).
FAMILY_ORDER = (Family.MANAGEMENT_OPTIMISATION, Family.TECHNOLOGY_UPGRADE,
                Family.STRUCTURAL_CHANGE)  # fmt: skip

# --- estimates, costs, adoption ----------------------------------------------------------------
#: Realisation rate (metered / estimated), median per family. Anchored on the sourced central
#: 0.6-0.75 and range 0.4-1.0 (../shared/data/savings-realisation-evidence/realisation.md;
#: Burlig et al. 2020: 0.60; EPIC summary: at most 0.63). The split by family is an
#: ASSUMPTION: behavioural savings fade, and metered generation is easier to estimate.
REALISATION_MEDIAN: dict[Family, float] = {
    Family.MANAGEMENT_OPTIMISATION: 0.65,
    Family.TECHNOLOGY_UPGRADE: 0.75,
    Family.STRUCTURAL_CHANGE: 0.85,
}
REALISATION_LOG_SD = 0.35  # ASSUMPTION: an 80% range of about 0.48-1.17 around 0.75
#: Fixed-point steps that offset the auditor's selection (see :func:`_audit`).
REALISATION_CALIBRATION_STEPS = 4
#: Auditor's cost estimate / true cost: log-normal, median 0.9, sd 0.3. ASSUMPTION.
COST_ESTIMATE_MEDIAN, COST_ESTIMATE_LOG_SD = 0.9, 0.3
#: Capex = fixed + unit x size^0.6. The exponent is the six-tenths rule (R. Williams Jr.,
#: "Six-tenths factor aids in approximating costs", Chemical Engineering 54, 1947). Size is the
#: GJ/yr the measure acts on (for on-site generation, the GJ/yr it generates). The unit cost
#: makes a reference project (SIZE_REF_GJ, saving the measure's base fraction, valued at
#: PRICE_REF_USD_PER_GJ) pay back in the catalogue's typical payback (geometric middle). The
#: fixed costs, reference size and prices are ASSUMPTIONS. The reference prices are of the order
#: of US industrial prices: electricity 0.072 USD/kWh = 20 USD/GJ, fuel 8 USD/GJ.
COST_EXPONENT = 0.6
SIZE_REF_GJ = 2_000.0
PRICE_REF_USD_PER_GJ = {"electricity": 20.0, "fuel": 8.0}
FIXED_COST_USD: dict[Family, float] = {
    Family.MANAGEMENT_OPTIMISATION: 2_000.0,
    Family.TECHNOLOGY_UPGRADE: 5_000.0,
    Family.STRUCTURAL_CHANGE: 20_000.0,
}
CAPEX_LOG_SD = 0.3  # ASSUMPTION
#: PV price trend: LBNL Tracking the Sun 2019, large non-residential median 6.211 (2010) ->
#: 2.407 (2018) real 2018 USD/W, i.e. x0.888 a year
#: (../shared/data/pv-installed-cost-us-china/DATACARD.md). The same trend is applied to both
#: countries and is extended past 2018 (ASSUMPTION).
PV_COST_TREND_PER_YEAR, PV_COST_BASE_YEAR = 0.888, 2018
#: China: half of a measure's cost is local (labour, installation: World Bank PPP factor 2023,
#: 3.6407 CNY per international $), half traded (market rate 2023, 7.0840 CNY/USD)
#: (../shared/data/wb-ppp-fx-chn-usa-1990-2025). The 50/50 split is an ASSUMPTION.
CN_LOCAL_COST_SHARE, CN_PPP_2023, CN_FX_2023 = 0.5, 3.6407, 7.0840
#: Adoption: logit = intercept + 1.2 ln(threshold / estimated payback) + 0.3 ln(employees /
#: 122) + 0.05 (year - 2017) + family effect. The per-plant payback threshold is log-normal,
#: median 2 years, sd 0.5. All ASSUMPTIONS. The intercept is calibrated to TARGET_ADOPTION
#: (IAC RECC: 48.4% implemented of known outcomes).
THRESHOLD_MEDIAN_YEARS, THRESHOLD_LOG_SD = 2.0, 0.5
PAYBACK_WEIGHT, SIZE_WEIGHT, YEAR_WEIGHT, YEAR_CENTRE = 1.2, 0.3, 0.05, 2017
ADOPTION_FAMILY_EFFECT: dict[Family, float] = {
    Family.MANAGEMENT_OPTIMISATION: 0.3,
    Family.TECHNOLOGY_UPGRADE: 0.0,
    Family.STRUCTURAL_CHANGE: -0.3,
}
#: Auditor: recommends 1 + Poisson(6.5) measures (mean 7.5, the IAC mean RECS_PER_FACTORY). It
#: ranks them by ln(estimated gross value) - 0.15 x estimated payback (capped at 20 years), plus
#: Gumbel noise. ASSUMPTION: no popularity term, unlike synthetic.py.
AUDITOR_PAYBACK_WEIGHT = 0.15


@dataclass(frozen=True)
class World2Config:
    """Size, seed and the main knobs of the second world (defaults as documented above)."""

    n_factories: int = 2_000
    seed: int = 0
    first_year: int = 2010
    last_year: int = 2024
    share_concentration: float = SHARE_CONCENTRATION
    shares_declared: float = SHARES_DECLARED
    #: Apply overlapping measures one after another in the truth (False: standalone effects).
    interactions: bool = True


@dataclass(frozen=True)
class _Plants:
    """Observed and hidden traits of the generated plants, one array entry per plant."""

    us: np.ndarray  # bool
    region: np.ndarray  # province or state
    sector: np.ndarray  # index into _SECTORS
    year: np.ndarray
    employees: np.ndarray
    energy: dict[Carrier, np.ndarray]  # canonical units
    hours: np.ndarray
    floor_m2: np.ndarray
    roof_m2: np.ndarray
    revenue_usd: np.ndarray
    quality: np.ndarray  # management quality, 0-1, hidden
    payback_threshold: np.ndarray  # years, hidden
    shares: np.ndarray  # (plants, carriers, end uses), true split, hidden unless declared
    declares_shares: np.ndarray
    pue: np.ndarray
    pue_declared: np.ndarray
    wind_hydro_kwh: np.ndarray
    hydrogen_nm3: np.ndarray
    biomass_supply: np.ndarray  # hidden

    @property
    def generates(self) -> np.ndarray:
        """Plants that could generate on site (a roof or a declared wind/water resource)."""
        result: np.ndarray = (self.roof_m2 > 0) | (self.wind_hydro_kwh > 0)
        return result


def generate_world2(
    config: World2Config | None = None, table: FactorTable | None = None
) -> Dataset:
    """Generate the second world's factories, outcomes and ground truth.

    Parameters
    ----------
    config
        Size, seed, years and knobs (see :class:`World2Config`).
    table
        Emission factors for the tCO2e columns (bundled table by default).

    Returns
    -------
    Dataset
        The tables of :func:`features.sources.synthetic.generate`, with ``report.source ==
        "world2"``. Outcome savings are the auditor's optimistic estimates. The truth holds the
        true expected savings, with overlapping measures applied one after another. Money is
        in each plant's currency.
    """
    config = config or World2Config()
    if config.n_factories < 1:
        raise InvalidValueError("n_factories", config.n_factories, ">= 1")
    if config.first_year > config.last_year:
        raise InvalidValueError("first_year", config.first_year, f"<= {config.last_year}")
    started = time.perf_counter()
    table = table or FactorTable.default()
    rng = np.random.default_rng(config.seed)
    catalogue = Catalogue.default()
    # Route measures are engineering estimates, never learned; the truth holds the others.
    measures = [
        m for m in catalogue.measures.values() if m.reduction_kind == "physical" and m.route is None
    ]
    plants = _draw_plants(config, rng)
    in_place = _draw_in_place(plants, measures, rng)
    ids = np.array([f"w2-{config.seed}-{i:06d}" for i in range(config.n_factories)])
    factories = _factory_frame(plants, ids, in_place, measures)

    applicable = _applicable(factories, measures, catalogue)
    # True GJ per (plant, carrier, end use): the energy the tool sees, split the true way.
    cells = energy_gj_matrix(factories)[:, :, None] * plants.shares
    saved = _true_savings(measures, plants, factories, cells, applicable, catalogue, rng, config)
    kg_per_unit = _factor_matrix(plants, table)
    price = _local_prices(plants)  # (plants, carriers), plant's currency per canonical unit
    tco2e = np.einsum("mcn,cn->mn", saved, kg_per_unit) / 1000
    cost_savings = np.einsum("mcn,nc->mn", saved, price)
    capex = _true_capex(measures, plants, cells, saved, applicable, catalogue, rng)

    audit = _audit(measures, saved, price, cost_savings, capex, applicable, rng)
    est_payback, recommended, realisation = audit.payback, audit.recommended, audit.realisation
    family = [m.family for m in measures]
    logit = (
        PAYBACK_WEIGHT * (np.log(plants.payback_threshold)[None, :] - np.log(est_payback))
        + SIZE_WEIGHT * np.log(plants.employees / MEDIAN_EMPLOYEES)[None, :]
        + YEAR_WEIGHT * (plants.year - YEAR_CENTRE)[None, :]
        + np.array([ADOPTION_FAMILY_EFFECT[f] for f in family])[:, None]
    )
    intercept = _calibrate_intercept(logit[recommended], TARGET_ADOPTION)
    p_adopt = 1 / (1 + np.exp(-(intercept + logit)))

    outcomes = _outcome_frame(
        measures,
        ids,
        plants,
        factories,
        saved / realisation[:, None, :],
        audit.cost,
        p_adopt,
        recommended,
        price,
        table,
        rng,
    )
    truth = _truth_frame(
        measures, ids, saved, tco2e, cost_savings, capex, p_adopt, applicable, recommended
    )
    recommended_r = realisation[recommended]
    report = DataReport(
        source="world2",
        detail=(
            f"seed={config.seed}, n_factories={config.n_factories}, years "
            f"{config.first_year}-{config.last_year}, interactions={config.interactions}"
        ),
        rows_in={"factories": len(factories), "outcomes": len(outcomes)},
        rows_used={"factories": len(factories), "outcomes": len(outcomes)},
        notes=[
            f"{len(truth):,} applicable (factory, measure) pairs with ground truth",
            f"{plants.declares_shares.mean():.1%} of plants declare their end-use split",
            f"median realisation (true / reported) of the recommendations "
            f"{np.median(recommended_r) if recommended_r.size else float('nan'):.3f}",
            f"adoption intercept {intercept:.3f} calibrated to {TARGET_ADOPTION:.1%} implemented",
            f"generated in {time.perf_counter() - started:.1f} s",
        ],
    )
    report.fingerprint = fingerprint(factories, outcomes, truth)
    return Dataset(factories=factories, outcomes=outcomes, truth=truth, report=report)


# --- plants -------------------------------------------------------------------------------
def _draw_plants(config: World2Config, rng: np.random.Generator) -> _Plants:
    n = config.n_factories
    us = rng.random(n) < US_SHARE
    region = np.where(
        us,
        np.array(US_STATES)[rng.integers(0, len(US_STATES), n)],
        np.array(_PROVINCES)[rng.integers(0, len(_PROVINCES), n)],
    )  # uniform over states and provinces: ASSUMPTION
    sector = rng.integers(0, len(_SECTORS), n)  # every sector equally likely: ASSUMPTION
    year = rng.integers(config.first_year, config.last_year + 1, n)
    stats = [SECTOR_STATS[s] for s in _SECTORS]

    def per_sector(attr: str) -> np.ndarray:
        return np.array([getattr(s, attr) for s in stats])[sector]

    log_employees = EMPLOYEES_LOG_MEAN + EMPLOYEES_LOG_SD * rng.standard_t(EMPLOYEES_T_DF, n)
    employees = np.clip(np.round(np.exp(log_employees)), 5, 20_000)
    electricity = np.clip(
        per_sector("kwh_per_employee")
        * MEDIAN_EMPLOYEES
        * (employees / MEDIAN_EMPLOYEES) ** ELECTRICITY_SCALE_EXPONENT
        * np.exp(rng.normal(0, 1, n) * per_sector("kwh_log_sd")),
        1e4,
        5e10,
    )
    elec_gj = electricity * GJ_PER_KWH
    # Fuel GJ (LHV, gas at 0.9 of HHV) per GJ of electricity, from the IAC MMBtu per MWh.
    fuel_per_elec = per_sector("gas_mmbtu_per_mwh") * GJ_PER_MMBTU * 0.9 / 3.6
    fuel_gj = np.clip(
        elec_gj * fuel_per_elec * np.exp(rng.normal(0, 1, n) * per_sector("gas_log_sd")), 0, 5e8
    )
    burns_fuel = rng.random(n) < per_sector("gas_rate")
    heavy = np.isin(sector, [_SECTORS.index(s) for s in _HEAVY])
    coal = ~us & (rng.random(n) < np.where(heavy, CN_COAL_SHARE_HEAVY, CN_COAL_SHARE_OTHER))
    oil = us & (rng.random(n) < US_FUEL_OIL_SHARE)
    energy = {c: np.zeros(n) for c in Carrier}
    energy[Carrier.ELECTRICITY] = electricity
    energy[Carrier.COAL] = np.where(burns_fuel & coal, fuel_gj, 0.0)
    energy[Carrier.FUEL_OIL] = np.where(burns_fuel & oil, fuel_gj, 0.0)
    energy[Carrier.NATURAL_GAS] = np.where(burns_fuel & ~coal & ~oil, fuel_gj, 0.0)
    # Small carriers: diesel for on-site vehicles, LPG, purchased steam (China). ASSUMPTIONS on
    # their size relative to electricity; the rates are IAC's per sector (SECTOR_STATS).
    energy[Carrier.DIESEL] = np.where(
        rng.random(n) < per_sector("oil_rate"), elec_gj * rng.lognormal(np.log(0.05), 0.8, n), 0
    )
    energy[Carrier.LPG] = np.where(
        rng.random(n) < per_sector("lpg_rate"), elec_gj * rng.lognormal(np.log(0.1), 1.0, n), 0
    )
    energy[Carrier.PURCHASED_HEAT] = np.where(
        ~us & (rng.random(n) < CN_PURCHASED_HEAT_RATE), elec_gj * rng.lognormal(0.0, 0.8, n), 0
    )
    hours = np.round(rng.uniform(2_000, 8_760, n))  # broad: ASSUMPTION
    floor = employees * per_sector("ft2_per_employee") * 0.092903 * rng.lognormal(0, 0.5, n)
    roof = floor * rng.uniform(0.0, 0.9, n) * (rng.random(n) < 0.8)  # ASSUMPTION
    revenue_usd = employees * per_sector("sales_usd_per_employee") * rng.lognormal(0, 0.6, n)
    quality = rng.beta(2.0, 2.0, n)
    threshold = rng.lognormal(np.log(THRESHOLD_MEDIAN_YEARS), THRESHOLD_LOG_SD, n)
    dc = sector == _SECTORS.index(Sector.COMPUTING_INFRASTRUCTURE)
    # Data centres: PUE log-normal around 1.6, 1.1-3.0 (ASSUMPTION near the 1.58 survey mean).
    pue = np.where(dc, np.clip(rng.lognormal(np.log(1.6), 0.2, n), 1.1, 3.0), np.nan)
    pue_declared = dc & (rng.random(n) < PUE_DECLARED)
    shares = _true_shares(sector, pue, config.share_concentration, rng)
    declares = ~dc & (rng.random(n) < config.shares_declared)
    chem = np.isin(sector, [_SECTORS.index(Sector.PETROCHEMICALS_CHEMICALS),
                            _SECTORS.index(Sector.STEEL)])  # fmt: skip
    wind = np.where(rng.random(n) < WIND_HYDRO_RATE, electricity * rng.uniform(0.02, 0.2, n), 0.0)
    hydrogen = np.where(
        chem & (rng.random(n) < HYDROGEN_RATE), electricity * rng.uniform(0.02, 0.1, n), 0.0
    )
    biomass_supply = rng.random(n) < BIOMASS_SUPPLY_RATE
    return _Plants(
        us=us,
        region=region,
        sector=sector,
        year=year,
        employees=employees,
        energy=energy,
        hours=hours,
        floor_m2=floor,
        roof_m2=roof,
        revenue_usd=revenue_usd,
        quality=quality,
        payback_threshold=threshold,
        shares=shares,
        declares_shares=declares,
        pue=pue,
        pue_declared=pue_declared,
        wind_hydro_kwh=wind,
        hydrogen_nm3=hydrogen,
        biomass_supply=biomass_supply,
    )


def _true_shares(
    sector: np.ndarray, pue: np.ndarray, concentration: float, rng: np.random.Generator
) -> np.ndarray:
    """(plants, carriers, end uses): a Dirichlet draw per plant and carrier around the sector's
    mean. That mean is the MECS default perturbed once per world; zero cells stay zero. Data
    centres split by their PUE."""
    table = default_shares()
    means = []
    for s in _SECTORS:
        base = table.blocks[table.block_for(s.value, "")]
        perturbed = base * np.exp(rng.normal(0, SECTOR_MEAN_LOG_SD, base.shape))
        total = perturbed.sum(axis=1, keepdims=True)
        means.append(np.where(total > 0, perturbed / np.where(total > 0, total, 1), base))
    alpha = np.stack(means)[sector] * concentration
    draws = rng.gamma(alpha)  # shape 0 draws 0
    # Shares below MIN_SHARE are dropped: a declared split has 4 decimals, and a share of 1e-300
    # would only make the site physics divide by nearly nothing.
    total = draws.sum(axis=2, keepdims=True)
    draws = np.where(draws > MIN_SHARE * total, draws, 0.0)
    total = draws.sum(axis=2, keepdims=True)
    shares: np.ndarray = np.where(total > 0, draws / np.where(total > 0, total, 1), alpha)
    for i in np.flatnonzero(np.isfinite(pue)):
        shares[i] = data_centre_shares(float(pue[i]))
    return shares


def _draw_in_place(
    plants: _Plants, measures: list[Measure], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    chance = IN_PLACE_BASE + IN_PLACE_PER_QUALITY * plants.quality
    return {m.id: rng.random(len(chance)) < chance for m in measures}


def _factory_frame(
    plants: _Plants, ids: np.ndarray, in_place: dict[str, np.ndarray], measures: list[Measure]
) -> pd.DataFrame:
    n = len(ids)
    country = np.where(plants.us, Country.US.value, Country.CN.value)
    currency = np.where(plants.us, "USD", "CNY")
    to_local = np.where(plants.us, 1.0, 1.0 / USD_PER["CNY"])
    price = _local_prices(plants)
    in_place_text = [";".join(m.id for m in measures if in_place[m.id][i]) for i in range(n)]
    fuel_cost = sum(
        (
            plants.energy[c] * price[:, k]
            for k, c in enumerate(CARRIERS)
            if c != Carrier.ELECTRICITY
        ),
        np.zeros(n),
    )
    data: dict[str, object] = {
        "factory_id": ids,
        "country": country,
        "region": plants.region,
        "grid": [grid_region(Country(c), r) for c, r in zip(country, plants.region, strict=True)],
        "sector": np.array([s.value for s in _SECTORS])[plants.sector],
        "naics_code": None,
        "reporting_year": plants.year,
        "employees": plants.employees.astype(int),
        "floor_area_m2": plants.floor_m2.round(0),
        "annual_revenue": (plants.revenue_usd * to_local).round(-3),
        "revenue_currency": currency,
        "operating_hours_per_year": plants.hours,
        **{PROFILE_FIELD[c]: plants.energy[c].round(1) for c in Carrier},
        "electricity_cost_per_year": (
            plants.energy[Carrier.ELECTRICITY] * price[:, ELECTRICITY]
        ).round(0),
        "fuel_cost_per_year": fuel_cost.round(0),
        "onsite_renewable_kwh": 0.0,
        "green_electricity_contract_kwh": 0.0,
        "green_certificates_kwh": 0.0,
        "roof_area_available_m2": plants.roof_m2.round(0),
        "measures_in_place": in_place_text,
        "end_use_shares": _declared_shares(plants),
        "it_load_kwh": np.nan,
        "pue": np.where(plants.pue_declared, plants.pue.round(2), np.nan),
        "byproduct_hydrogen_nm3": plants.hydrogen_nm3.round(0),
        "onsite_wind_hydro_kwh_potential": plants.wind_hydro_kwh.round(0),
        "heat_sink_temperature_c": np.nan,
        "production": "",
        "co2_captured_stored_t": 0.0,
        "offsets_tco2e": 0.0,
        "electricity_price": np.nan,
        "fuel_prices": "",
    }
    return pd.DataFrame(data, columns=list(PROFILE_COLUMNS))


def _declared_shares(plants: _Plants) -> np.ndarray:
    """The true split as profile text for plants that declare it ("" for the others)."""
    out = np.full(len(plants.hours), "", dtype=object)
    for i in np.flatnonzero(plants.declares_shares):
        shares: dict[tuple[Carrier, EndUse], float] = {}
        for ci, c in enumerate(CARRIERS):
            if plants.energy[c][i] <= 0:
                continue
            row = np.round(plants.shares[i, ci], 4)
            row = row / max(row.sum(), 1.0)  # rounding never adds up to more than 1
            shares.update({(c, u): float(row[ui]) for ui, u in enumerate(END_USES) if row[ui] > 0})
        out[i] = format_end_use_shares(shares)
    return out


def _local_prices(plants: _Plants) -> np.ndarray:
    """(plants, carriers) the region's default price (features/data/energy_prices.csv) in the
    plant's currency per canonical unit."""
    cache: dict[tuple[bool, str], np.ndarray] = {}
    out = np.empty((len(plants.us), len(CARRIERS)))
    for i, (us, region) in enumerate(zip(plants.us.tolist(), plants.region.tolist(), strict=True)):
        key = (us, region)
        if key not in cache:
            country, local = ("US", "USD") if us else ("CN", "CNY")
            found = [default_price(country, region, c) for c in CARRIERS]
            cache[key] = np.array([p.price * USD_PER[p.currency] / USD_PER[local] for p in found])
        out[i] = cache[key]
    return out


def _factor_matrix(plants: _Plants, table: FactorTable) -> np.ndarray:
    """kg CO2e per canonical unit, (carriers, plants): each plant's country, region and year."""
    keys = list(zip(plants.us.tolist(), plants.region.tolist(), plants.year.tolist(), strict=True))
    lookup = {
        key: [
            table.resolve(c, Country.US if key[0] else Country.CN, key[1], key[2]).kgco2e_per_unit
            for c in CARRIERS
        ]
        for key in set(keys)
    }
    return np.array([lookup[key] for key in keys]).T


# --- true effects -------------------------------------------------------------------------
def _applicable(
    factories: pd.DataFrame, measures: list[Measure], catalogue: Catalogue
) -> np.ndarray:
    """(measures, plants): the service's candidates, judged on the split the tool sees."""
    seen = candidate_pairs(FactoryEnergy.of(factories), measures, catalogue)
    column = {m.id: j for j, m in enumerate(measures)}
    out = np.zeros((len(measures), len(factories)), dtype=bool)
    out[[column[str(k)] for k in seen.keys], seen.factory_index] = True
    return out


def _true_savings(
    measures: list[Measure],
    plants: _Plants,
    factories: pd.DataFrame,
    cells: np.ndarray,
    applicable: np.ndarray,
    catalogue: Catalogue,
    rng: np.random.Generator,
    config: World2Config,
) -> np.ndarray:
    """True energy saved (measures, carriers, plants), canonical units, positive = saved.

    Measures are applied in :data:`FAMILY_ORDER`; with ``config.interactions`` each acts on the
    (carrier, end use) cells the earlier ones left (see the module docstring). Draws do not
    depend on ``interactions``, so the two settings share every random number.
    """
    n = len(plants.hours)
    index = np.arange(n)
    energy_gj = cells.sum(axis=2)
    true_energy = FactoryEnergy(factories=factories, energy_gj=energy_gj, shares=plants.shares)
    left = cells.copy()
    site_gj = energy_gj.sum(axis=1)
    scale = 2 * site_gj / (site_gj + SITE_GJ_HALF)
    fuel_cells = cells[:, 1:, :]
    fuel_total = fuel_cells.sum(axis=(1, 2))
    heat = fuel_cells[:, :, [END_USES.index(u) for u in _HEAT_USES]].sum(axis=(1, 2))
    heat_share = np.divide(heat, fuel_total, out=np.zeros(n), where=fuel_total > 0)
    heat_factor = np.clip(heat_share / HEAT_SHARE_REFERENCE, *HEAT_FACTOR_CLIP)
    arrays = catalogue.arrays
    out = np.zeros((len(measures), len(CARRIERS), n))
    order = sorted(range(len(measures)), key=lambda j: FAMILY_ORDER.index(measures[j].family))
    for j in order:
        m = measures[j]
        keys = np.full(n, m.id, dtype=object)
        alone = pairs(true_energy, index, keys, catalogue)
        if config.interactions:
            with np.errstate(invalid="ignore", divide="ignore"):
                totals = left.sum(axis=2)
                shares = np.where(totals[:, :, None] > 0, left / totals[:, :, None], 0.0)
            found = pairs(FactoryEnergy(factories, totals, shares), index, keys, catalogue)
        else:
            found = alone
        t = HETEROGENEITY_SCALE * rng.standard_t(HETEROGENEITY_DF, n)
        het = np.exp(np.clip(t, -HETEROGENEITY_CLIP, HETEROGENEITY_CLIP))
        share_of_potential = rng.beta(2.0, 3.0, n)
        uniform = rng.random(n)
        fraction = _fraction(
            m, found, alone, plants, scale, heat_factor, het, share_of_potential, uniform
        )
        fraction = np.where(applicable[j], fraction, 0.0)
        displaced = found.targeted_gj * fraction[:, None]
        added = conversion_added(
            found.conversions, displaced, found.by_use_gj * fraction[:, None], factories, index
        )
        out[j] = ((displaced - added) / GJ_PER_CANONICAL).T
        if config.interactions:
            row = arrays.rows([m.id])[0]
            mask = arrays.reduced[row][None, :, None] & arrays.end_uses[row][None, None, :]
            left -= np.clip(fraction, 0, None)[:, None, None] * left * mask
    return out


def _fraction(
    m: Measure,
    found: Pairs,
    alone: Pairs,
    plants: _Plants,
    scale: np.ndarray,
    heat_factor: np.ndarray,
    het: np.ndarray,
    share_of_potential: np.ndarray,
    uniform: np.ndarray,
) -> np.ndarray:
    """Fraction of the energy ``found`` that ``m`` displaces, per plant (see the docstring)."""
    typical = m.typical_saving
    low, high = (typical.low, typical.high) if typical is not None else (0.0, 0.0)
    if m.id in GENERATION_MEASURES:
        result: np.ndarray = found.cap * share_of_potential
        return result
    if m.id in STORAGE_MEASURES:
        # A battery without on-site generation only shifts load and loses energy.
        top = np.where((m.id == "green_microgrid_storage") & ~plants.generates, min(high, 0), high)
        storage: np.ndarray = np.minimum(low + (top - low) * uniform, found.cap)
        return storage
    fraction = _base_fraction(m) * scale * (1.5 - plants.quality) ** HEADROOM_WEIGHT[m.family] * het
    if m.id in HEAT_MEASURES:
        fraction = fraction * heat_factor
    if m.id in RECOVERY_MEASURES:
        fraction = fraction * _log_ramp(alone.targeted_gj.sum(axis=1), *RECOVERY_RAMP_GJ)
    if m.id == "combined_heat_and_power":
        lo, hi = CHP_HOURS_RAMP
        fraction = fraction * np.clip((plants.hours - lo) / (hi - lo), 0, 1)
    if m.id == "biomass_and_waste_fuels":
        fraction = fraction * plants.biomass_supply
    clipped: np.ndarray = np.clip(fraction, 0.0, found.cap)
    return clipped


def _base_fraction(m: Measure) -> float:
    """Geometric middle of the catalogue's typical range (synthetic.py takes the arithmetic
    middle); 0.3 x the top where the range starts at 0. ASSUMPTION."""
    typical = m.typical_saving
    if typical is None or typical.high <= 0:
        return 0.0
    return float(np.sqrt(typical.low * typical.high)) if typical.low > 0 else 0.3 * typical.high


def _log_ramp(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """RECOVERY_FLOOR at or below ``low``, 1 at or above ``high``, linear in log between."""
    with np.errstate(divide="ignore"):
        position = (np.log(np.maximum(x, 1e-9)) - np.log(low)) / (np.log(high) - np.log(low))
    result: np.ndarray = RECOVERY_FLOOR + (1 - RECOVERY_FLOOR) * np.clip(position, 0, 1)
    return result


def _true_capex(
    measures: list[Measure],
    plants: _Plants,
    cells: np.ndarray,
    saved: np.ndarray,
    applicable: np.ndarray,
    catalogue: Catalogue,
    rng: np.random.Generator,
) -> np.ndarray:
    """(measures, plants) true implementation cost in the plant's currency: fixed + unit x
    size^0.6, the PV trend, China's cost level (see the constants). ``cells`` is the true GJ per
    (plant, carrier, end use)."""
    n = len(plants.hours)
    arrays = catalogue.arrays
    to_local = np.where(
        plants.us, 1.0, CN_LOCAL_COST_SHARE * CN_PPP_2023 + (1 - CN_LOCAL_COST_SHARE) * CN_FX_2023
    )
    out = np.zeros((len(measures), n))
    for j, m in enumerate(measures):
        if m.id in GENERATION_MEASURES:
            # Sized by what it generates: the energy it displaces.
            size = np.clip(saved[j] * GJ_PER_CANONICAL[:, None], 0, None).sum(axis=0)
            base = 1.0
        else:
            row = arrays.rows([m.id])[0]
            mask = arrays.reduced[row][None, :, None] & arrays.end_uses[row][None, None, :]
            size = (cells * mask).sum(axis=(1, 2))
            base = max(_base_fraction(m), 0.005)
        price = PRICE_REF_USD_PER_GJ[
            "electricity" if Carrier.ELECTRICITY in m.carriers_reduced else "fuel"
        ]
        unit = _payback_median(m) * base * price * SIZE_REF_GJ ** (1 - COST_EXPONENT)
        usd = FIXED_COST_USD[m.family] + unit * size**COST_EXPONENT
        if m.id == "rooftop_pv":
            usd = usd * PV_COST_TREND_PER_YEAR ** (plants.year - PV_COST_BASE_YEAR)
        noise = np.exp(rng.normal(0, CAPEX_LOG_SD, n))
        out[j] = np.where(applicable[j], usd * noise * to_local, 0.0)
    return out


# --- auditor and outcomes ---------------------------------------------------------------------
@dataclass(frozen=True)
class _Audit:
    """The auditor's view of every applicable (measure, plant) pair, and its picks."""

    realisation: np.ndarray  # true / estimated saving, one per pair
    cost: np.ndarray  # estimated implementation cost, plant's currency
    payback: np.ndarray  # estimated simple payback, years (50 when it saves no money)
    recommended: np.ndarray  # bool


def _audit(
    measures: list[Measure],
    saved: np.ndarray,
    price: np.ndarray,
    cost_savings: np.ndarray,
    capex: np.ndarray,
    applicable: np.ndarray,
    rng: np.random.Generator,
) -> _Audit:
    """Estimates and picks. The auditor ranks by its own, optimistic estimates, so the pairs it
    picks have a lower realisation than the draw (the winner's curse). The cited realisation is
    measured on projects that were recommended, so the draw's median is shifted per family until
    the recommendations show :data:`REALISATION_MEDIAN`. The random numbers are drawn once, and
    the shift is found in a few fixed-point steps."""
    shape = capex.shape
    families = list(Family)
    code = np.array([families.index(m.family) for m in measures])
    target = np.log([REALISATION_MEDIAN[f] for f in families])
    z = rng.standard_normal(shape)
    cost = capex * np.exp(rng.normal(np.log(COST_ESTIMATE_MEDIAN), COST_ESTIMATE_LOG_SD, shape))
    noise = rng.gumbel(0, 1.0, shape)
    k = np.clip(1 + rng.poisson(RECS_PER_FACTORY - 1, shape[1]), 1, 25)
    gross = np.einsum("mcn,nc->mn", np.clip(saved, 0, None), price)
    shift = np.zeros(len(families))
    for step in range(REALISATION_CALIBRATION_STEPS + 1):
        log_r = (target + shift)[code][:, None] + REALISATION_LOG_SD * z
        r = np.exp(log_r)
        value = cost_savings / r
        payback = np.where(value > 0, cost / np.maximum(value, 1e-9), 50.0)
        recommended = _recommend(gross / r, payback, applicable, noise, k)
        if step == REALISATION_CALIBRATION_STEPS:
            break
        for f in range(len(families)):
            picked = recommended & (code == f)[:, None]
            if picked.any():
                shift[f] += target[f] - np.median(log_r[picked])
    return _Audit(realisation=r, cost=cost, payback=payback, recommended=recommended)


def _recommend(
    est_gross: np.ndarray,
    est_payback: np.ndarray,
    applicable: np.ndarray,
    noise: np.ndarray,
    k: np.ndarray,
) -> np.ndarray:
    """(measures, plants): the auditor's ``k`` picks per plant, ranked by estimated value and
    payback plus ``noise`` (see :data:`AUDITOR_PAYBACK_WEIGHT`)."""
    m_count, n = est_gross.shape
    score = (
        np.log(np.clip(est_gross, 1e-9, None))
        - AUDITOR_PAYBACK_WEIGHT * np.minimum(est_payback, 20.0)
        + noise
    )
    score[~applicable | (est_gross <= 0)] = -np.inf
    order = np.argsort(-score, axis=0)
    rank = np.empty_like(order)
    rank[order, np.arange(n)[None, :]] = np.arange(m_count)[:, None]
    result: np.ndarray = (rank < k[None, :]) & np.isfinite(score)
    return result


def _outcome_frame(
    measures: list[Measure],
    ids: np.ndarray,
    plants: _Plants,
    factories: pd.DataFrame,
    reported_saved: np.ndarray,
    cost_estimate: np.ndarray,
    p_adopt: np.ndarray,
    recommended: np.ndarray,
    price: np.ndarray,
    table: FactorTable,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """One row per recommendation, by plant then measure: the auditor's estimates, the status."""
    m_idx, f_idx = np.nonzero(recommended)
    order = np.lexsort((m_idx, f_idx))
    m_idx, f_idx = m_idx[order], f_idx[order]
    rows = len(m_idx)
    saved = reported_saved[m_idx, :, f_idx]
    adopted = rng.random(rows) < p_adopt[m_idx, f_idx]
    status = np.where(adopted, "implemented", "not_implemented").astype(object)
    u = rng.random(rows)
    unknown_end = STATUS_UNKNOWN
    not_reported_end = unknown_end + STATUS_NOT_REPORTED
    status[u < unknown_end] = "unknown"
    status[(u >= unknown_end) & (u < not_reported_end)] = "not_reported"
    status[(u >= not_reported_end) & (u < not_reported_end + STATUS_PENDING)] = "pending"
    measure_ids = np.array([m.id for m in measures])
    families = np.array([m.family.value for m in measures])
    data: dict[str, object] = {
        "outcome_id": [f"{ids[i]}-{measure_ids[j]}" for i, j in zip(f_idx, m_idx, strict=True)],
        "factory_id": ids[f_idx],
        "measure_id": measure_ids[m_idx],
        "arc_code": None,
        "measure_group": families[m_idx],
        "year": plants.year[f_idx],
        **{SAVED_COLUMN[c]: saved[:, k].round(3) for k, c in enumerate(CARRIERS)},
        "demand_kw_months_saved": np.nan,
        "tco2e_saved": 0.0,
        "cost_savings_per_year": (saved * price[f_idx]).sum(axis=1).round(2),
        "implementation_cost": cost_estimate[m_idx, f_idx].round(0),
        "currency": np.where(plants.us[f_idx], "USD", "CNY"),
        "implementation_status": status,
        "implemented": implemented_from_status(pd.Series(status)),
        "streams_complete": True,
    }
    frame = pd.DataFrame(data)
    frame["tco2e_saved"] = outcome_tco2e(frame, factories, table).to_numpy()
    return frame
