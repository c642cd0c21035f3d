"""The measure catalogue: what a factory can do, and which IAC ARC codes each measure aggregates.

The catalogue ships as ``features/data/measures.yaml``. Loading validates it: unique ids, known
families, carriers and sectors, and no ARC prefix claimed twice. An ARC code resolves to the
measure (or ``unmapped`` entry) with the longest matching prefix, so each code has one answer.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from features.enduses.taxonomy import CONVERSIONS, Conversion, EndUse
from features.errors import CatalogueError, InvalidValueError
from features.process_routes.definitions import route_table
from features.process_routes.effects import RouteEffect
from features.sectors import Sector
from features.units import FOSSIL_FUELS, Carrier


class Family(StrEnum):
    """Measure families as the zero-carbon factory programme names them."""

    TECHNOLOGY_UPGRADE = "technology_upgrade"
    STRUCTURAL_CHANGE = "structural_change"
    MANAGEMENT_OPTIMISATION = "management_optimisation"


ReductionKind = Literal["physical", "market_instrument", "certificate"]

_CARRIER_GROUPS: dict[str, tuple[Carrier, ...]] = {
    "fossil_fuels": FOSSIL_FUELS,
    "heat_fuels": (*FOSSIL_FUELS, Carrier.BIOMASS, Carrier.PURCHASED_HEAT),
}


def _expand_carriers(values: Iterable[str]) -> tuple[Carrier, ...]:
    out: list[Carrier] = []
    for value in values:
        group = _CARRIER_GROUPS.get(value)
        for carrier in group if group is not None else (Carrier(value),):
            if carrier not in out:
                out.append(carrier)
    return tuple(out)


class TypicalSaving(BaseModel):
    """A published range of savings, as a fraction of the energy of the measure's end uses."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    low: float = Field(ge=-1, le=1, description="Negative: the measure can add energy (losses).")
    high: float = Field(ge=-1, le=1)
    of: str = Field(description="Which energy use the fractions refer to.")
    source: str = Field(min_length=10)
    note: str = ""


class TypicalRange(BaseModel):
    """A published or assumed range (payback years, capex per unit), with its source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    low: float = Field(ge=0)
    high: float = Field(ge=0)
    unit: str = ""
    source: str = Field(min_length=10)


PathwayStep = Literal["efficiency", "structural", "onsite", "capture"]

#: How the synthetic generator turns a measure's base fraction into its true effect
#: (features/sources/synthetic.py, ``_true_effects``).
GeneratedEffect = Literal[
    "share", "potential", "long_hours", "residue_supply", "heat_recovery", "battery"
]


class GeneratedAssumptions(BaseModel):
    """What the synthetic generator (features/sources/synthetic.py) assumes about a measure.
    These are not statistics: each block states its basis in ``source``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hours_exponent: float = Field(
        ge=-2, le=2, description="True effect scales with (operating hours / 5000) ** this."
    )
    management: float = Field(
        ge=0,
        le=3,
        description="Sensitivity to (unobserved) management quality: effect x "
        "exp(0.25 x this x quality), quality ~ N(0, 1), higher = worse managed.",
    )
    popularity: float = Field(
        gt=0, le=10, description="How often the simulated auditor picks it, other things equal."
    )
    in_place: float = Field(
        ge=0, lt=1, description="Chance that a generated factory already has the measure."
    )
    fraction: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="Mean fraction of its end uses' energy saved or displaced; omitted: the "
        "middle of typical_saving (only for a measure without a conversion whose range "
        "starts at 0 or above).",
    )
    effect: GeneratedEffect = Field(
        default="share",
        description="share: fraction x hours, management and unexplained spread, times the "
        "project scope; potential: 60-100% of the physical potential (roof, resource, "
        "hydrogen), no fraction; long_hours: pays only with long running hours (CHP); "
        "residue_supply: needs a residue supply (35% of plants); heat_recovery: grows with the "
        "heat available and in heavy sectors; battery: without on-site generation only shifts "
        "load and loses energy.",
    )
    source: str = Field(min_length=10, description="Basis of the numbers (ASSUMPTION: why).")


