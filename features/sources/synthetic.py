"""Generated factories and measure outcomes with a known ground truth (the embedded default).

Everything is drawn from one seeded ``numpy.random.Generator`` in a fixed order, so a seed
always gives the same tables. See ``docs/synthetic-data.md`` for how the parameters were derived.

The story the data tell:

1. Factories: sector, province, size and energy mix are drawn from distributions calibrated to
   the real IAC plants (FY1981-2021; parameters in :data:`SECTOR_STATS`). Chinese factories burn
   more coal than US ones; that adjustment is stated where it is made.
2. Each factory has unobserved traits (end-use shares of motors, compressed air, lighting and
   cooling; the share of fuel used for steam; management quality) that shape the true effect of
   each measure, so a model sees the effect only through observable features plus noise.
3. True effect of every applicable physical measure: an energy change per carrier that depends
   nonlinearly on the factory (drives on motor share and hours, PV on roof area and the province's
   solar yield, heat recovery on fuel scale and sector, heat pumps on the grid and climate, ...),
   scaled to the share of its end uses one audited project covers, which is smaller at larger
   plants (fitted to the real audits' savings as a share of plant use).
4. A simulated auditor recommends about 7.5 measures per factory (the IAC mean), favouring large
   savings, quick paybacks and the measures auditors recommend often; reported savings and costs
   carry estimation noise.
5. Adoption responds to up-front cost and annual savings, with cost weighing more than annual
   savings (Anderson & Newell 2004, on IAC data), and hardly to payback itself, as a logit fitted
   to the IAC RECC table finds; the intercept is calibrated so that about 48.4% of
   recommendations with a known outcome are implemented, as in the IAC RECC table.

The parameters fitted to the real audits, and the real statistic each was fitted to, are in the
block "Fitted to the real audits" below; scripts/calibration_table.py measures the fit.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.accounting.factors import FactorTable
from features.accounting.prices import default_price
from features.catalogue.applicability import candidate_pairs
from features.catalogue.candidates import FactoryEnergy, pairs
from features.catalogue.measures import Catalogue, Family, GeneratedAssumptions, Measure
from features.enduses.physics import conversion_added
from features.enduses.shares import (
    apply_overrides,
    data_centre_shares,
    default_shares,
    energy_gj_matrix,
)
from features.enduses.taxonomy import EndUse
from features.errors import InvalidValueError
from features.process_routes.definitions import ProductionLine
from features.process_routes.emissions import reductant_shares
from features.profile import PROFILE_COLUMNS, format_end_use_shares, format_production
from features.regions import CHINA_PROVINCES, Country
from features.sector_stats import SECTOR_STATS
from features.sectors import Sector
from features.sources.schema import (
    SAVED_COLUMN,
    DataReport,
    Dataset,
    fingerprint,
    implemented_from_status,
)
from features.units import GJ_PER_CANONICAL, GJ_PER_KWH, PROFILE_FIELD, USD_PER, Carrier

#: IAC employees: log-normal, mean of ln 4.78, sd 0.92 (median 122).
EMPLOYEES_LOG_MEAN, EMPLOYEES_LOG_SD = 4.78, 0.92
#: Minimum share given to programme sectors that IAC barely covers, so every sector is learnable.
MIN_SECTOR_SHARE = 0.02
#: Coal use is far more common in Chinese industry than in IAC plants. Assumption: the chance of
#: burning coal is raised to at least these values in China (heavy sectors higher).
CN_COAL_RATE: dict[Sector, float] = {
    Sector.STEEL: 0.6, Sector.BUILDING_MATERIALS: 0.6, Sector.NON_FERROUS_METALS: 0.4,
    Sector.PETROCHEMICALS_CHEMICALS: 0.45, Sector.TEXTILES: 0.3, Sector.LIGHT_INDUSTRY: 0.2,
}  # fmt: skip
#: Purchased steam/heat (industrial parks): assumption, share of Chinese factories buying it.
CN_PURCHASED_HEAT_RATE = 0.2
#: USD -> CNY for sales and prices (2023 average, about 7.08).
CNY_PER_USD = 1 / USD_PER["CNY"]
#: Energy prices: the package's national defaults for China (features/data/energy_prices.csv).
PRICE_CNY: dict[Carrier, float] = {c: default_price("CN", "", c).price for c in Carrier}
_PRICE_YEARS = {default_price("CN", "", c).year for c in Carrier}
#: Year of those prices (2023), hence of every generated amount of money; None if they mixed years.
PRICE_YEAR: int | None = min(_PRICE_YEARS) if len(_PRICE_YEARS) == 1 else None
#: Illustrative provincial weights (relative industrial output: 3 = largest).
PROVINCE_WEIGHT: dict[str, float] = {
    **{p: 1.0 for p in CHINA_PROVINCES},
    **{p: 3.0 for p in ("Jiangsu", "Guangdong", "Zhejiang", "Shandong")},
    **{p: 2.0 for p in ("Henan", "Hebei", "Fujian", "Hubei", "Sichuan", "Anhui", "Hunan",
                        "Shanghai", "Liaoning")},
}  # fmt: skip
#: Share of recommendations with status K (unknown), blank (not reported) and P (pending) in the
#: IAC RECC table (FY1981-2021): 2.1%, 0.5%, 0.25%.
STATUS_UNKNOWN, STATUS_NOT_REPORTED, STATUS_PENDING = 0.021, 0.005, 0.0025
#: Target implementation rate I / (I + N) of IAC recommendations, measured 48.4%. Over FY1981-2021;
#: it fell by decade (56.3% in FY1981-1990, 49.4%, 46.3%, 45.8% in FY2011-2021, n=36,928), so
#: generated audits dated 2021-2024 sit about 2.6 points above the latest real decade.
TARGET_ADOPTION = 0.484
#: Mean number of recommendations per IAC plant (7.5, sd 2.85).
RECS_PER_FACTORY = 7.5

_SECTORS = list(Sector)
_PROVINCES = list(CHINA_PROVINCES)

_HEAVY = {Sector.STEEL, Sector.BUILDING_MATERIALS, Sector.NON_FERROUS_METALS,
          Sector.PETROCHEMICALS_CHEMICALS}  # fmt: skip

# Each measure's generator assumptions (operating-hours exponent, management sensitivity, auditor
# popularity, share already in place, base fraction where the catalogue's range cannot give it,
# and how its effect arises) are in its catalogue entry (features/data/measures.yaml,
# ``generated``), with their basis, validated when the catalogue loads.
#: Concentration of the per-factory end-use split around the sector default (Dirichlet-like;
#: 30 gives a share of 0.5 a standard deviation of about 0.09). ASSUMPTION.
SHARE_CONCENTRATION = 30.0
#: Share of generated factories that report their end-use split (the rest rely on defaults),
#: and of data centres that report their PUE. ASSUMPTION.
END_USES_REPORTED = 0.3
PUE_REPORTED = 0.7
#: Chemical and steel plants with by-product hydrogen to declare (chlor-alkali, coke-oven gas,
#: dehydrogenation). ASSUMPTION: 15% of them.
_HYDROGEN_SECTORS = (Sector.PETROCHEMICALS_CHEMICALS, Sector.STEEL)
HYDROGEN_RATE = 0.15
WIND_HYDRO_RATE = 0.2


#: Heavy-industry plants that declare a production route (ASSUMPTION: 60%; the rest describe
#: only their energy, as many profiles will). Route and output follow the plant's energy: output =
#: energy of the route's main carrier / an intensity drawn inside the route's range
#: (features/data/process_routes.yaml), so energy, reductant share and process emissions agree.
ROUTE_DECLARED = 0.6
#: (sector, main carrier) -> (product, route, GJ of that carrier per t (low, high)); electricity
#: in GJ. Intensities: crude steel BF-BOF coal 14-20 GJ/t; scrap EAF 1.4-2.2 GJ (400-600 kWh)/t;
#: primary aluminium 46-52 GJ (12.8-14.5 MWh)/t; cement coal 2.1-2.5 GJ/t cement (3.0-3.6 GJ/t
#: clinker x 0.70); float glass gas 5.5-9 GJ/t; ammonia gas 28-38, coal 38-50 GJ/t.
_ROUTES: dict[tuple[Sector, Carrier], tuple[str, str, tuple[float, float]]] = {
    (Sector.STEEL, Carrier.COAL): ("crude_steel", "bf_bof", (14.0, 20.0)),
    (Sector.STEEL, Carrier.ELECTRICITY): ("crude_steel", "scrap_eaf", (1.4, 2.2)),
    (Sector.NON_FERROUS_METALS, Carrier.ELECTRICITY): ("primary_aluminium", "electrolysis",
                                                       (46.0, 52.0)),
    (Sector.BUILDING_MATERIALS, Carrier.COAL): ("cement", "dry_kiln", (2.1, 2.5)),
    (Sector.BUILDING_MATERIALS, Carrier.NATURAL_GAS): ("flat_glass", "float", (5.5, 9.0)),
    (Sector.PETROCHEMICALS_CHEMICALS, Carrier.COAL): ("ammonia", "coal_gasification",
                                                      (38.0, 50.0)),
    (Sector.PETROCHEMICALS_CHEMICALS, Carrier.NATURAL_GAS): ("ammonia", "gas_reforming",
                                                             (28.0, 38.0)),
}  # fmt: skip


def _stable_seed(name: str) -> int:
    return zlib.crc32(name.encode())


class _Factories:
    """Arrays describing the generated factories (observed and latent)."""

    def __init__(self, n: int, rng: np.random.Generator, years: tuple[int, int]) -> None:
        weights = np.array(
            [max(SECTOR_STATS[s].iac_share, MIN_SECTOR_SHARE) for s in _SECTORS], dtype=float
        )
        self.sector = rng.choice(len(_SECTORS), size=n, p=weights / weights.sum())
        pw = np.array([PROVINCE_WEIGHT[p] for p in _PROVINCES])
        self.province = rng.choice(len(_PROVINCES), size=n, p=pw / pw.sum())
        self.year = rng.integers(years[0], years[1] + 1, size=n)
        stats = [SECTOR_STATS[_SECTORS[i]] for i in range(len(_SECTORS))]

        def per_sector(attr: str) -> np.ndarray:
            return np.array([getattr(s, attr) for s in stats])[self.sector]

        self.employees = np.maximum(
            np.round(np.exp(rng.normal(EMPLOYEES_LOG_MEAN, EMPLOYEES_LOG_SD, n))), 5
        )
        self.electricity = (
            self.employees
            * per_sector("kwh_per_employee")
            * np.exp(rng.normal(0, 1, n) * per_sector("kwh_log_sd") * 0.8)
        )
        mwh = self.electricity / 1000
        uses_gas = rng.random(n) < per_sector("gas_rate")
        gas_mmbtu = (
            mwh
            * per_sector("gas_mmbtu_per_mwh")
            * np.exp(rng.normal(0, 1, n) * per_sector("gas_log_sd") * 0.8)
        )
        self.energy: dict[Carrier, np.ndarray] = {c: np.zeros(n) for c in Carrier}
        self.energy[Carrier.ELECTRICITY] = self.electricity
        gas_gj = gas_mmbtu * 1.055056 * 0.9
        coal_rate = np.maximum(
            per_sector("coal_rate"),
            np.array([CN_COAL_RATE.get(s, 0.05) for s in _SECTORS])[self.sector],
        )
        uses_coal = rng.random(n) < coal_rate
        # Coal users burn coal for most of their heat; a heavy plant burns more.
        heavy = np.isin(self.sector, [_SECTORS.index(s) for s in _HEAVY])
        coal_gj = np.where(uses_coal, gas_gj * np.where(heavy, 2.5, 1.2) + mwh * 2.0, 0.0)
        self.energy[Carrier.NATURAL_GAS] = np.where(
            uses_gas & ~(uses_coal & (rng.random(n) < 0.6)), gas_gj, 0.0
        )
        self.energy[Carrier.COAL] = coal_gj
        uses_oil = rng.random(n) < per_sector("oil_rate")
        oil_gj = mwh * np.exp(rng.normal(np.log(0.8), 1.0, n))
        diesel = rng.random(n) < 0.5
        self.energy[Carrier.DIESEL] = np.where(uses_oil & diesel, oil_gj, 0.0)
        self.energy[Carrier.FUEL_OIL] = np.where(uses_oil & ~diesel, oil_gj, 0.0)
        self.energy[Carrier.LPG] = np.where(
            rng.random(n) < per_sector("lpg_rate"), mwh * np.exp(rng.normal(np.log(0.3), 1.0, n)), 0
        )
        self.energy[Carrier.PURCHASED_HEAT] = np.where(
            rng.random(n) < CN_PURCHASED_HEAT_RATE, mwh * np.exp(rng.normal(np.log(2.0), 0.8, n)), 0
        )
        self.hours = np.clip(
            per_sector("hours") * np.exp(rng.normal(0, 0.3, n)), 1500, 8760
        ).round()
        self.revenue_cny = (
            self.employees
            * per_sector("sales_usd_per_employee")
            * CNY_PER_USD
            * np.exp(rng.normal(0, 0.6, n))
        )
        self.floor_m2 = (
            self.employees
            * per_sector("ft2_per_employee")
            * 0.092903
            * np.exp(rng.normal(0, 0.5, n))
        )
        self.roof_m2 = self.floor_m2 * rng.uniform(0.0, 0.8, n) * (rng.random(n) < 0.85)
        self.management = rng.normal(0, 1, n)  # higher = worse managed, more to gain
        self.heavy = heavy
        self._end_uses(rng, n)
        # Own stream, so adding routes left every other generated number as it was.
        self._production(np.random.default_rng(int(rng.integers(2**31)) ^ _stable_seed("routes")))

    def _end_uses(self, rng: np.random.Generator, n: int) -> None:
        """True end-use split: the sector default (EIA MECS 2018) perturbed per factory; a share
        of factories report theirs, the rest leave the tool to use the default."""
        table = default_shares()
        dc = _SECTORS.index(Sector.COMPUTING_INFRASTRUCTURE)
        # Data centres: PUE 1.2-2.0 (ASSUMPTION around the 1.58 survey mean), 70% report it.
        self.pue = np.where(
            self.sector == dc, np.clip(rng.lognormal(np.log(1.5), 0.15, n), 1.1, 2.5), np.nan
        )
        self.pue_reported = (self.sector == dc) & (rng.random(n) < PUE_REPORTED)
        base = np.stack(
            [
                data_centre_shares(float(self.pue[i])) if self.sector[i] == dc
                else table.blocks[table.block_for(_SECTORS[self.sector[i]].value, "")]
                for i in range(n)
            ]
        )  # fmt: skip
        draws = rng.gamma(SHARE_CONCENTRATION * base + 0.0)  # shape 0 draws 0: zeros stay zero
        total = draws.sum(axis=2, keepdims=True)
        self.shares = np.where(total > 0, draws / np.where(total > 0, total, 1), base)
        self.shares[self.sector == dc] = base[self.sector == dc]  # PUE already varies
        self.reports_end_uses = (rng.random(n) < END_USES_REPORTED) & (self.sector != dc)
        chem = np.isin(self.sector, [_SECTORS.index(s) for s in _HYDROGEN_SECTORS])
        # A fifth of sites have a wind or water resource worth 5-30% of their electricity
        # (ASSUMPTION), which they declare.
        self.wind_hydro_kwh = np.where(
            rng.random(n) < WIND_HYDRO_RATE, self.electricity * rng.uniform(0.05, 0.3, n), 0.0
        )
        self.hydrogen_nm3 = np.where(
            chem & (rng.random(n) < HYDROGEN_RATE),
            self.electricity * rng.uniform(0.02, 0.2, n),  # Nm3 per kWh: ASSUMPTION
            0.0,
        )

    def _production(self, rng: np.random.Generator) -> None:
        """Routes and output of heavy plants (``ROUTE_DECLARED``), and the true end-use split
        with the route's reductant or feedstock carved out of its carrier."""
        n = len(self.sector)
        self.production: list[tuple[ProductionLine, ...]] = [() for _ in range(n)]
        declared = rng.random(n) < ROUTE_DECLARED
        draw = rng.random(n)
        for i in np.nonzero(declared & self.heavy)[0]:
            sector = _SECTORS[self.sector[i]]
            # The plant's largest carrier among those with a route in its sector.
            options = [
                (float(self.energy[c][i]) * (GJ_PER_KWH if c == Carrier.ELECTRICITY else 1.0), c)
                for (s, c) in _ROUTES
                if s == sector and self.energy[c][i] > 0
            ]
            if not options:
                continue
            gj, carrier = max(options)
            product, route, (low, high) = _ROUTES[(sector, carrier)]
            output = gj / (low + draw[i] * (high - low))
            line = ProductionLine(product=product, route=route, output_t=round(output, 0))
            self.production[i] = (line.validated("production[0]"),)
            energy = {c: float(self.energy[c][i]) for c in Carrier}
            energy[Carrier.ELECTRICITY] *= GJ_PER_KWH
            implied = reductant_shares(self.production[i], energy)
            if implied:
                self.shares[i] = apply_overrides(self.shares[i], implied)


