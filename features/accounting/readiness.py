"""A Chinese plant held against the zero-carbon factory indicators that publish a number.

The national guidance (工信部联节〔2026〕13号, MIIT and four other departments, 2026-01-19)
publishes no numeric thresholds. Numbers exist in a province's indicator system (Hunan) and in
related national schemes (MIIT's green industrial microgrid guide and case collection, the NDRC
green-certificate policy 发改能源〔2025〕262号). They live, one row per indicator and target year,
with issuer, document, the address they were read at and a confidence, in
``features/data/zero_carbon_indicators.csv`` (docs/zero-carbon-indicators.md).

A plant in a province with thresholds is held against its own province's; elsewhere another
province's are shown as a reference and said to be one. Every row says pass, fail, not
computable (naming what is missing) or not applicable.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from features.accounting.footprint import Footprint
from features.i18n import Lang, human
from features.messages import EMPTY, Message, MessageText
from features.profile import FactoryProfile
from features.regions import Country, normalise_region
from features.units import GJ_PER_TCE, KGCE_PER_KWH, Carrier

#: The national guidance (MIIT, NDRC, MEE, SASAC, NEA; published 2026-01-19, reported by 中新社
#: at udn.com/news/story/7333/9277898 and others): it publishes no numeric thresholds.
NATIONAL_GUIDANCE = "工信部联节〔2026〕13号"

Status = Literal["pass", "fail", "not_computable", "not_applicable"]
Basis = Literal["own_province", "reference_province", "national_related"]

#: What a not-computable row lacks -> the sentence saying so.
_NEEDS: dict[str, str] = {
    "comprehensive_energy_tce": "readiness_needs_energy",
    "electricity_kwh": "readiness_needs_electricity",
    "onsite_generation_total_kwh": "readiness_needs_generation",
    "waste_heat_recovered_tce": "readiness_needs_waste_heat",
    "renewable_capacity_mw": "readiness_needs_capacity",
    "product_footprint_base_year": "readiness_needs_base_year",
    "national_consumption_weight": "readiness_needs_weight",
}


@dataclass(frozen=True)
class IndicatorRow:
    """One row of ``zero_carbon_indicators.csv``: a threshold with its source."""

    indicator_id: str
    metric: str
    name_en: str
    name_zh: str
    province: str | None
    sectors: tuple[str, ...]
    threshold_op: Literal["<=", ">="]
    threshold_value: float | None
    threshold_text: str
    unit: str
    target_year: str
    scheme: str
    issuer: str
    doc_number: str
    doc_date: str
    status: str
    source_url: str
    source_type: str
    confidence: str
    note: str
    #: The texts above in Chinese (threshold_text, doc_date, source_type, note), for zh answers.
    threshold_text_zh: str = ""
    doc_date_zh: str = ""
    source_type_zh: str = ""
    note_zh: str = ""

    def texts(self, lang: Lang) -> dict[str, str]:
        """threshold_text, doc_date, source_type and note in ``lang``."""
        zh = lang == "zh"
        return {
            "threshold_text": self.threshold_text_zh if zh else self.threshold_text,
            "doc_date": self.doc_date_zh if zh else self.doc_date,
            "source_type": self.source_type_zh if zh else self.source_type,
            "note": self.note_zh if zh else self.note,
        }


#: Columns of the indicator table, each required (Chinese texts may be empty where the English is).
_COLUMNS = (
    "indicator_id", "metric", "name_en", "name_zh", "province", "sectors", "threshold_op",
    "threshold_value", "threshold_text", "unit", "target_year", "scheme", "issuer", "doc_number",
    "doc_date", "status", "source_url", "source_type", "confidence", "note",
    "threshold_text_zh", "doc_date_zh", "source_type_zh", "note_zh",
)  # fmt: skip


@functools.cache
def load_indicators() -> tuple[IndicatorRow, ...]:
    """The bundled indicator rows (``features/data/zero_carbon_indicators.csv``)."""
    raw = resources.files("features").joinpath("data/zero_carbon_indicators.csv")
    rows = []
    reader = csv.DictReader(io.StringIO(raw.read_text("utf-8")))
    absent = [c for c in _COLUMNS if c not in (reader.fieldnames or [])]
    if absent:
        raise ValueError(f"zero_carbon_indicators.csv: missing columns {absent}")
    for r in reader:
        for en in ("threshold_text", "doc_date", "source_type", "note"):
            if r[en] and not r[f"{en}_zh"]:
                raise ValueError(f"{r['indicator_id']}: {en}_zh is empty while {en} is not")
        op = r["threshold_op"]
        if op not in ("<=", ">="):
            raise ValueError(f"{r['indicator_id']}: threshold_op {op!r}, allowed: <=, >=")
        rows.append(
            IndicatorRow(
                indicator_id=r["indicator_id"],
                metric=r["metric"],
                name_en=r["name_en"],
                name_zh=r["name_zh"],
                province=r["province"] or None,
                sectors=tuple(r["sectors"].split()),
                threshold_op=op,  # type: ignore[arg-type]  # checked just above
                threshold_value=float(r["threshold_value"]) if r["threshold_value"] else None,
                threshold_text=r["threshold_text"],
                unit=r["unit"],
                target_year=r["target_year"],
                scheme=r["scheme"],
                issuer=r["issuer"],
                doc_number=r["doc_number"],
                doc_date=r["doc_date"],
                status=r["status"],
                source_url=r["source_url"],
                source_type=r["source_type"],
                confidence=r["confidence"],
                note=r["note"],
                threshold_text_zh=r["threshold_text_zh"],
                doc_date_zh=r["doc_date_zh"],
                source_type_zh=r["source_type_zh"],
                note_zh=r["note_zh"],
            )
        )
    return tuple(rows)


class IndicatorCheck(BaseModel):
    """The plant against one indicator in one target year."""

    model_config = ConfigDict(frozen=True)

    indicator_id: str
    indicator: str = Field(description="The indicator's name in the answer's language.")
    indicator_source_name: str = Field(description="The name as the source document words it.")
    value: float | None = Field(description="The plant's value in `unit`; None if not computable.")
    unit: str
    threshold_op: Literal["<=", ">="]
    threshold_value: float | None = Field(description="None where the threshold is no number.")
    threshold_text: str = Field(description="The threshold in words where it is no number.")
    target_year: str
    status: Status
    status_text: MessageText
    missing: list[str] = Field(
        default_factory=list, description="What a not-computable row lacks (data or threshold)."
    )
    explanation: MessageText = Field(description="How the value was computed, or what is missing.")
    basis: Basis = Field(
        description="own_province: the plant's province's threshold; reference_province: another "
        "province's, shown for reference; national_related: a related national scheme's."
    )
    basis_text: MessageText
    province: str | None = Field(description="Province whose threshold this is; None: national.")
    scheme: str
    issuer: str
    doc_number: str
    doc_date: str
    source_url: str = Field(description="Where the threshold was read.")
    source_type: str
    confidence: str = Field(description="medium / medium-low / low.")
    note: MessageText = Field(
        default="",
        validate_default=True,
        description="What the source leaves open (text of the indicator table).",
    )


class ZeroCarbonReadiness(BaseModel):
    """A plant held against every zero-carbon factory indicator found with a number."""

    model_config = ConfigDict(frozen=True)

    province: str
    own_province_has_thresholds: bool
    reference_provinces: list[str] = Field(
        default_factory=list,
        description="Provinces whose thresholds are shown for reference (plant's own has none).",
    )
    national_statement: MessageText = Field(
        description="That the national guidance publishes no numeric thresholds."
    )
    province_statement: MessageText
    checks: list[IndicatorCheck]


@dataclass(frozen=True)
class _Measured:
    value: float | None
    missing: tuple[str, ...] = ()
    key: str = ""
    values: dict[str, object] = field(default_factory=dict)
    applicable: bool = True


def _measure(metric: str, profile: FactoryProfile, fp: Footprint) -> _Measured:
    """The plant's value of ``metric`` (or what it lacks)."""
    onsite = profile.onsite_renewable_kwh
    grid = fp.market_based.grid_electricity_kwh
    contracts = profile.green_electricity_contract_kwh
    tce = fp.comprehensive_energy_tce
    if metric == "carbon_per_energy":
        if tce <= 0:
            return _Measured(None, ("comprehensive_energy_tce",))
        return _Measured(
            fp.net_market_tco2e / tce,
            key="readiness_carbon_basis",
            values={
                "tco2e": human(fp.net_market_tco2e),
                "tce": human(tce),
                "location": human(fp.net_location_tco2e / tce),
            },
        )
    if metric in ("renewable_electricity_share", "green_electricity_share"):
        use = grid + onsite
        if use <= 0:
            return _Measured(None, ("electricity_kwh",))
        if metric == "green_electricity_share":
            covered = contracts + profile.green_certificates_kwh + onsite
            return _Measured(
                100 * covered / use,
                ("national_consumption_weight",),
                "readiness_green_basis",
                {"share": human(100 * covered / use)},
            )
        return _Measured(
            100 * (onsite + contracts) / use,
            key="readiness_share_basis",
            values={
                "onsite": human(onsite),
                "contract": human(contracts),
                "use": human(use),
                "with_cert": human(
                    100 * (onsite + contracts + profile.green_certificates_kwh) / use
                ),
            },
        )
    if metric == "renewable_energy_share":
        onsite_tce = onsite * KGCE_PER_KWH / 1000  # GB/T 2589-2020 calorific equivalent
        total = tce + onsite_tce
        if total <= 0:
            return _Measured(None, ("comprehensive_energy_tce",))
        biomass_tce = profile.energy(Carrier.BIOMASS) / GJ_PER_TCE
        renewable = onsite_tce + contracts * KGCE_PER_KWH / 1000 + biomass_tce
        return _Measured(
            100 * renewable / total,
            key="readiness_energy_share_basis",
            values={"renewable": human(renewable), "total": human(total)},
        )
    if metric in ("onsite_self_consumption", "onsite_export_share"):
        if onsite <= 0:
            return _Measured(None, applicable=False)
        return _Measured(None, ("onsite_generation_total_kwh", "onsite_export_kwh"))
    needs = {
        "renewable_waste_heat_share": "waste_heat_recovered_tce",
        "renewable_capacity": "renewable_capacity_mw",
        "product_footprint_reduction": "product_footprint_base_year",
    }
    return _Measured(None, (needs[metric],))


