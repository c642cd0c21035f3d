"""docs/engineering-basis.md covers every physical measure and the physics constants in use."""

from __future__ import annotations

from pathlib import Path

from features.catalogue.measures import Catalogue
from features.catalogue.route_basis import heavy_industry_markdown
from features.enduses import physics

DOC = Path(__file__).resolve().parents[2] / "docs" / "engineering-basis.md"


def test_every_physical_measure_is_documented_with_its_end_uses() -> None:
    text = DOC.read_text(encoding="utf-8")
    for m in Catalogue.default().measures.values():
        if m.reduction_kind != "physical":
            continue
        row = next(line for line in text.splitlines() if line.startswith(f"| `{m.id}` |"))
        assert ", ".join(u.value for u in m.end_uses) in row
        assert f"**`{m.id}`**" in text


def test_documented_physics_matches_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert f"{physics.CHP_ELECTRICAL_EFFICIENCY} / {physics.CHP_THERMAL_EFFICIENCY}" in text
    assert f"{physics.CARNOT_FRACTION} x Carnot" in text
    assert f"{physics.PV_KWP_PER_M2} kWp per m2" in text


def test_heavy_industry_section_is_generated_from_the_numbers_in_use() -> None:
    """Rewrite with: python scripts/build_heavy_industry_basis.py"""
    assert heavy_industry_markdown() in DOC.read_text(encoding="utf-8")