def _assumptions(measure: Measure) -> GeneratedAssumptions:
    """The measure's ``generated`` block (the catalogue requires it of every measure drawn)."""
    g = measure.generated
    if g is None:
        raise InvalidValueError(
            f"{measure.id}.generated", None, "the generator's assumptions in the catalogue"
        )
    return g


def _base_fraction(measure: Measure) -> float:
    """The mean fraction a measure saves (before the factory's hours, management and
    unexplained spread): its ``generated.fraction`` where given (conversions and storage),
    else the middle of the catalogue's typical range; 0 for a physical potential."""
    g = _assumptions(measure)
    if g.fraction is not None:
        return g.fraction
    typical = measure.typical_saving
    if g.effect == "potential" or typical is None:
        return 0.0
    return (typical.low + typical.high) / 2


def _payback_median(measure: Measure) -> float:
    """Median true payback, years: the geometric middle of the catalogue's typical range."""
    typical = measure.typical_payback_years
    if typical is None:
        raise InvalidValueError(
            f"{measure.id}.typical_payback_years", None, "a range in the catalogue"
        )
    return float(np.sqrt(max(typical.low, 0.1) * max(typical.high, 0.2)))


# --- Fitted to the real audits --------------------------------------------------------------
# Real statistics: IAC primary-stream RECC release joined with the 2026 ASSESS table (FY1981-2021,
# money in 2024 USD by CPI-U), as read by features.sources.iac, unless stated. The table of
# generated against real, the KS distances and how like is matched with like (primary stream,
# rounded-ARC group, Chinese generated plants) come from scripts/calibration_table.py and are in
# docs/evaluation.md ("Generated against real audits").
#: Spread (log sd) of a measure's true effect between factories that no observable explains.
#: Fitted to the real spread of one recommendation's saving as a share of the plant's use of its
#: stream: electricity p10 0.12%, median 0.90%, p90 6.0% (n=93,347); gas 0.35% / 3.2% / 20.8%
#: (n=24,722). The one full-schema centre sample (UConn, FY2022-2025, decimal ARCs) gives 1.31
#: within a measure (log sd of 265 electricity savings about their measure's mean). Was 0.25.
EFFECT_LOG_SD = 1.3
#: Share of the targeted end uses' energy one audited project acts on, at a plant of reference
#: size (1 = the whole end use: the catalogue's typical fraction as it stands): measures that
#: touch electricity; measures on fuels only. Fitted to the real medians above (0.90% of plant
#: electricity, 3.2% of plant gas per recommendation) and to the per-plant totals (a plant's
#: recommended savings over its use: electricity median 7.9%, p90 28.5%, n=19,249 plants; gas
#: 10.8% / 43.9%, n=10,967); the catalogue's fractions are whole-end-use figures.
PROJECT_SCOPE_ELECTRICITY, PROJECT_SCOPE_FUELS = 0.2, 1.0
#: How that share falls with the plant's use of what the measure acts on: the slope of ln(saving
#: / plant use) on ln(plant use) of the real recommendations, -0.40 for electricity (n=93,029)
#: and -0.43 for gas (n=24,700).
SCOPE_SIZE_ELASTICITY = -0.40
#: Reference use, GJ/yr: plant electricity (measures touching electricity), the median IAC plant's
#: 3.67 GWh; plant use of the fuels a fuel-only measure reduces, the median IAC gas user's 21,600
#: GJ (LHV).
SCOPE_REFERENCE_GJ_ELECTRICITY, SCOPE_REFERENCE_GJ_FUELS = 13_200.0, 21_600.0
#: Log sd of the true payback around the catalogue's geometric middle. The UConn sample gives 1.15
#: within a measure (ln of cost / yearly savings about its measure's mean), which holds the
#: reported cost's noise (0.35) and the savings estimate's (0.25): about 1.0 is left. Was 0.35.
PAYBACK_LOG_SD = 1.0
#: Multiplier of the catalogue's typical payback for efficiency measures on fuels only (boilers,
#: steam, furnaces, heat recovery, combustion; not conversions or solar heat). Real gas
#: recommendations cost 8.56 USD per GJ/yr saved (median, 2024 USD, n=23,048) and pay back in
#: 0.84 years (median; electricity 1.09, n=81,874): about half what the catalogue's literature
#: ranges give at the generator's gas price. Was 1.
PAYBACK_SCALE_FUEL_ONLY = 0.5
#: Fixed part of every implementation cost, CNY (about 145 USD of 2024). Fitted to the low end of
#: real implementation costs of energy recommendations: p10 279 USD, median 2,898 USD (2024 USD,
#: n=108,109). Was 2,000 CNY.
FIXED_COST_CNY = 1000.0
#: Adoption logit: ln(capex / 50,000 CNY), ln(annual cost savings / 20,000 CNY), payback (capped
#: at 10 years), management quality (higher = worse managed). A logit of implemented on ln(cost)
#: and ln(annual savings) fitted to the real recommendations with a known outcome, cost and
#: savings (n=124,872) gives -0.19 and +0.085 and no payback term once those two are in
#: (+0.001 per year); adoption falls only from 56% below half a year's payback to 39-40% beyond
#: three years. The same fit on the generated reported values gives -0.18 and +0.07 with these
#: (the unobserved family effect adds to them). Up-front cost still weighs more than annual
#: savings (Anderson and Newell 2004). Were -0.55, +0.30 and -0.25 per year.
ADOPTION_LN_COST, ADOPTION_LN_SAVINGS = -0.14, 0.055
ADOPTION_PER_PAYBACK_YEAR, ADOPTION_MANAGEMENT = 0.0, -0.15
#: How strongly the simulated auditor prefers measures that typically pay back quickly (weight of
#: -ln of the measure's typical payback in its score, next to ln annual value and popularity):
#: IAC auditors recommend quick wins. It acts on the kind of measure, not on a factory's lucky
#: draw, so the costs of recommended projects stay those of their kind (a preference for cheap
#: draws had the models trained on them quote rooftop PV at a 0.5-year payback). Fitted to the
#: real payback (p10 0.11, median 1.02, p90 4.31 years, n=107,789) and cost per kWh/yr saved
#: (median 0.108 USD of 2024, n=81,862). Was 0 (no preference).
AUDITOR_PAYBACK_WEIGHT = 0.9
#: Weight of ln(gross annual value) in the auditor's score. At 1 the auditor picked the largest
#: savings (median 3.1% of plant electricity per recommendation, per-plant median 25%); 0.75
#: fits the real 0.90% and 7.9% with the scope above. Was 1.
AUDITOR_VALUE_WEIGHT = 0.75
#: Multipliers of the auditor's popularity (the catalogue's generated.popularity): measures whose ARC is 2.5 or above
#: (design, operations, buildings, ancillary, alternative energy; rounded-ARC group 3) and measures
#: on fuels only. Fitted to what the real energy recommendations save (n=121,513): group 2 57.8%,
#: group 3 41.5%; primary stream electricity 76.9%, natural gas 20.5%, other fuels 2.6%. Were 1.
AUDITOR_POPULARITY_ARC_2_5_UP, AUDITOR_POPULARITY_FUEL_ONLY = 1.5, 0.5