def zero_carbon_readiness(
    profile: FactoryProfile, footprint: Footprint, lang: Lang = "en"
) -> ZeroCarbonReadiness | None:
    """The plant held against every zero-carbon factory indicator with a published number.

    Parameters
    ----------
    profile
        The factory; the programme is China's, so a plant elsewhere gets ``None``.
    footprint
        Its footprint (:func:`features.accounting.footprint.compute_footprint`).
    lang
        Language of the names and sentences.

    Returns
    -------
    ZeroCarbonReadiness or None
        One check per indicator row that applies to the plant's sector; provincial rows are the
        plant's own province's when the table has them, else every other province's, marked as
        a reference.
    """
    if profile.country != Country.CN:
        return None
    province = normalise_region(Country.CN, profile.region)
    rows = [r for r in load_indicators() if not r.sectors or profile.sector.value in r.sectors]
    provinces = sorted({r.province for r in rows if r.province is not None})
    own = province in provinces
    shown = [province] if own else provinces
    if own:
        statement = Message("readiness_own_province", lang, province=province)
    else:
        statement = Message(
            "readiness_reference_province", lang, own=province, reference=", ".join(shown)
        )
    checks = [
        _check(r, profile, footprint, lang, own)
        for r in rows
        if r.province is None or r.province in shown
    ]
    return ZeroCarbonReadiness(
        province=province,
        own_province_has_thresholds=own,
        reference_provinces=[] if own else shown,
        national_statement=Message("readiness_no_national", lang, doc=NATIONAL_GUIDANCE),
        province_statement=statement,
        checks=checks,
    )


