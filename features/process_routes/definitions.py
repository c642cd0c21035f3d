"""Products, production routes and their process-emission factors, read from
``features/data/process_routes.yaml`` (every factor with its source), and the profile's
:class:`ProductionLine` entry that names one of them.

No dependency on the profile, so the profile can validate its production lines here.
"""

from __future__ import annotations

import functools
import math
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from features import bounds
from features.errors import CatalogueError, InvalidValueError
from features.sectors import Sector, sector_from_naics
from features.units import Carrier

Basis = Literal["t_product", "t_clinker", "t_glass_batch"]
#: Options a production line may carry, and the products whose routes take them.
OPTION_FIELDS: tuple[str, ...] = ("anode_type", "clinker_ratio", "cullet_ratio")


class Range(BaseModel):
    """A low-high range."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    low: float
    high: float

    @property
    def mid(self) -> float:
        return (self.low + self.high) / 2


class Reductant(BaseModel):
    """Energy of a carrier a route uses as reductant or chemical feedstock, not as fuel."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    carrier: Carrier
    gj_per_t: float = Field(gt=0, description="GJ per t of product.")
    max_share: float = Field(gt=0, le=1, description="At most this share of the carrier.")
    source: str = Field(min_length=10)


class ProcessFactor(BaseModel):
    """One process-emission line of a route: a gas per t of a basis quantity."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    gas: str
    gwp: float = 1.0
    per: Basis
    value: float | None = Field(default=None, ge=0, description="t gas per t of the basis.")
    by_option: str | None = None
    values: dict[str, float] = Field(default_factory=dict)
    source: str = Field(min_length=10)

    @model_validator(mode="after")
    def _one_value(self) -> ProcessFactor:
        if (self.value is None) == (not self.values):
            raise ValueError(f"process factor {self.id}: give value or by_option with values")
        return self

    def factor(self, options: dict[str, object]) -> float:
        """t gas per t of basis for a line with ``options``."""
        if self.value is not None:
            return self.value
        return self.values[str(options[str(self.by_option)])]


class Option(BaseModel):
    """A route option: a choice (``allowed``) or a number in ``low``-``high``, with a default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    allowed: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    default: str | float
    source: str = Field(min_length=10)


class Intensity(BaseModel):
    """Typical energy and direct CO2 intensity of a route (for checks and reference tests)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    energy_gj_per_t: Range
    tco2_per_t: Range
    source: str = Field(min_length=10)


class CrossCheck(BaseModel):
    """An IPCC Tier 1 whole-route factor quoted for comparison (not added to the footprint)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ipcc_tier1_tco2_per_t: float
    ipcc_source: str


class RouteSignature(BaseModel):
    """How a plant that does not declare its route is recognised as running this one
    (``features/process_routes/inference.py``): the carriers that dominate its final energy, the
    carriers it barely uses, the energy its output is estimated from and the smallest plant
    of the route."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    carriers: tuple[Carrier, ...] = Field(
        min_length=1, description="Carriers whose share of final energy marks the route."
    )
    min_share: float = Field(gt=0, le=1, description="Their share at least this to infer.")
    strong_share: float = Field(gt=0, le=1, description="At least this: a strong sign.")
    at_most: dict[Carrier, float] = Field(
        default_factory=dict, description="Carriers whose share must stay at or below this."
    )
    output_carriers: tuple[Carrier, ...] = Field(
        default=(),
        description="Carriers the route's energy intensity counts (all when empty); output "
        "= their GJ / the intensity's mid value.",
    )
    min_output_t: float = Field(gt=0, description="Smallest plant of the route, t/yr.")
    needs_naics: bool = Field(
        default=False, description="Inferred only when the NAICS code names the product."
    )
    source: str = Field(min_length=10)

    @model_validator(mode="after")
    def _ordered(self) -> RouteSignature:
        if self.strong_share < self.min_share:
            raise ValueError("signature: strong_share below min_share")
        return self


class ProductSignature(BaseModel):
    """How a plant's product is recognised without a declared route: NAICS 2022 prefixes that
    name it, and whether its sector alone may name it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    naics: tuple[str, ...] = Field(min_length=1)
    from_sector: bool = False
    source: str = Field(min_length=10)