def _payback_scale(measure: Measure) -> float:
    """Multiplier of the catalogue's typical payback: efficiency measures on fuels only take
    :data:`PAYBACK_SCALE_FUEL_ONLY`; conversions and on-site supply keep their cited range."""
    fuel_only = Carrier.ELECTRICITY not in measure.carriers_reduced
    efficiency = measure.conversion is None and _assumptions(measure).effect != "potential"
    return PAYBACK_SCALE_FUEL_ONLY if fuel_only and efficiency else 1.0


def _auditor_popularity(measure: Measure) -> float:
    """How often auditors pick the measure, other things equal (its ``generated.popularity``,
    then the fitted multipliers above)."""
    popularity = _assumptions(measure).popularity
    if measure.arc_prefixes and float(measure.arc_prefixes[0]) >= 2.5:
        popularity *= AUDITOR_POPULARITY_ARC_2_5_UP
    if Carrier.ELECTRICITY not in measure.carriers_reduced:
        popularity *= AUDITOR_POPULARITY_FUEL_ONLY
    return popularity


def _project_scope(measure: Measure, energy: FactoryEnergy) -> np.ndarray:
    """Share of its end uses' energy one audited project acts on, per factory, at most 1.

    Measures that touch electricity act on many distributed systems (motors, lights, compressed
    air, HVAC) and a project covers few of them; measures on fuels only act on a plant's few
    combustion systems (boilers, furnaces, ovens) and cover more. Either share falls with the
    plant's use of what the measure acts on: a larger plant has more systems than one project
    covers.
    """
    carriers = list(Carrier)
    if Carrier.ELECTRICITY in measure.carriers_reduced:
        use = energy.energy_gj[:, carriers.index(Carrier.ELECTRICITY)]
        scope, reference = PROJECT_SCOPE_ELECTRICITY, SCOPE_REFERENCE_GJ_ELECTRICITY
    else:
        use = energy.energy_gj[:, [carriers.index(c) for c in measure.carriers_reduced]].sum(1)
        scope, reference = PROJECT_SCOPE_FUELS, SCOPE_REFERENCE_GJ_FUELS
    share = scope * (np.maximum(use, 1.0) / reference) ** SCOPE_SIZE_ELASTICITY
    capped: np.ndarray = np.minimum(share, 1.0)  # a project cannot cover more than the end use
    return capped