class Measure(BaseModel):
    """One catalogue measure."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    family: Family
    reduction_kind: ReductionKind = "physical"
    carriers_reduced: tuple[Carrier, ...]
    carriers_increased: tuple[Carrier, ...] = ()
    requires_any_carrier: tuple[Carrier, ...] = Field(
        default=(), description="The factory must use one of these; defaults to carriers_reduced."
    )
    requires_roof_area: bool = False
    mechanism: str
    lifetime_years: int = Field(ge=1, le=50)
    applicable_sectors: tuple[Sector, ...] = Field(
        default=tuple(Sector), description="Sectors the measure applies to (all by default)."
    )
    arc_prefixes: tuple[str, ...]
    end_uses: tuple[EndUse, ...] = Field(
        default=(),
        description="End uses the measure acts on; its savings are a fraction of their energy "
        "on carriers_reduced. A physical measure must name at least one.",
    )
    conversion: Conversion | None = Field(
        default=None,
        description="How the measure converts energy (features.enduses.physics); None for "
        "measures that only save.",
    )
    max_fraction: float = Field(
        default=1.0,
        gt=0,
        le=1,
        description="Largest fraction of its end uses' energy the measure can displace.",
    )
    requires_hydrogen: bool = Field(
        default=False, description="Needs by-product hydrogen on site (byproduct_hydrogen_nm3)."
    )
    route: RouteEffect | None = Field(
        default=None,
        description="Sector measures acting on a production route (engineering estimate).",
    )
    typical_saving: TypicalSaving | None = None
    typical_payback_years: TypicalRange | None = None
    capex_basis: TypicalRange | None = None
    lifetime_source: str = ""
    pathway_step: PathwayStep | None = Field(
        default=None,
        description="The pathway step it is stacked in (models.pathway): efficiency programme, "
        "structural change (conversions, route changes), on-site supply, CO2 capture. Required "
        "for physical measures, absent for market instruments and certificates.",
    )
    generated: GeneratedAssumptions | None = Field(
        default=None,
        description="The synthetic generator's assumptions; required for the measures it draws "
        "(physical, no route), absent for the others.",
    )
    name_zh: str = Field(
        default="", description="Chinese name, filled at load from measures_zh.yaml."
    )
    mechanism_zh: str = Field(
        default="", description="Chinese mechanism, filled at load from measures_zh.yaml."
    )

    @field_validator(
        "carriers_reduced", "carriers_increased", "requires_any_carrier", mode="before"
    )
    @classmethod
    def _groups(cls, value: Any) -> tuple[Carrier, ...]:
        # Any: raw YAML list before validation.
        return _expand_carriers(value or [])

    @field_validator("arc_prefixes")
    @classmethod
    def _prefix_format(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for prefix in value:
            if not prefix.startswith("2.") or not prefix[2:].isdigit() or len(prefix) > 6:
                raise ValueError(f"ARC prefix {prefix!r} is not of the form 2.d to 2.dddd")
        return value

    @field_validator("conversion", mode="before")
    @classmethod
    def _known_conversion(cls, value: object) -> object:
        if value is not None and value not in CONVERSIONS:
            raise ValueError(f"conversion {value!r} is not one of {list(CONVERSIONS)}")
        return value

    @property
    def carriers(self) -> tuple[Carrier, ...]:
        """Every carrier the measure changes."""
        return (*self.carriers_reduced, *self.carriers_increased)


class Pool(BaseModel):
    """Measures that share one potential (an end use's system, or plant-wide practice): together
    they save at most ``ceiling`` of the energy of ``end_uses``, with diminishing returns."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    end_uses: tuple[EndUse, ...]
    ceiling: float = Field(gt=0, le=1, description="Share of the end uses' energy, at most.")
    ceiling_range: tuple[float, float] | None = Field(
        default=None, description="The range the cited studies give (low, high)."
    )
    source: str = Field(min_length=1)
    members: tuple[str, ...] = Field(min_length=1)


class PlantCeiling(BaseModel):
    """What all efficiency measures together may save of each carrier a plant uses."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ceiling: float = Field(gt=0, le=1)
    source: str = Field(min_length=1)


class UnmappedArc(BaseModel):
    """ARC codes deliberately left out of the catalogue, with the reason."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prefix: str
    reason: str


class ArcResolution(BaseModel):
    """What an ARC code means to the catalogue."""

    model_config = ConfigDict(frozen=True)

    arc: str = Field(description="The code with 4 decimals, e.g. 2.7142.")
    status: Literal["measure", "unmapped", "non_energy", "unknown"]
    measure_id: str | None = None
    matched_prefix: str | None = None
    reason: str = ""


_ARC_TYPES = {
    "2": "energy management",
    "3": "waste minimisation / pollution prevention",
    "4": "direct productivity enhancement",
}


def normalise_arc(code: str | float) -> str:
    """Format an ARC code with four decimals, as RECC stores it (``2.711`` -> ``2.7110``)."""
    try:
        value = float(str(code).strip())
    except ValueError:
        raise InvalidValueError("arc", code, "a decimal ARC code such as 2.7142") from None
    if not 1.0 <= value < 5.0:
        raise InvalidValueError("arc", code, "a decimal ARC code between 2.0 and 4.9999")
    return f"{value:.4f}"


@dataclass(frozen=True)
class MeasureArrays:
    """Measure attributes as arrays, one row per measure plus a last row for an unknown key, so
    per-row lookups are one fancy-indexing step instead of a loop over measures.

    The unknown row holds NaN attributes, reduces every carrier (coarse groups address all the
    factory's energy) and increases none.
    """

    ids: tuple[str, ...]
    index: dict[str, int]
    family: np.ndarray  # (n + 1,) code in Family order, NaN for unknown
    lifetime: np.ndarray  # (n + 1,) years, NaN for unknown
    reduced: np.ndarray  # (n + 1, carriers) bool
    increased: np.ndarray  # (n + 1, carriers) bool
    end_uses: np.ndarray  # (n + 1, end uses) bool; the unknown row acts on every end use
    max_fraction: np.ndarray  # (n + 1,)
    conversion: tuple[str | None, ...]  # (n + 1,)
    pool: np.ndarray  # (n + 1,) index into the catalogue's pools, -1 for none
    pool_end_uses: np.ndarray  # (pools, end uses) bool
    pool_ceiling: np.ndarray  # (pools,) share of the pool's end-use energy
    plant_wide: np.ndarray  # (n + 1,) bool: an efficiency measure, within the plant's ceiling
    plant_ceiling: float  # share of each carrier all efficiency measures together may save

    @classmethod
    def build(
        cls, measures: Sequence[Measure], pools: Sequence[Pool] = (), plant_ceiling: float = 1.0
    ) -> MeasureArrays:
        carriers = list(Carrier)
        families = list(Family)
        n = len(measures)
        uses = list(EndUse)
        reduced = np.ones((n + 1, len(carriers)), dtype=bool)
        increased = np.zeros((n + 1, len(carriers)), dtype=bool)
        end_uses = np.ones((n + 1, len(uses)), dtype=bool)
        for i, m in enumerate(measures):
            reduced[i] = [c in m.carriers_reduced for c in carriers]
            increased[i] = [c in m.carriers_increased for c in carriers]
            end_uses[i] = [u in m.end_uses for u in uses] if m.end_uses else True
        return cls(
            ids=tuple(m.id for m in measures),
            index={m.id: i for i, m in enumerate(measures)},
            family=np.array([families.index(m.family) for m in measures] + [np.nan]),
            lifetime=np.array([m.lifetime_years for m in measures] + [np.nan], dtype=float),
            reduced=reduced,
            increased=increased,
            end_uses=end_uses,
            max_fraction=np.array([m.max_fraction for m in measures] + [1.0]),
            conversion=(*(m.conversion for m in measures), None),
            pool=np.array(
                [next((j for j, p in enumerate(pools) if m.id in p.members), -1) for m in measures]
                + [-1],
                dtype=np.int64,
            ),
            pool_end_uses=np.array(
                [[u in p.end_uses for u in uses] for p in pools], dtype=bool
            ).reshape(len(pools), len(uses)),
            pool_ceiling=np.array([p.ceiling for p in pools], dtype=float),
            plant_wide=np.array(
                [
                    m.reduction_kind == "physical" and m.conversion is None and m.route is None
                    for m in measures
                ]
                + [False],
                dtype=bool,
            ),
            plant_ceiling=plant_ceiling,
        )

    def rows(self, keys: Iterable[object]) -> np.ndarray:
        """Row of each key (the unknown row for keys that are not measures)."""
        unknown = len(self.ids)
        plain = keys.tolist() if isinstance(keys, np.ndarray) else keys  # fast str hashing
        return np.array([self.index.get(str(k), unknown) for k in plain], dtype=np.intp)


class Catalogue:
    """Validated measures and the ARC -> measure index."""

    def __init__(
        self,
        measures: Iterable[Measure],
        unmapped: Iterable[UnmappedArc],
        version: str,
        pools: Iterable[Pool] = (),
        plant_ceiling: PlantCeiling | None = None,
    ) -> None:
        self.version = version
        self.plant_ceiling = plant_ceiling
        self.measures: dict[str, Measure] = {}
        for m in measures:
            if m.id in self.measures:
                raise CatalogueError(f"measure id {m.id!r} appears twice")
            self.measures[m.id] = m
        self.unmapped = tuple(unmapped)
        for m in self.measures.values():
            if m.reduction_kind == "physical" and not m.end_uses:
                raise CatalogueError(f"physical measure {m.id!r} names no end_uses")
            if m.route is not None:
                _check_route(m)
            _check_reductant(m)
            _check_pathway_step(m)
            _check_generated(m)
        self._prefix_owner: dict[str, Measure | UnmappedArc] = {}
        owners: list[Measure | UnmappedArc] = [*self.measures.values(), *self.unmapped]
        for owner in owners:
            prefixes = owner.arc_prefixes if isinstance(owner, Measure) else (owner.prefix,)
            for prefix in prefixes:
                if prefix in self._prefix_owner:
                    other = self._prefix_owner[prefix]
                    raise CatalogueError(f"ARC prefix {prefix} claimed twice ({_name(other)})")
                self._prefix_owner[prefix] = owner
        self.pools = tuple(pools)
        pooled: dict[str, str] = {}
        for pool in self.pools:
            for member in pool.members:
                if member not in self.measures:
                    raise CatalogueError(f"pool {pool.id!r} names unknown measure {member!r}")
                if member in pooled:
                    raise CatalogueError(
                        f"measure {member!r} is in two pools ({pooled[member]}, {pool.id})"
                    )
                pooled[member] = pool.id

    def pool_of(self, measure_id: str) -> Pool | None:
        """The pool a measure shares its savings in, if any."""
        return next((p for p in self.pools if measure_id in p.members), None)

    @classmethod
    def from_yaml(cls, text: str, chinese: str | None = None) -> Catalogue:
        """Parse and validate a catalogue document; ``chinese`` is the YAML text of the
        measures' Chinese names and mechanisms (``features/data/measures_zh.yaml`` when None).

        Raises
        ------
        CatalogueError
            Naming the measure and the field that is missing, out of range or inconsistent.
        """
        doc = yaml.safe_load(text)
        zh = _parse_chinese(_bundled_chinese() if chinese is None else chinese)
        measures = [_measure(entry, zh) for entry in doc["measures"]]
        try:
            unmapped = [UnmappedArc.model_validate(u) for u in doc.get("unmapped", [])]
            pools = [Pool.model_validate(p) for p in doc.get("pools", [])]
            plant = doc.get("plant_ceiling")
            ceiling = None if plant is None else PlantCeiling.model_validate(plant)
        except ValidationError as exc:
            raise CatalogueError(str(exc)) from None
        return cls(measures, unmapped, str(doc.get("version", "unversioned")), pools, ceiling)

    @classmethod
    def from_file(cls, path: str | Path) -> Catalogue:
        """Read a catalogue YAML file."""
        return cls.from_yaml(Path(path).read_text(encoding="utf-8"))

    @classmethod
    def default(cls) -> Catalogue:
        """The catalogue that ships with the package (read once per process)."""
        return _bundled_catalogue()

    def __len__(self) -> int:
        return len(self.measures)

    @functools.cached_property
    def arrays(self) -> MeasureArrays:
        """The measures' attributes as arrays (built once per catalogue)."""
        ceiling = 1.0 if self.plant_ceiling is None else self.plant_ceiling.ceiling
        return MeasureArrays.build(list(self.measures.values()), self.pools, ceiling)

    def __getitem__(self, measure_id: str) -> Measure:
        try:
            return self.measures[measure_id]
        except KeyError:
            raise InvalidValueError("measure_id", measure_id, list(self.measures)) from None

    def by_family(self, family: Family) -> list[Measure]:
        """Measures of one family, in catalogue order."""
        return [m for m in self.measures.values() if m.family == family]

    def resolve_arc(self, code: str | float) -> ArcResolution:
        """Resolve an IAC ARC code to a measure, an ``unmapped`` reason, or non-energy/unknown.

        Examples
        --------
        >>> Catalogue.default().resolve_arc("2.4146").measure_id
        'variable_speed_drives'
        """
        arc = normalise_arc(code)
        if not arc.startswith("2."):
            kind = _ARC_TYPES.get(arc[0], "not an ARC type")
            return ArcResolution(arc=arc, status="non_energy", reason=f"ARC type {arc[0]}: {kind}")
        for length in range(len(arc), 2, -1):
            owner = self._prefix_owner.get(arc[:length])
            if isinstance(owner, Measure):
                return ArcResolution(
                    arc=arc, status="measure", measure_id=owner.id, matched_prefix=arc[:length]
                )
            if isinstance(owner, UnmappedArc):
                return ArcResolution(
                    arc=arc, status="unmapped", matched_prefix=arc[:length], reason=owner.reason
                )
        return ArcResolution(arc=arc, status="unknown", reason="no catalogue prefix matches")


@functools.cache
def chinese_text() -> dict[str, tuple[str, str]]:
    """Chinese (name, mechanism) of every measure (``features/data/measures_zh.yaml``)."""
    return _parse_chinese(_bundled_chinese())


def _bundled_chinese() -> str:
    return resources.files("features").joinpath("data/measures_zh.yaml").read_text("utf-8")


def _parse_chinese(text: str) -> dict[str, tuple[str, str]]:
    """measure id -> (Chinese name, mechanism) of a measures_zh.yaml document."""
    entries = yaml.safe_load(text) or {}
    out = {}
    for key, entry in entries.items():
        if isinstance(entry, str):
            out[str(key)] = (entry, "")
        else:
            out[str(key)] = (str(entry["name"]), str(entry.get("mechanism", "")))
    return out


def _measure(entry: object, zh: dict[str, tuple[str, str]]) -> Measure:
    """One validated catalogue entry with its Chinese text; errors name the measure and field."""
    if not isinstance(entry, dict):
        raise CatalogueError(f"a measures entry is not a mapping: {str(entry)[:80]!r}")
    measure_id = str(entry.get("id", "?"))
    inline = sorted({"name_zh", "mechanism_zh"} & set(entry))
    if inline:
        raise CatalogueError(
            f"measure {measure_id!r}: {', '.join(inline)} belong in measures_zh.yaml, "
            "not in the catalogue entry"
        )
    name, mechanism = zh.get(measure_id, ("", ""))
    try:
        return Measure.model_validate({**entry, "name_zh": name, "mechanism_zh": mechanism})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc']) or 'entry'}: {e['msg']}"
            + ("" if e["type"] == "missing" else f" (got {str(e['input'])[:80]!r})")
            for e in exc.errors()
        )
        raise CatalogueError(f"measure {measure_id!r}: {problems}") from None


