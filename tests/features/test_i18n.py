"""Sentences in English and Chinese, and numbers rounded for people."""

from __future__ import annotations

import string

import pytest

from features.i18n import TEXTS, has_chinese, human, text, translate


def _names(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_every_sentence_has_chinese_with_the_same_placeholders(key: str) -> None:
    en, zh = TEXTS[key]
    assert has_chinese(zh), key
    assert not has_chinese(en), key
    assert _names(en) == _names(zh), key


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_an_english_sentence_reads_back_into_chinese(key: str) -> None:
    values = {name: f"V{i}" for i, name in enumerate(sorted(_names(TEXTS[key][0])))}
    english = text(key, "en", **values)
    assert translate(english, "zh") == text(key, "zh", **values)
    assert translate(english, "en") == english


def test_no_two_sentences_share_their_english() -> None:
    english = [en for en, _ in TEXTS.values()]
    assert len(english) == len(set(english))


def test_words_inside_sentences_are_translated() -> None:
    note = "; ".join(
        [
            text("no_level_factor", level="province", region="Tibet", label="national"),
            text("no_year_factor", year=2030, used=2023),
        ]
    )
    assert translate(note, "zh") == "无Tibet的省级排放因子，采用全国；无2030年排放因子，采用2023年"
    reason = text("nothing_to_act_on", carriers="natural_gas, coal", uses="lighting")
    assert translate(reason, "zh") == "无作用对象：照明未使用天然气、煤炭"
    warning = text(
        "outside_training_range", field="employees", value="5,000", side="above", span="1-100"
    )
    assert translate(warning, "zh").startswith("员工人数 5,000高于训练工厂的范围")


def test_a_sentence_from_no_template_comes_back_unchanged() -> None:
    assert translate("a free sentence", "zh") == "a free sentence"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (12345.678, "12,300"),
        (0.012345, "0.0123"),
        (-3.14159, "-3.14"),
        (999.96, "1,000"),
        (1.0, "1"),
        (0.0, "0"),
        (1.5e9, "1,500,000,000"),
        (None, "-"),
        (float("nan"), "-"),
    ],
)
def test_numbers_for_people_have_three_significant_figures(value: float, shown: str) -> None:
    assert human(value) == shown