#: Battery round-trip efficiency: 0.87, ASSUMPTION near the 85% lithium-ion figure PNNL's storage
#: cost and performance assessment is quoted for; a battery that only shifts load loses the rest.
BATTERY_ROUND_TRIP = 0.87


def _true_effects(
    measures: list[Measure],
    f: _Factories,
    energy: FactoryEnergy,
    catalogue: Catalogue,
    seed: int,
) -> np.ndarray:
    """True energy saved (measures, carriers, factories) in canonical units, positive = saved.

    Each measure displaces a fraction of the TRUE energy of its end uses (the factory's real
    split, which the tool sees only where the factory reports it), never more than its physical
    cap; conversions add energy by the same physics the tool uses.
    """
    n = len(f.hours)
    out = np.zeros((len(measures), len(Carrier), n))
    index = np.arange(n)
    to_units = GJ_PER_CANONICAL
    hours_rel = f.hours / 5000
    for j, m in enumerate(measures):
        rng = np.random.default_rng([seed, _stable_seed(m.id)])
        het = np.exp(rng.normal(0, EFFECT_LOG_SD, n))  # what no observable explains
        found = pairs(energy, index, np.full(n, m.id, dtype=object), catalogue)
        g = _assumptions(m)
        mult = het * hours_rel**g.hours_exponent * np.exp(0.25 * g.management * f.management)
        base = _base_fraction(m)
        match g.effect:
            case "potential":
                # The physical potential (roof, resource, hydrogen), used at 60-100%.
                fraction = found.cap * rng.uniform(0.6, 1.0, n)
            case "long_hours":
                # Pays only with long running hours.
                fraction = base * mult * np.clip((f.hours - 4000) / 4760, 0, 1)
            case "residue_supply":
                fraction = base * mult * (rng.random(n) < 0.35)  # a residue supply
            case "heat_recovery":
                # Recovery pays where there is a lot of high-grade heat.
                scale = 1 / (1 + np.exp(-(np.log1p(found.targeted_gj.sum(axis=1)) - np.log(2e4))))
                fraction = base * mult * (0.4 + 1.2 * scale) * np.where(f.heavy, 1.4, 1.0)
            case _:
                fraction = base * mult
        if g.effect != "potential":
            # A share of a physical potential, not of its end uses: no project scope applies.
            fraction = fraction * _project_scope(m, energy)
        fraction = np.clip(fraction, 0.0, found.cap)
        displaced = found.targeted_gj * fraction[:, None]
        added = conversion_added(
            found.conversions,
            displaced,
            found.by_use_gj * fraction[:, None],
            energy.factories,
            index,
        )
        net = displaced - added
        if g.effect == "battery":
            # Without on-site generation a battery only shifts load and loses energy.
            no_pv = f.roof_m2 <= 0
            cycled = 0.05 * energy.energy_gj[:, 0]
            net[no_pv, 0] = -(1 - BATTERY_ROUND_TRIP) * cycled[no_pv]
        out[j] = (net / to_units).T
    return out