def measure_name(measure: Measure, lang: str) -> str:
    """The measure's name in ``lang`` (``en`` or ``zh``; English where no translation exists)."""
    if lang == "zh" and measure.name_zh:
        return measure.name_zh
    return measure.name


def measure_mechanism(measure: Measure, lang: str) -> str:
    """How the measure saves, in ``lang`` (English where no translation exists)."""
    if lang == "zh" and measure.mechanism_zh:
        return measure.mechanism_zh
    return measure.mechanism


#: What separates the measures of a typed list; commas also sit inside English names, so they
#: split only where a whole name does not match.
_LIST_SEPARATORS = re.compile(r"[;；\n]+")
_NAME_TOKEN = re.compile(r"[^\s,，、;；()（）]+")


def _tokens(text: str) -> tuple[str, ...]:
    """A name as lower-case words, its punctuation dropped (so "Steam trap survey, repair"
    matches "steam trap survey repair" and a form's split list joined back)."""
    return tuple(_NAME_TOKEN.findall(unicodedata.normalize("NFKC", text).lower()))


@functools.cache
def _names_by_tokens(catalogue: Catalogue) -> dict[tuple[str, ...], str]:
    """Id, English and Chinese name of every measure, as words -> measure id."""
    out: dict[tuple[str, ...], str] = {}
    for measure in catalogue.measures.values():
        for name in (measure.id, measure.name, measure.name_zh):
            if name:
                out.setdefault(_tokens(name), measure.id)
    return out


