"""A new measure is one catalogue entry plus its Chinese text: the entry carries its pathway step
and the generator's assumptions, the catalogue refuses it without them (naming the measure and
the field), and a measure added this way is generated, learned and answered."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import pytest
import yaml

from features.catalogue.measures import Catalogue, measure_ids
from features.errors import CatalogueError
from features.profile import parse_profile
from features.sources.synthetic import SyntheticConfig, generate
from models.bundle import BundleConfig, RecommendationBundle
from models.schemas import RecommendOptions

DATA = Path(__file__).parents[2] / "features" / "data"
NEW_ID = "pump_impeller_trimming"
NEW_ZH_NAME = "水泵叶轮切削"
#: A measure that exists nowhere in the code: an entry as a contributor would write it.
NEW_ENTRY: dict[str, Any] = {
    "id": NEW_ID,
    "name": "Pump impeller trimming",
    "family": "technology_upgrade",
    "carriers_reduced": ["electricity"],
    "mechanism": "Trims the impeller of a pump sized above its duty so it stops throttling.",
    "lifetime_years": 15,
    "end_uses": ["machine_drive"],
    "max_fraction": 0.1,
    "typical_saving": {
        "low": 0.01, "high": 0.03, "of": "machine_drive energy on electricity",
        "source": "test entry: a range stated for this test only",
    },
    "typical_payback_years": {
        "low": 0.5, "high": 2.0, "unit": "years", "source": "test entry: stated for this test",
    },
    "arc_prefixes": [],
    "pathway_step": "efficiency",
    "generated": {
        "hours_exponent": 0.5, "management": 0.0, "popularity": 6.0, "in_place": 0.0,
        "source": "test entry: ASSUMPTION stated for this test only",
    },
}  # fmt: skip
NEW_ZH_MECHANISM = "切削超出工况需求的水泵叶轮，免去节流损失。"
NEW_ZH = f"{NEW_ID}:\n  name: {NEW_ZH_NAME}\n  mechanism: {NEW_ZH_MECHANISM}\n"


@functools.cache
def _parsed() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((DATA / "measures.yaml").read_text(encoding="utf-8"))
    return doc


def _doc() -> dict[str, Any]:
    """The bundled catalogue document (a fresh copy: tests change it)."""
    return copy.deepcopy(_parsed())


def _chinese() -> str:
    return (DATA / "measures_zh.yaml").read_text(encoding="utf-8") + NEW_ZH


def _with(entry: dict[str, Any]) -> Catalogue:
    """The bundled catalogue with ``entry`` added, as its YAML and Chinese text."""
    doc = _doc()
    doc["measures"].append(entry)
    return Catalogue.from_yaml(yaml.safe_dump(doc, allow_unicode=True), chinese=_chinese())


def _alone(entry: dict[str, Any]) -> Catalogue:
    """A catalogue of ``entry`` only (each check is per measure, so this is as strict)."""
    return Catalogue.from_yaml(yaml.safe_dump({"measures": [entry]}), chinese=NEW_ZH)


def test_every_drawn_measure_carries_its_assumptions_and_every_physical_one_its_step() -> None:
    catalogue = Catalogue.default()
    for m in catalogue.measures.values():
        drawn = m.reduction_kind == "physical" and m.route is None
        assert (m.generated is not None) == drawn, m.id
        assert (m.pathway_step is not None) == (m.reduction_kind == "physical"), m.id
        if m.generated is not None:
            assert "ASSUMPTION" in m.generated.source, m.id
    assert catalogue["steel_ccus"].pathway_step == "capture"
    assert catalogue["rooftop_pv"].generated is not None
    assert catalogue["rooftop_pv"].generated.effect == "potential"


def test_a_measure_added_only_in_yaml_is_generated_learned_and_answered() -> None:
    catalogue = _with(copy.deepcopy(NEW_ENTRY))
    assert catalogue[NEW_ID].name_zh == NEW_ZH_NAME
    assert measure_ids(NEW_ZH_NAME, catalogue) == (NEW_ID,)

    data = generate(SyntheticConfig(n_factories=400, seed=3), catalogue=catalogue)
    assert NEW_ID in set(data.truth["measure_id"].astype(str))
    outcomes = data.outcomes[data.outcomes["measure_id"] == NEW_ID]
    assert len(outcomes) > 20
    assert not data.factories["measures_in_place"].str.contains(NEW_ID).any()  # in_place 0

    config = BundleConfig(n_estimators=20, num_leaves=15, min_child_samples=10, random_state=1)
    bundle = RecommendationBundle(config).fit(data.factories, data.outcomes, catalogue=catalogue)
    assert NEW_ID in bundle.spec_.measure_keys
    profile = parse_profile(
        {"factory_id": "p", "country": "CN", "region": "Jiangsu", "sector": "machinery",
         "reporting_year": 2023, "electricity_kwh": 8.0e6, "employees": 200}
    )  # fmt: skip
    options = RecommendOptions(top_k=60, explain="none", lang="zh", min_evidence=0)
    (answer,) = bundle.recommend([profile], options, catalogue=catalogue)
    (listed,) = [r for r in answer.recommendations if r.measure_id == NEW_ID]
    assert (listed.name, listed.mechanism) == (NEW_ZH_NAME, NEW_ZH_MECHANISM)
    # The bundled catalogue does not know it: the same bundle never offers it there.
    (plain,) = bundle.recommend([profile], options)
    assert NEW_ID not in {r.measure_id for r in plain.recommendations}


def _drop(path: str) -> dict[str, Any]:
    entry = copy.deepcopy(NEW_ENTRY)
    *parents, last = path.split(".")
    node = entry
    for part in parents:
        node = node[part]
    del node[last]
    return entry


def _set(path: str, value: Any) -> dict[str, Any]:
    entry = copy.deepcopy(NEW_ENTRY)
    *parents, last = path.split(".")
    node = entry
    for part in parents:
        node = node[part]
    node[last] = value
    return entry


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (_drop("generated.popularity"), r"generated\.popularity: Field required"),
        (_drop("generated.in_place"), r"generated\.in_place: Field required"),
        (_drop("generated.source"), r"generated\.source: Field required"),
        (_drop("generated"), r"generated is missing"),
        (_drop("pathway_step"), r"pathway_step is missing"),
        (_drop("typical_saving"), r"generated\.fraction is missing \(it has no typical_saving"),
        (_set("generated.in_place", 1.5), r"generated\.in_place: Input should be less than 1"),
        (_set("generated.popularity", 0), r"generated\.popularity: Input should be greater"),
        (_set("generated.hours_exponent", 9), r"generated\.hours_exponent"),
        (_set("generated.effect", "magic"), r"generated\.effect"),
        (_set("generated.effect", "potential"), r"effect 'potential' needs a conversion"),
        (_set("pathway_step", "later"), r"pathway_step: Input should be"),
        (_set("pathway_step", "capture"), r"pathway_step 'capture' but it does not capture"),
        (_set("pathway_step", "structural"), r"'structural' needs a conversion or a route"),
        (_set("conversion", "heat_pump"), r"pathway_step 'efficiency' but it changes"),
        (_set("name_zh", NEW_ZH_NAME), r"belong in measures_zh\.yaml"),
    ],
)
def test_a_new_measure_without_its_assumptions_or_step_is_refused_by_name(
    entry: dict[str, Any], message: str
) -> None:
    assert _alone(copy.deepcopy(NEW_ENTRY))[NEW_ID].name_zh == NEW_ZH_NAME
    with pytest.raises(CatalogueError, match=rf"measure '{NEW_ID}': .*{message}"):
        _alone(entry)


@pytest.mark.parametrize(
    ("measure_id", "change", "message"),
    [
        ("steel_ccus", {"generated": NEW_ENTRY["generated"]}, "generated is only for"),
        ("green_certificates", {"pathway_step": "efficiency"}, "pathway_step is for physical"),
        ("steel_ccus", {"pathway_step": "structural"}, "pathway_step 'structural' but it captures"),
        ("heat_pumps", {"pathway_step": "efficiency"}, "pathway_step 'efficiency' but it changes"),
    ],
)
def test_bundled_measures_with_misplaced_assumptions_or_steps_are_refused(
    measure_id: str, change: dict[str, Any], message: str
) -> None:
    (entry,) = [m for m in _doc()["measures"] if m["id"] == measure_id]
    with pytest.raises(CatalogueError, match=f"measure '{measure_id}': {message}"):
        _alone({**entry, **change})


def test_a_conversion_without_its_fraction_is_refused() -> None:
    (entry,) = [m for m in _doc()["measures"] if m["id"] == "heat_pumps"]
    assert _alone(entry)["heat_pumps"].generated is not None
    del entry["generated"]["fraction"]
    with pytest.raises(CatalogueError, match=r"'heat_pumps': generated\.fraction is missing"):
        _alone(entry)