@dataclass(frozen=True)
class SyntheticConfig:
    """Size and seed of a generated data set."""

    n_factories: int = 5_000
    seed: int = 0
    first_year: int = 2021
    last_year: int = 2024


#: Factories whose candidate pairs are found at once (memory; the result does not depend on it).
_PAIR_BLOCK_FACTORIES = 10_000


def generate(
    config: SyntheticConfig | None = None,
    table: FactorTable | None = None,
    catalogue: Catalogue | None = None,
) -> Dataset:
    """Generate factories, outcomes and ground truth.

    Parameters
    ----------
    config
        Number of factories, seed and year range.
    table
        Emission factors for the tCO2e columns (bundled table by default).
    catalogue
        The measures drawn, with their ``generated`` assumptions (bundled catalogue by default).

    Returns
    -------
    Dataset
        ``factories`` (profile columns), ``outcomes`` (recommended measures with observed,
        noisy savings, costs and adoption), ``truth`` (every applicable physical measure with
        its true effect) and the report.
    """
    config = config or SyntheticConfig()
    if config.n_factories < 1:
        raise InvalidValueError("n_factories", config.n_factories, ">= 1")
    started = time.perf_counter()
    # The simulation's (measures x factories) arrays are gone once it returns: the fingerprint
    # below then runs without them (the peak memory of generating 100k factories otherwise).
    factories, outcomes, truth, intercept = _simulate(
        config, table or FactorTable.default(), catalogue or Catalogue.default()
    )
    n = config.n_factories
    report = DataReport(
        source="synthetic",
        detail=f"seed={config.seed}, n_factories={n}, years {config.first_year}-{config.last_year}",
        rows_in={"factories": len(factories), "outcomes": len(outcomes)},
        rows_used={"factories": len(factories), "outcomes": len(outcomes)},
        # Every generated amount derives from the 2023 CNY default prices (energy_prices.csv).
        money_base_year=PRICE_YEAR,
        notes=[
            f"{len(truth):,} applicable (factory, measure) pairs with ground truth",
            f"adoption intercept {intercept:.3f} calibrated to {TARGET_ADOPTION:.1%} implemented",
            f"generated in {time.perf_counter() - started:.1f} s",
        ],
    )
    report.fingerprint = fingerprint(factories, outcomes, truth)
    return Dataset(factories=factories, outcomes=outcomes, truth=truth, report=report)