def measure_ids(
    values: str | Iterable[str],
    catalogue: Catalogue | None = None,
    field: str = "measures_in_place",
) -> tuple[str, ...]:
    """The catalogue ids of measures named by id, English or Chinese name (any case, any
    punctuation), given as a list or as text separated by ';', '；' or new lines.

    Raises
    ------
    InvalidValueError
        Naming the entry that matches no measure, with the closest ids and names.

    Examples
    --------
    >>> measure_ids("LED照明改造; Lighting controls (occupancy, daylight, zoning)")
    ('led_lighting', 'lighting_controls')
    """
    catalogue = catalogue or Catalogue.default()
    index = _names_by_tokens(catalogue)
    longest = _longest_name(catalogue)
    parts = [values] if isinstance(values, str) else list(values)
    texts = [p.strip() for part in parts for p in _LIST_SEPARATORS.split(str(part)) if p.strip()]
    # Words of every entry in one run, each with its entry: a form that split the text at
    # spaces and commas hands over a name's words as entries of their own.
    words = [(i, word) for i, typed in enumerate(texts) for word in _tokens(typed)]
    out: list[str] = []
    start = 0
    while start < len(words):
        # The longest run of words from here that is a whole name (one word: an id).
        for stop in range(min(len(words), start + longest), start, -1):
            found = index.get(tuple(w for _, w in words[start:stop]))
            if found is not None:
                out.append(found)
                start = stop
                break
        else:
            entry = words[start][0]
            raise InvalidValueError(
                f"{field}[{entry}]", texts[entry], _close_names(catalogue, texts[entry])
            )
    return tuple(out)