class Route(BaseModel):
    """One production route of a product."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    options: dict[str, Option] = Field(default_factory=dict)
    reductant: Reductant | None = None
    process_emissions: tuple[ProcessFactor, ...] = ()
    pure_co2_t_per_t: float | None = Field(
        default=None, description="High-purity CO2 stream per t of product (capture-ready)."
    )
    pure_co2_source: str = ""
    cross_check: CrossCheck | None = None
    intensity: Intensity
    signature: RouteSignature | None = None


class Product(BaseModel):
    """A product and its routes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    sectors: tuple[Sector, ...]
    routes: dict[str, Route]
    signature: ProductSignature | None = None


class RouteTable(BaseModel):
    """Every product and route the tool knows."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    products: dict[str, Product]

    @model_validator(mode="after")
    def _consistent(self) -> RouteTable:
        for pid, product in self.products.items():
            for code in product.signature.naics if product.signature else ():
                if sector_from_naics(code) not in product.sectors:
                    raise ValueError(f"{pid}: NAICS {code} is not in {product.sectors}")
            for rid, route in product.routes.items():
                for name in route.options:
                    if name not in OPTION_FIELDS:
                        raise ValueError(f"{pid}/{rid}: option {name} not in {OPTION_FIELDS}")
                for f in route.process_emissions:
                    if f.by_option is not None:
                        opt = route.options.get(f.by_option)
                        if opt is None or set(f.values) != set(opt.allowed):
                            raise ValueError(f"{pid}/{rid}/{f.id}: values must cover the option")
        return self

    def route(self, product: str, route: str) -> Route:
        return self.products[product].routes[route]


@functools.cache
def route_table() -> RouteTable:
    """The bundled route table (read once per process)."""
    text = resources.files("features").joinpath("data/process_routes.yaml").read_text("utf-8")
    try:
        return RouteTable.model_validate(yaml.safe_load(text))
    except ValueError as exc:
        raise CatalogueError(f"process_routes.yaml: {exc}") from None


def _line_schema(schema: dict[str, Any]) -> None:
    """What :meth:`ProductionLine.validated` accepts, in the API schema (``Any``: JSON schema):
    a product and one of its routes, the options that route takes (the others null), no
    ``reductant_gj`` for a route without a reductant, and the ranges of features.bounds."""
    table = route_table()
    properties = schema["properties"]
    properties["product"]["enum"] = list(table.products)
    properties["route"]["enum"] = list(
        dict.fromkeys(r for product in table.products.values() for r in product.routes)
    )
    ranges = {
        "output_t": bounds.OUTPUT_T_PER_YEAR,
        "reductant_gj": bounds.REDUCTANT_GJ,
        "process_co2_t": bounds.TCO2_PER_YEAR,
        "pfc_tco2e": bounds.TCO2E_PER_YEAR,
    }
    for name, bound in ranges.items():
        # Numeric keywords constrain numbers only, so null stays allowed where it was.
        properties[name].update(minimum=bound.low, maximum=bound.high)
    branches = []
    for pid, product in table.products.items():
        for rid, route in product.routes.items():
            branch: dict[str, Any] = {"product": {"const": pid}, "route": {"const": rid}}
            for name in OPTION_FIELDS:
                option = route.options.get(name)
                if option is None:
                    branch[name] = {"type": "null"}
                elif option.allowed:
                    branch[name] = {"anyOf": [{"enum": list(option.allowed)}, {"type": "null"}]}
                else:
                    limits = {"minimum": option.low or 0.0}
                    if option.high is not None:
                        limits["maximum"] = option.high
                    branch[name] = {"anyOf": [{"type": "number", **limits}, {"type": "null"}]}
            if route.reductant is None:
                branch["reductant_gj"] = {"type": "null"}
            branches.append({"properties": branch})
    schema["anyOf"] = branches


class ProductionLine(BaseModel):
    """What a factory makes by which route, t/yr, with the route's options and any measured
    process emissions (which then replace the defaults)."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_line_schema)

    product: str = Field(
        description="Product of the route table (features/data/process_routes.yaml)."
    )
    route: str = Field(
        description="Route of the product; each product's routes and the options each takes "
        "are listed in the schema's anyOf."
    )
    output_t: float = Field(description="Annual output, t of product (cement, not clinker).")
    anode_type: str | None = Field(
        default=None, description="primary_aluminium: cwpb, swpb, vss or hss (default cwpb)."
    )
    clinker_ratio: float | None = Field(
        default=None, description="cement: t clinker per t cement, 0.35-1.0 (default 0.70)."
    )
    cullet_ratio: float | None = Field(
        default=None, description="glass: cullet share of the melt, 0-0.95 (IPCC default)."
    )
    reductant_gj: float | None = Field(
        default=None,
        description="Measured energy used as reductant or feedstock, GJ/yr of the route's "
        "reductant carrier (replaces the default per t).",
    )
    process_co2_t: float | None = Field(
        default=None, description="Measured process CO2, t/yr (replaces the default CO2 lines)."
    )
    pfc_tco2e: float | None = Field(
        default=None, description="Measured PFC emissions, tCO2e/yr (replaces the defaults)."
    )

    def validated(self, field: str) -> ProductionLine:
        """This line checked against the route table, options filled with their defaults.

        Raises :class:`InvalidValueError` naming ``field``'s sub-field and what is allowed.
        """
        table = route_table()
        product = table.products.get(self.product)
        if product is None:
            raise InvalidValueError(f"{field}.product", self.product, list(table.products))
        route = product.routes.get(self.route)
        if route is None:
            raise InvalidValueError(f"{field}.route", self.route, list(product.routes))
        bounds.OUTPUT_T_PER_YEAR.check(f"{field}.output_t", self.output_t)
        bounds.REDUCTANT_GJ.check(f"{field}.reductant_gj", self.reductant_gj)
        bounds.TCO2_PER_YEAR.check(f"{field}.process_co2_t", self.process_co2_t)
        bounds.TCO2E_PER_YEAR.check(f"{field}.pfc_tco2e", self.pfc_tco2e)
        if self.reductant_gj is not None and route.reductant is None:
            raise InvalidValueError(
                f"{field}.reductant_gj", self.reductant_gj, "none: the route uses no reductant"
            )
        filled: dict[str, object] = {}
        for name in OPTION_FIELDS:
            value = getattr(self, name)
            option = route.options.get(name)
            if option is None:
                if value is not None:
                    raise InvalidValueError(
                        f"{field}.{name}",
                        value,
                        f"not given for {self.product}/{self.route} "
                        f"(options: {list(route.options) or 'none'})",
                    )
                continue
            if value is None:
                filled[name] = option.default
            elif option.allowed:
                if value not in option.allowed:
                    raise InvalidValueError(f"{field}.{name}", value, list(option.allowed))
            else:
                _number(f"{field}.{name}", value, option.low or 0.0, option.high)
        return self.model_copy(update=filled) if filled else self

    def options(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in OPTION_FIELDS}

    def basis_t(self, basis: Basis) -> float:
        """t of the quantity a process factor multiplies."""
        if basis == "t_clinker":
            return self.output_t * float(self.clinker_ratio if self.clinker_ratio else 1.0)
        if basis == "t_glass_batch":
            return self.output_t * (1.0 - float(self.cullet_ratio or 0.0))
        return self.output_t


def _number(field: str, value: float | None, low: float, high: float | None) -> None:
    if value is None:
        return
    if not math.isfinite(value) or value < low or (high is not None and value > high):
        allowed = f"a finite number >= {low}" + (f" and <= {high}" if high is not None else "")
        raise InvalidValueError(field, value, allowed)