def _simulate(
    config: SyntheticConfig, table: FactorTable, catalogue: Catalogue
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, float]:
    """(factories, outcomes, truth, adoption intercept) of ``config``."""
    rng = np.random.default_rng(config.seed)
    n = config.n_factories
    f = _Factories(n, rng, (config.first_year, config.last_year))
    # Route measures (heavy-industry packs) are estimated by engineering arithmetic, never
    # learned, so the generator draws no outcomes for them.
    measures = [
        m for m in catalogue.measures.values() if m.reduction_kind == "physical" and m.route is None
    ]

    # Measures already in place.
    in_place = {m.id: rng.random(n) < _assumptions(m).in_place for m in measures}
    factory_ids = np.array([f"syn-{config.seed}-{i:06d}" for i in range(n)])
    factories = _factory_frame(f, factory_ids, in_place, measures)

    # Emission factors per factory (location-based): electricity by province and year.
    kg_per_unit = _factor_matrix(f, table)
    price = np.array([PRICE_CNY[c] for c in Carrier])

    m_count = len(measures)
    # Candidates as the tool sees the factory (reported split or defaults); effects from the
    # factory's true split.
    # Only which pairs apply is kept: the pairs' energy arrays (rows x carriers and end uses)
    # would be the largest thing generated, so they are found a block of factories at a time.
    seen_energy = FactoryEnergy.of(factories)
    column = {m.id: j for j, m in enumerate(measures)}
    applicable = np.zeros((m_count, n), dtype=bool)
    for start in range(0, n, _PAIR_BLOCK_FACTORIES):
        block = seen_energy.subset(slice(start, min(start + _PAIR_BLOCK_FACTORIES, n)))
        seen = candidate_pairs(block, measures, catalogue)
        applicable[[column[str(k)] for k in seen.keys], seen.factory_index + start] = True
    del seen_energy
    true_energy = FactoryEnergy(
        factories=factories, energy_gj=energy_gj_matrix(factories), shares=f.shares
    )
    saved = _true_effects(measures, f, true_energy, catalogue, config.seed)
    saved *= applicable[:, None, :]
    tco2e = np.einsum("mcn,cn->mn", saved, kg_per_unit) / 1000
    cost_savings = np.einsum("mcn,c->mn", saved, price)
    gross_value = np.einsum("mcn,c->mn", np.clip(saved, 0, None), price)

    payback_median = np.array([_payback_median(m) * _payback_scale(m) for m in measures])
    popularity = np.array([_auditor_popularity(m) for m in measures])
    # True capex: gross annual value x payback; larger projects are a little cheaper per unit.
    size = np.clip(gross_value, 1.0, None)
    median_size = np.median(size[applicable]) if applicable.any() else 1.0
    payback_true = (
        payback_median[:, None]
        * (size / median_size) ** -0.1
        * np.exp(rng.normal(0, PAYBACK_LOG_SD, (m_count, n)))
    )
    capex = np.where(applicable, gross_value * payback_true + FIXED_COST_CNY, 0.0)

    # Adoption: up-front cost weighs more than annual savings (both in log terms).
    family_effect = np.array(
        [
            {
                Family.MANAGEMENT_OPTIMISATION: 0.4,
                Family.TECHNOLOGY_UPGRADE: 0.0,
                Family.STRUCTURAL_CHANGE: -0.4,
            }[m.family]
            for m in measures
        ]
    )
    simple_payback = np.where(cost_savings > 0, capex / np.maximum(cost_savings, 1e-9), 50.0)
    logit_core = (
        ADOPTION_LN_COST * np.log(capex / 50_000 + 1e-9)
        + ADOPTION_LN_SAVINGS * np.log(np.clip(cost_savings, 1.0, None) / 20_000)
        + ADOPTION_PER_PAYBACK_YEAR * np.minimum(simple_payback, 10.0)
        + family_effect[:, None]
        + ADOPTION_MANAGEMENT * f.management[None, :]
    )

    # Auditor: recommends measures with large value that typically pay back quickly; about
    # RECS_PER_FACTORY per factory.
    score = (
        AUDITOR_VALUE_WEIGHT * np.log(np.clip(gross_value, 1.0, None))
        + np.log(popularity)[:, None]
        - AUDITOR_PAYBACK_WEIGHT * np.log(payback_median)[:, None]
        + rng.gumbel(0, 1.0, (m_count, n))
    )
    score[~applicable | (gross_value <= 0)] = -np.inf
    k = np.clip(rng.poisson(RECS_PER_FACTORY, n), 1, 25)
    order = np.argsort(-score, axis=0)
    rank = np.empty_like(order)
    rank[order, np.arange(n)[None, :]] = np.arange(m_count)[:, None]
    recommended = (rank < k[None, :]) & np.isfinite(score)

    intercept = _calibrate_intercept(logit_core[recommended], TARGET_ADOPTION)
    p_adopt = 1 / (1 + np.exp(-(intercept + logit_core)))
    # (measures x factories) arrays the tables below do not read: freed before they are built.
    del score, order, rank, logit_core, simple_payback, payback_true, size, gross_value
    del true_energy

    outcomes = _outcome_frame(
        measures,
        factory_ids,
        f,
        saved,
        tco2e,
        cost_savings,
        capex,
        p_adopt,
        recommended,
        price,
        kg_per_unit,
        rng,
    )
    truth = _truth_frame(
        measures, factory_ids, saved, tco2e, cost_savings, capex, p_adopt, applicable, recommended
    )
    return factories, outcomes, truth, intercept


