"""The likely production route of a heavy-sector plant that does not declare ``production[]``.

A plant that only describes its energy is still a blast-furnace works or a cement kiln: treated
as a generic plant, its reductant coal looks like fuel (a fuel switch would claim it) and its
process emissions and sector-pack measures are missing. The rule, with every threshold in
``features/data/process_routes.yaml`` (``signature`` blocks, each with its source) and
described in ``docs/engineering-basis.md`` section 5:

1. **Product.** The NAICS code names it (a code starting with one of the product's prefixes,
   e.g. 331110 -> crude steel), or, where the product allows it (``from_sector``) and no code
   names another product, the sector alone does (steel -> crude steel). A code that names
   something else (331210, steel pipe from purchased steel) gives no route.
2. **Route.** The route's carriers carry at least ``min_share`` of the plant's final energy
   (electricity at 3.6 MJ/kWh, on-site renewables included), carriers under ``at_most`` stay
   below their cap, and the route does not need a NAICS code the plant lacks.
3. **Output.** The energy of ``output_carriers`` (all carriers when none are listed) over the
   mid value of the route's energy intensity (``intensity.energy_gj_per_t``, sourced there); the
   intensity's high and low ends give the output's range. A plant below the route's smallest
   size (``min_output_t``) gets no route.
4. **Confidence.** ``high``: the NAICS code names the product and the carriers reach
   ``strong_share``; ``medium``: one of the two; ``low``: neither (sector alone, share between
   ``min_share`` and ``strong_share``). Where several routes fit, the most confident wins, then
   the one whose share is furthest above its ``min_share``.

The inferred line is a :class:`ProductionLine` like a declared one (default options), so the
reductant carve-out, process emissions and route measures follow exactly as for a declared
route; the answer says it is inferred and asks for ``production[]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from features import bounds
from features.i18n import Lang, human
from features.messages import COMMA, Message
from features.process_routes.definitions import ProductionLine, ProductSignature, route_table
from features.sectors import Sector
from features.units import GJ_PER_KWH, Carrier

Confidence = Literal["high", "medium", "low"]
_RANK: dict[str, int] = {"low": 0, "medium": 1, "high": 2}


class InferredRoute(BaseModel):
    """A route inferred for a plant without ``production[]``, with why and how sure."""

    model_config = ConfigDict(frozen=True)

    line: ProductionLine = Field(description="The inferred line, options at their defaults.")
    confidence: Confidence
    naics_names_product: bool = Field(description="The NAICS code names the product.")
    naics_code: str | None
    sector: Sector
    carriers: tuple[Carrier, ...] = Field(description="Carriers that mark the route.")
    share: float = Field(description="Their share of the plant's final energy.")
    min_share: float
    strong_share: float
    basis_gj: float = Field(description="GJ/yr the output is estimated from.")
    intensity_gj_per_t: float = Field(description="Mid of the route's intensity range.")
    output_low_t: float = Field(description="Output at the intensity's high end, t/yr.")
    output_high_t: float = Field(description="Output at the intensity's low end, t/yr.")
    intensity_source: str
    signature_source: str

    @property
    def route_id(self) -> str:
        return f"{self.line.product}/{self.line.route}"

    def reason(self, lang: Lang = "en") -> Message:
        """Why this route, in ``lang``: what named the product and the energy-mix sign."""
        if self.naics_names_product:
            named = Message(
                "route_named_by_naics", lang, code=self.naics_code, products=self.line.product
            )
        else:
            named = Message(
                "route_named_by_sector", lang, sector=self.sector.value, products=self.line.product
            )
        mix = Message(
            "route_energy_sign",
            lang,
            carriers=", ".join(c.value for c in self.carriers),
            share=f"{100 * self.share:.0f}",
            min_share=f"{100 * self.min_share:.0f}",
            strong_share=f"{100 * self.strong_share:.0f}",
        )
        return Message.joined([named, mix], COMMA)

    def warning(self, lang: Lang = "en") -> Message:
        """The answer's warning: the route, its output, its confidence and the request for
        ``production[]``."""
        return Message(
            "route_inferred_warning",
            lang,
            route=self.route_id,
            products=self.line.product,
            output=human(self.line.output_t),
            low=human(self.output_low_t),
            high=human(self.output_high_t),
            energy=human(self.basis_gj),
            intensity=f"{self.intensity_gj_per_t:g}",
            confidence=Message(f"route_confidence_{self.confidence}", lang),
            reason=self.reason(lang),
        )

    def note(self, lang: Lang = "en") -> Message:
        """A short note for what rests on the inferred route (route measures, footprint)."""
        return Message(
            "route_inferred_note", lang, route=self.route_id, output=human(self.line.output_t)
        )


def energy_gj(energy: Mapping[Carrier, float]) -> dict[Carrier, float]:
    """Canonical quantities (kWh for electricity, GJ otherwise) as GJ."""
    return {c: v * (GJ_PER_KWH if c == Carrier.ELECTRICITY else 1.0) for c, v in energy.items()}


def infer_route(
    sector: Sector, naics_code: str | None, energy: Mapping[Carrier, float]
) -> InferredRoute | None:
    """The likely route of a plant that declares none, or ``None`` when no route fits.

    Parameters
    ----------
    sector
        The plant's programme sector.
    naics_code
        Its NAICS code, if given.
    energy
        Annual use of each carrier in its canonical unit (kWh for electricity, GJ otherwise).

    Examples
    --------
    >>> r = infer_route(Sector.STEEL, "331110", {Carrier.COAL: 7.6e7, Carrier.ELECTRICITY: 1.2e9})
    >>> r.route_id, r.confidence, round(r.line.output_t / 1e6, 2)
    ('crude_steel/bf_bof', 'high', 4.03)
    """
    gj = {c: v for c, v in energy_gj(energy).items() if v > 0}
    total = sum(gj.values())
    if total <= 0:
        return None
    found: list[InferredRoute] = []
    for pid, product in route_table().products.items():
        if product.signature is None or sector not in product.sectors:
            continue
        by_naics = _named_by(product.signature, naics_code)
        if by_naics is None:
            continue
        for rid, route in product.routes.items():
            sig = route.signature
            if sig is None or (sig.needs_naics and not by_naics):
                continue
            share = sum(gj.get(c, 0.0) for c in sig.carriers) / total
            if share < sig.min_share:
                continue
            if any(gj.get(c, 0.0) / total > cap for c, cap in sig.at_most.items()):
                continue
            basis = (
                sum(gj.get(c, 0.0) for c in sig.output_carriers) if sig.output_carriers else total
            )
            intensity = route.intensity.energy_gj_per_t
            output = float(f"{basis / intensity.mid:.3g}")
            if not sig.min_output_t <= output <= bounds.OUTPUT_T_PER_YEAR.high:
                continue
            strong = share >= sig.strong_share
            confidence: Confidence = (
                "high" if by_naics and strong else "medium" if by_naics or strong else "low"
            )
            line = ProductionLine(product=pid, route=rid, output_t=output)
            found.append(
                InferredRoute(
                    line=line.validated("production (inferred)"),
                    confidence=confidence,
                    naics_names_product=by_naics,
                    naics_code=naics_code,
                    sector=sector,
                    carriers=sig.carriers,
                    share=share,
                    min_share=sig.min_share,
                    strong_share=sig.strong_share,
                    basis_gj=basis,
                    intensity_gj_per_t=intensity.mid,
                    output_low_t=basis / intensity.high,
                    output_high_t=basis / intensity.low,
                    intensity_source=route.intensity.source,
                    signature_source=sig.source,
                )
            )
    if not found:
        return None
    return max(found, key=lambda r: (_RANK[r.confidence], r.share - r.min_share))


def _named_by(signature: ProductSignature, naics_code: str | None) -> bool | None:
    """True when the NAICS code names the product, False when only the sector may (no code,
    or a coarser one, and the product allows it), None when the product is ruled out."""
    if naics_code:
        if any(naics_code.startswith(p) for p in signature.naics):
            return True
        if not any(p.startswith(naics_code) for p in signature.naics):
            return None  # the code names another product
    return False if signature.from_sector else None