@functools.cache
def _longest_name(catalogue: Catalogue) -> int:
    """Words in the longest id or name of :func:`_names_by_tokens` (every profile asks)."""
    return max(len(k) for k in _names_by_tokens(catalogue))


def _close_names(catalogue: Catalogue, typed: str) -> str:
    """The ids and names closest to what matched none, for the error."""
    names = {m.id: m.id for m in catalogue.measures.values()}
    for m in catalogue.measures.values():
        names[m.name.lower()] = m.id
        names[(m.name_zh or m.id).lower()] = m.id
    close = difflib.get_close_matches(typed.lower(), list(names), n=10, cutoff=0.4)
    ids = list(dict.fromkeys(names[c] for c in close))[:5]
    shown = (
        ", ".join(
            f"{i} ({catalogue[i].name}; {catalogue[i].name_zh or catalogue[i].name})" for i in ids
        )
        or "none close"
    )
    return (
        f"a measure id, English or Chinese name (closest: {shown}; every id: "
        f"{', '.join(sorted(catalogue.measures))})"
    )


@functools.cache
def _bundled_catalogue() -> Catalogue:
    text = resources.files("features").joinpath("data/measures.yaml").read_text("utf-8")
    return Catalogue.from_yaml(text)


def _check_reductant(m: Measure) -> None:
    """A reductant or feedstock is not a fuel: only a route change (a measure moving output to
    another route) or a route measure that saves reductant without replacing it may act on it."""
    if EndUse.REDUCTANT_FEEDSTOCK not in m.end_uses:
        return
    r = m.route
    if r is None:
        raise CatalogueError(
            f"measure {m.id!r} acts on reductant_feedstock but is not a route measure: a "
            "reductant cannot be substituted as if it were fuel"
        )
    if m.conversion is not None or r.replace_with is not None:
        raise CatalogueError(
            f"measure {m.id!r} would replace a reductant or feedstock by another carrier; only "
            "a route change (to_route) may"
        )