def _calibrate_intercept(logits: np.ndarray, target: float) -> float:
    low, high = -10.0, 10.0
    for _ in range(60):
        mid = (low + high) / 2
        if (1 / (1 + np.exp(-(mid + logits)))).mean() < target:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def _factor_matrix(f: _Factories, table: FactorTable) -> np.ndarray:
    """kg CO2e per canonical unit, shape (carriers, factories)."""
    n = len(f.hours)
    out = np.zeros((len(Carrier), n))
    pairs = {(int(p), int(y)) for p, y in zip(f.province, f.year, strict=True)}
    lookup = {
        (p, y): table.resolve(Carrier.ELECTRICITY, Country.CN, _PROVINCES[p], y).kgco2e_per_unit
        for p, y in pairs
    }
    out[0] = [lookup[(int(p), int(y))] for p, y in zip(f.province, f.year, strict=True)]
    for i, carrier in enumerate(Carrier):
        if carrier != Carrier.ELECTRICITY:
            out[i] = table.resolve(carrier, Country.CN, "Beijing", 2023).kgco2e_per_unit
    return out


def _factory_frame(
    f: _Factories, ids: np.ndarray, in_place: dict[str, np.ndarray], measures: list[Measure]
) -> pd.DataFrame:
    n = len(ids)
    provinces = np.array(_PROVINCES)[f.province]
    grids = np.array([CHINA_PROVINCES[p][1].value for p in _PROVINCES])[f.province]
    in_place_text = np.full(n, "", dtype=object)
    for m in measures:
        mask = in_place[m.id]
        in_place_text[mask] = np.where(
            in_place_text[mask] == "", m.id, in_place_text[mask] + ";" + m.id
        )
    price = PRICE_CNY
    fuel_cost = sum(
        (f.energy[c] * price[c] for c in Carrier if c != Carrier.ELECTRICITY), np.zeros(n)
    )
    data: dict[str, object] = {
        "factory_id": ids,
        "country": "CN",
        "region": provinces,
        "grid": grids,
        "sector": np.array([s.value for s in _SECTORS])[f.sector],
        "naics_code": None,
        "reporting_year": f.year,
        "employees": f.employees.astype(int),
        "floor_area_m2": f.floor_m2.round(0),
        "annual_revenue": f.revenue_cny.round(-3),
        "revenue_currency": "CNY",
        "operating_hours_per_year": f.hours,
        **{PROFILE_FIELD[c]: f.energy[c].round(1) for c in Carrier},
        "electricity_cost_per_year": (f.electricity * price[Carrier.ELECTRICITY]).round(0),
        "fuel_cost_per_year": fuel_cost.round(0),
        "onsite_renewable_kwh": 0.0,
        "green_electricity_contract_kwh": 0.0,
        "green_certificates_kwh": 0.0,
        "roof_area_available_m2": f.roof_m2.round(0),
        "measures_in_place": in_place_text,
        "end_use_shares": _reported_shares(f),
        "it_load_kwh": np.nan,
        "pue": np.where(f.pue_reported, f.pue.round(2), np.nan),
        "byproduct_hydrogen_nm3": f.hydrogen_nm3.round(0),
        "onsite_wind_hydro_kwh_potential": f.wind_hydro_kwh.round(0),
        "heat_sink_temperature_c": np.nan,
        "production": [format_production(lines) for lines in f.production],
        "co2_captured_stored_t": 0.0,
        "offsets_tco2e": 0.0,
        "electricity_price": np.nan,
        "fuel_prices": "",
    }
    return pd.DataFrame(data, columns=list(PROFILE_COLUMNS))