def _check(
    row: IndicatorRow, profile: FactoryProfile, fp: Footprint, lang: Lang, own: bool
) -> IndicatorCheck:
    measured = _measure(row.metric, profile, fp)
    status: Status
    missing = list(measured.missing)
    if not measured.applicable:
        status = "not_applicable"
        explanation = Message("readiness_no_onsite", lang)
    elif measured.value is None or row.threshold_value is None:
        status = "not_computable"
        if row.threshold_value is None and "national_consumption_weight" not in missing:
            missing.append("national_consumption_weight")  # a threshold in words only
        needs = [Message(_NEEDS[m], lang) for m in missing if m in _NEEDS]
        if measured.key:
            needs.insert(0, Message(measured.key, lang, **measured.values))
        explanation = Message.joined(needs, lang=lang)
    else:
        if row.threshold_op == "<=":
            ok = measured.value <= row.threshold_value
        else:
            ok = measured.value >= row.threshold_value
        status = "pass" if ok else "fail"
        explanation = Message(measured.key, lang, **measured.values)
    # The row's own fields come validated once per language; the plant's are set on a copy.
    return _row_check(row, lang, own).model_copy(
        update={
            "value": measured.value,
            "status": status,
            "status_text": Message(f"readiness_{status}", lang),
            "missing": missing,
            "explanation": explanation,
        }
    )


@functools.cache
def _row_check(row: IndicatorRow, lang: Lang, own: bool) -> IndicatorCheck:
    """Indicator ``row`` as a check in ``lang`` with every field that does not depend on the
    plant (its value, status, what is missing and the explanation are filled per plant)."""
    basis: Basis
    if row.province is None:
        basis, basis_text = "national_related", Message("readiness_basis_national", lang)
    elif own:
        basis = "own_province"
        basis_text = Message("readiness_basis_own", lang, province=row.province)
    else:
        basis = "reference_province"
        basis_text = Message("readiness_basis_reference", lang, province=row.province)
    texts = row.texts(lang)
    return IndicatorCheck(
        indicator_id=row.indicator_id,
        indicator=row.name_zh if lang == "zh" else row.name_en,
        indicator_source_name=row.name_zh,
        value=None,
        unit=row.unit,
        threshold_op=row.threshold_op,
        threshold_value=row.threshold_value,
        threshold_text=texts["threshold_text"],
        target_year=row.target_year,
        status="not_computable",
        status_text=Message("readiness_not_computable", lang),
        missing=[],
        explanation=EMPTY,
        basis=basis,
        basis_text=basis_text,
        province=row.province,
        scheme=row.scheme,
        issuer=row.issuer,
        doc_number=row.doc_number,
        doc_date=texts["doc_date"],
        source_url=row.source_url,
        source_type=texts["source_type"],
        confidence=row.confidence,
        note=Message.plain(texts["note"], lang),
    )
