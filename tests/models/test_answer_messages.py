"""Every sentence of an answer (warnings, input warnings, footprint and factor notes, reasons,
basis, evidence and portfolio notes, explanations) is a Message: a template key with its values,
rendered once in the answer's language. In Chinese answers no English sentence is left; in JSON
and in the schema each is a plain string, and a string read back validates."""

from __future__ import annotations

import copy
import json
import pickle
import re
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from features.accounting.readiness import IndicatorCheck
from features.i18n import TEXTS, has_chinese
from features.messages import JOIN, PLAIN, Message
from features.profile import FactoryProfile, parse_profile
from models.bundle import RecommendationBundle
from models.schemas import FactoryRecommendations, Objective, Pathway, RecommendOptions
from tests.reference.factories import ALL
from tests.reference.heavy import HEAVY, UNDECLARED_BF_BOF, UNDECLARED_EAF

OBJECTIVES: tuple[Objective, ...] = ("most_tco2e", "lowest_cost_per_tco2e", "most_adopted_tco2e")
#: Field names that hold sentences, wherever they sit in the answer.
SENTENCE = re.compile(r"warning|note|reason|summary|caveat|message|^effect$|statement|_text$")
#: Placeholders whose values are cited as published or are ids (left as they are in Chinese).
CITED = frozenset({"source", "measures", "route", "region", "label", "code", "products"})
#: Four Latin words in a row: an English phrase (a unit, id or standard's name is shorter).
ENGLISH_RUN = re.compile(r"[A-Za-z]+(?:[ -]+[A-Za-z]+){3,}")


def _profiles() -> dict[str, FactoryProfile]:
    profiles = {f"ref_{k}": parse_profile(v) for k, v in ALL.items()}
    profiles |= {f"heavy_{k}": parse_profile(v) for k, v in HEAVY.items()}
    profiles["undeclared_bf_bof"] = parse_profile(UNDECLARED_BF_BOF)
    profiles["undeclared_eaf"] = parse_profile(UNDECLARED_EAF)
    # Outside the training data and the factor table: input warnings and factor fallbacks.
    profiles["odd_steel_plant"] = parse_profile(
        {**ALL["steel_plant"], "factory_id": "odd", "region": "Yunnan", "reporting_year": 2030,
         "employees": 10**6, "offsets_tco2e": 10.0}
    )  # fmt: skip
    return profiles


@pytest.fixture(scope="module")
def bundle(tiny_bundle: RecommendationBundle) -> RecommendationBundle:
    """The tiny bundle as if trained on audits, with an adoption model no better than the plain
    rate and a realisation learned for one family: every caveat a bundle can carry."""
    b = copy.copy(tiny_bundle)
    b.describe_training(
        "audits",
        {"adoption_roc_auc": 0.61, "baseline_measure_rate.adoption_roc_auc": 0.64},
        money_base_year=2024,
        parts=[
            {"source": "iac", "factories": 15786, "outcomes": 118300, "years": "1981-2021"},
            {"source": "synthetic", "factories": 4021, "outcomes": 30038},
        ],
    )
    b.realisation_ = {
        "technology_upgrade": (0.7, 0.2, 40),
        "management_optimisation": (0.6, 0.3, 35),
    }
    return b


@pytest.fixture(scope="module")
def answers(bundle: RecommendationBundle) -> dict[tuple[str, str], list[FactoryRecommendations]]:
    """Every reference factory's answer under every objective, in English and Chinese."""
    profiles = list(_profiles().values())
    out: dict[tuple[str, str], list[FactoryRecommendations]] = {}
    for objective in OBJECTIVES:
        for lang in ("en", "zh"):
            options = RecommendOptions(
                objective=objective,
                lang=lang,
                top_k=60,
                explain="full",
                # one objective lists learned measures apart, with their evidence notes
                min_evidence=10**5 if objective == "lowest_cost_per_tco2e" else 30,
            )
            out[objective, lang] = bundle.recommend(profiles, options)
    return out