def _check_route(m: Measure) -> None:
    """A route measure names known product/route lines, and its sectors hold the products."""
    r = m.route
    assert r is not None
    table = route_table()
    for name in (*r.applies_to, *([r.to_route] if r.to_route else [])):
        product, _, route = name.partition("/")
        if product not in table.products or route not in table.products[product].routes:
            raise CatalogueError(f"measure {m.id!r}: unknown product/route {name!r}")
        if name in r.applies_to and not set(table.products[product].sectors) <= set(
            m.applicable_sectors
        ):
            raise CatalogueError(f"measure {m.id!r}: applicable_sectors miss {product}'s sector")
    if r.replace_with is not None and r.replace_ratio is None:
        raise CatalogueError(f"measure {m.id!r}: replace_with needs replace_ratio")
    if r.capture is not None and r.capture.stream == "pure_co2":
        for name in r.applies_to:
            if table.route(*name.split("/")).pure_co2_t_per_t is None:
                raise CatalogueError(f"measure {m.id!r}: {name} has no pure CO2 stream")


def _check_pathway_step(m: Measure) -> None:
    """A physical measure names its pathway step, and the step fits what it does: capture
    exactly when it captures CO2; structural only for a conversion or route change; the
    efficiency programme only for measures that just use less (on-site supply may be either)."""
    if m.reduction_kind != "physical":
        if m.pathway_step is not None:
            raise CatalogueError(
                f"measure {m.id!r}: pathway_step is for physical measures, not a {m.reduction_kind}"
            )
        return
    step = m.pathway_step
    if step is None:
        raise CatalogueError(
            f"measure {m.id!r}: pathway_step is missing (one of efficiency, structural, "
            "onsite, capture)"
        )
    r = m.route
    captures = r is not None and r.capture is not None
    changes = m.conversion is not None or (
        r is not None and (r.to_route is not None or r.replace_with is not None)
    )
    if captures != (step == "capture"):
        raise CatalogueError(
            f"measure {m.id!r}: pathway_step {step!r} but it "
            f"{'captures' if captures else 'does not capture'} CO2 (capture is the step of "
            "exactly the measures with route.capture)"
        )
    if step == "structural" and not changes:
        raise CatalogueError(
            f"measure {m.id!r}: pathway_step 'structural' needs a conversion or a route change "
            "(route.to_route or route.replace_with)"
        )
    if step == "efficiency" and changes:
        raise CatalogueError(
            f"measure {m.id!r}: pathway_step 'efficiency' but it changes the energy used "
            "(conversion or route change): structural or onsite"
        )