def _reported_shares(f: _Factories) -> np.ndarray:
    """The true split as profile text for factories that report it ("" for the others)."""
    out = np.full(len(f.hours), "", dtype=object)
    carriers, uses = list(Carrier), list(EndUse)
    for i in np.nonzero(f.reports_end_uses)[0]:
        shares = {
            (c, u): round(float(f.shares[i, ci, ui]), 4)
            for ci, c in enumerate(carriers)
            if f.energy[c][i] > 0
            for ui, u in enumerate(uses)
            if f.shares[i, ci, ui] > 0
        }
        total: dict[Carrier, float] = {}
        for (c, _), v in shares.items():
            total[c] = total.get(c, 0.0) + v
        shares = {k: v / max(total[k[0]], 1.0) for k, v in shares.items()}  # rounding <= 1
        out[i] = format_end_use_shares(shares)
    return out


def _outcome_frame(
    measures: list[Measure],
    ids: np.ndarray,
    f: _Factories,
    saved: np.ndarray,
    tco2e: np.ndarray,
    cost_savings: np.ndarray,
    capex: np.ndarray,
    p_adopt: np.ndarray,
    recommended: np.ndarray,
    price: np.ndarray,
    kg_per_unit: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    m_idx, f_idx = np.nonzero(recommended)
    order = np.lexsort((m_idx, f_idx))  # by factory, then measure
    m_idx, f_idx = m_idx[order], f_idx[order]
    rows = len(m_idx)
    # The auditor's estimate: one estimation error per recommendation, applied to all carriers.
    estimate = np.exp(rng.normal(0, 0.25, rows))
    observed_saved = saved[m_idx, :, f_idx] * estimate[:, None]
    observed_capex = capex[m_idx, f_idx] * np.exp(rng.normal(0, 0.35, rows))
    adopted = rng.random(rows) < p_adopt[m_idx, f_idx]
    status = np.where(adopted, "implemented", "not_implemented").astype(object)
    u = rng.random(rows)
    status[u < STATUS_UNKNOWN] = "unknown"
    status[(u >= STATUS_UNKNOWN) & (u < STATUS_UNKNOWN + STATUS_NOT_REPORTED)] = "not_reported"
    pending = (u >= STATUS_UNKNOWN + STATUS_NOT_REPORTED) & (
        u < STATUS_UNKNOWN + STATUS_NOT_REPORTED + STATUS_PENDING
    )
    status[pending] = "pending"
    implemented = implemented_from_status(pd.Series(status))
    measure_ids = np.array([m.id for m in measures])
    families = np.array([m.family.value for m in measures])
    data: dict[str, object] = {
        "outcome_id": [f"{ids[i]}-{measure_ids[j]}" for i, j in zip(f_idx, m_idx, strict=True)],
        "factory_id": ids[f_idx],
        "measure_id": measure_ids[m_idx],
        "arc_code": None,
        "measure_group": families[m_idx],
        "year": f.year[f_idx],
        **{SAVED_COLUMN[c]: observed_saved[:, i].round(3) for i, c in enumerate(Carrier)},
        "demand_kw_months_saved": np.nan,
        "tco2e_saved": (observed_saved * kg_per_unit[:, f_idx].T).sum(axis=1) / 1000,
        "cost_savings_per_year": (observed_saved @ price).round(2),
        "implementation_cost": observed_capex.round(0),
        "currency": "CNY",
        "implementation_status": status,
        "implemented": implemented,
        "streams_complete": True,
    }
    return pd.DataFrame(data)


def _truth_frame(
    measures: list[Measure],
    ids: np.ndarray,
    saved: np.ndarray,
    tco2e: np.ndarray,
    cost_savings: np.ndarray,
    capex: np.ndarray,
    p_adopt: np.ndarray,
    applicable: np.ndarray,
    recommended: np.ndarray,
) -> pd.DataFrame:
    m_idx, f_idx = np.nonzero(applicable)
    order = np.lexsort((m_idx, f_idx))
    m_idx, f_idx = m_idx[order], f_idx[order]
    # pandas-stubs reject int64 code arrays in from_codes; the call is correct.
    measure_ids = pd.Categorical.from_codes(m_idx, categories=[m.id for m in measures])  # type: ignore[call-overload]
    data: dict[str, object] = {
        "factory_id": pd.Categorical.from_codes(f_idx, categories=list(ids)),  # type: ignore[call-overload]
        "measure_id": measure_ids,
        **{
            f"true_{SAVED_COLUMN[c]}": saved[m_idx, i, f_idx].astype(np.float32)
            for i, c in enumerate(Carrier)
        },
        "true_tco2e_saved": tco2e[m_idx, f_idx],
        "true_cost_savings_per_year": cost_savings[m_idx, f_idx],
        "true_implementation_cost": capex[m_idx, f_idx],
        "true_adoption_probability": p_adopt[m_idx, f_idx],
        "recommended": recommended[m_idx, f_idx],
    }
    return pd.DataFrame(data, copy=False)  # the columns above are new arrays already


def true_top_measures(truth: pd.DataFrame, k: int = 5) -> pd.DataFrame:
    """The ``k`` measures with the largest true tCO2e saving per factory (ground truth)."""
    ranked = truth.sort_values(["factory_id", "true_tco2e_saved"], ascending=[True, False])
    return ranked.groupby("factory_id", observed=True).head(k)[
        ["factory_id", "measure_id", "true_tco2e_saved"]
    ]