def _sentence_fields(model: BaseModel, path: str = "") -> Iterator[tuple[str, Any]]:
    """(path, value) of every sentence field under ``model`` (a readiness check's
    ``threshold_text`` is a threshold in words from the indicator table, not a sentence)."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        where = f"{path}.{name}"
        if name == "threshold_text":
            continue
        sentence = (
            SENTENCE.search(name)
            or (isinstance(model, Pathway) and name == "basis")
            or (isinstance(model, IndicatorCheck) and name == "explanation")
        )
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, BaseModel):
                yield from _sentence_fields(item, where)
            elif sentence:
                yield where, item


def _leaves(m: Message) -> Iterator[Message]:
    """The templated sentences inside ``m`` (joined parts and sentences inside sentences)."""
    if m.key == JOIN:
        for part in m.parts:
            yield from _leaves(part)
        return
    yield m
    for _, value in m.values:
        if isinstance(value, Message):
            yield from _leaves(value)


def _english_left(m: Message) -> list[str]:
    """English phrases in a Chinese sentence, its cited values and inner sentences aside."""
    shown = m.render()
    for name, value in m.values:
        if isinstance(value, Message) or name in CITED:
            shown = shown.replace(str(value), " ")
    return ENGLISH_RUN.findall(shown)


def test_every_sentence_of_every_answer_is_a_message_in_the_answer_language(
    answers: dict[tuple[str, str], list[FactoryRecommendations]],
) -> None:
    keys: set[str] = set()
    for (objective, lang), results in answers.items():
        for result in results:
            fields = list(_sentence_fields(result))
            assert len(fields) > 20, (objective, result.factory_id)
            for where, value in fields:
                assert isinstance(value, Message), (objective, lang, where, value)
                for leaf in _leaves(value):
                    keys.add(leaf.key)
                    # Every sentence has its template, but a readiness check's note: the
                    # indicator table's text in the answer's language
                    # (features/data/zero_carbon_indicators.csv).
                    assert (
                        leaf.key != PLAIN
                        or not leaf
                        or (where.endswith(".note") and ".readiness." in where)
                    ), (where, leaf)
                    if leaf.key != PLAIN:
                        assert leaf.lang == lang, (where, leaf)
    # Every kind of sentence the fixtures provoke was seen (the walk is not vacuous).
    for key in ("adoption_uninformative", "audits_data", "served_interval_learned",
                "family_realisation", "capex_transfer", "outside_training_range",
                "no_level_factor", "no_year_factor", "no_residual_factor", "route_inferred_warning",
                "route_inferred_footprint", "route_inferred_note", "carrier_change", "net_less",
                "thin_note", "engineering_note", "portfolio_note", "certificate_note", "summary",
                "raises_share", "process_default", "readiness_no_national",
                "readiness_reference_province", "readiness_basis_national",
                "readiness_carbon_basis", "pathway_basis", "market_note"):  # fmt: skip
        assert key in keys, key
    assert keys - {PLAIN} <= set(TEXTS)


def test_the_adoption_caveat_goes_with_the_adoption_objective_only(
    answers: dict[tuple[str, str], list[FactoryRecommendations]],
) -> None:
    for (objective, _), results in answers.items():
        for result in results:
            caveats = [w for w in result.warnings if w.key == "adoption_uninformative"]
            assert len(caveats) == (objective == "most_adopted_tco2e")


def test_chinese_answers_hold_no_english_sentence(
    answers: dict[tuple[str, str], list[FactoryRecommendations]],
) -> None:
    checked = 0
    for objective in OBJECTIVES:
        en_results, zh_results = answers[objective, "en"], answers[objective, "zh"]
        for en, zh in zip(en_results, zh_results, strict=True):
            for (where, en_value), (_, zh_value) in zip(
                _sentence_fields(en), _sentence_fields(zh), strict=True
            ):
                if not zh_value:
                    continue
                checked += 1
                assert has_chinese(zh_value), (where, zh_value)
                for leaf in _leaves(zh_value):
                    assert _english_left(leaf) == [], (where, leaf.key, leaf)
                # Rendered from the same key and values: the English answer's sentence is the
                # Chinese one in English (an explanation's summary is filled with the measure's
                # name and the field's words in the answer's language, so it reads in one only).
                if zh_value.key not in (PLAIN, "summary"):
                    assert zh_value.in_lang("en") == en_value, where
    assert checked > 1000


def test_the_english_and_chinese_caveat_of_the_adoption_weighting(
    answers: dict[tuple[str, str], list[FactoryRecommendations]],
) -> None:
    (en,) = [w for w in answers["most_adopted_tco2e", "en"][0].warnings if "ROC AUC" in w]
    (zh,) = [w for w in answers["most_adopted_tco2e", "zh"][0].warnings if "ROC AUC" in w]
    assert en == (
        "most_adopted_tco2e weighs by an adoption model that, as served, does not beat each "
        "measure's plain adoption rate on held-out factories (ROC AUC 0.610 vs 0.640): treat "
        "the adoption weighting as uninformative"
    )
    assert zh.startswith("按采纳概率加权的减排量优先所依据的采纳模型")
    assert "0.610" in zh
    assert "0.640" in zh


def test_answers_in_json_carry_strings_and_read_back_as_plain_messages(
    answers: dict[tuple[str, str], list[FactoryRecommendations]],
) -> None:
    for lang in ("en", "zh"):
        for result in answers["most_tco2e", lang]:
            body = result.model_dump_json()
            assert json.loads(body)["warnings"] == [str(w) for w in result.warnings]
            again = FactoryRecommendations.model_validate_json(body)
            assert again.model_dump_json() == body
            for where, value in _sentence_fields(again):
                assert isinstance(value, Message), where
                assert value.key == PLAIN, where
            assert result.model_dump()["warnings"] == [w.render() for w in result.warnings]
            assert all(type(w) is str for w in result.model_dump()["warnings"])


@pytest.mark.parametrize("mode", ["validation", "serialization"])
def test_the_schema_of_every_sentence_field_is_a_string(mode: str) -> None:
    schema = FactoryRecommendations.model_json_schema(mode=mode)  # type: ignore[arg-type]
    seen = 0
    for name, definition in [("FactoryRecommendations", schema), *schema["$defs"].items()]:
        for field, prop in definition.get("properties", {}).items():
            if not (SENTENCE.search(field) or (name == "Pathway" and field == "basis")):
                continue
            if "$ref" in prop or "anyOf" in prop:
                continue  # a model that holds sentences (e.g. input_warnings), walked itself
            item = prop["items"] if prop.get("type") == "array" else prop
            if "$ref" in item:
                continue
            assert item["type"] == "string", (name, field, prop)
            assert prop.get("default", "") in ("", []), (name, field, prop)
            seen += 1
    assert seen >= 12


def test_a_message_is_immutable_and_survives_copy_and_pickle() -> None:
    m = Message.joined(
        [Message("no_level_factor", level="province", region="Tibet", label="national"),
         Message("no_year_factor", year=2030, used=2023)]
    )  # fmt: skip
    with pytest.raises(AttributeError):
        m.lang = "zh"
    for again in (pickle.loads(pickle.dumps(m)), copy.deepcopy(m), copy.copy(m)):
        assert isinstance(again, Message)
        assert (again.key, again.values, again.lang) == (m.key, m.values, m.lang)
        assert again.in_lang("zh") == m.in_lang("zh")
    with pytest.raises(KeyError, match="no_such_sentence"):
        Message("no_such_sentence")
    with pytest.raises(ValueError, match="lang"):
        Message("nothing").in_lang("fr")  # type: ignore[arg-type]