def _check_generated(m: Measure) -> None:
    """The generator's assumptions are given for exactly the measures it draws (physical, no
    route), with a fraction wherever the catalogue's range cannot supply one."""
    drawn = m.reduction_kind == "physical" and m.route is None
    g = m.generated
    if not drawn:
        if g is not None:
            raise CatalogueError(
                f"measure {m.id!r}: generated is only for physical measures without a route "
                "(the generator draws no outcomes for the others)"
            )
        return
    if g is None:
        raise CatalogueError(
            f"measure {m.id!r}: generated is missing (hours_exponent, management, popularity, "
            "in_place, source; fraction and effect where needed)"
        )
    if g.effect == "potential":
        if m.conversion is None:
            raise CatalogueError(
                f"measure {m.id!r}: generated.effect 'potential' needs a conversion (its "
                "physical potential is the conversion's cap)"
            )
        if g.fraction is not None:
            raise CatalogueError(
                f"measure {m.id!r}: generated.fraction is not used with effect 'potential'"
            )
        return
    typical = m.typical_saving
    if g.fraction is None and (m.conversion is not None or typical is None or typical.low < 0):
        why = (
            "it has a conversion"
            if m.conversion is not None
            else "it has no typical_saving range"
            if typical is None
            else "its typical_saving range starts below 0"
        )
        raise CatalogueError(
            f"measure {m.id!r}: generated.fraction is missing ({why}, so the middle of its "
            "typical_saving range cannot stand in)"
        )


def _name(owner: Measure | UnmappedArc) -> str:
    return owner.id if isinstance(owner, Measure) else f"unmapped {owner.prefix}"
