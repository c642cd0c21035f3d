"""The streaming count of a batch's factories, which decides a 413 before the body is parsed:
it must agree with a JSON parser's count however the body is cut into pieces."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from serving.body_meters import BatchCounter


def _value(rng: random.Random, depth: int) -> Any:  # Any: arbitrary JSON
    kind = rng.choice(["number", "string", "tricky", "literal", "object", "array"])
    if depth > 3 and kind in ("object", "array"):
        kind = "number"
    if kind == "number":
        return rng.choice([0, -1.5e-3, 12345, 3.25])
    if kind == "string":
        return "".join(rng.choice("ab{}[],:x ") for _ in range(rng.randint(0, 8)))
    if kind == "tricky":  # escapes: quotes and backslashes inside strings
        return rng.choice(['he said "no"', "C:\\dir\\", "\\", '"', "tab\there", "é中"])
    if kind == "literal":
        return rng.choice([True, False, None])
    if kind == "object":
        return {f"k{i}": _value(rng, depth + 1) for i in range(rng.randint(0, 4))}
    return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]


def _body(rng: random.Random, escapes: bool) -> bytes:
    items: list[Any] = []  # Any: factories of any JSON shape
    for _ in range(rng.randint(0, 12)):
        item = rng.choice(["factory", "factory", "number", "string", "list", "literal"])
        if item == "factory":
            items.append(
                {
                    "factory_id": f"f{len(items)}",
                    "sector": "steel",
                    "nested": _value(rng, 2),
                    "x": [1, {"y": "[,]"}],
                }
            )
        elif item == "number":
            items.append(7)
        elif item == "string":
            items.append("a,b]")
        elif item == "list":
            items.append([1, [2, 3]])
        else:
            items.append(None)
    document: dict[str, Any] = {"options": {"top_k": 3, "factories": [1, 2, 3]}}
    document["factories"] = items
    document["after"] = {"factories_like": ["x", "y"]}
    text = json.dumps(document, ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, 1]))
    body = text.encode()
    if not escapes:
        body = body.replace(b"\\", b"")  # no escapes (the body may stop being JSON)
    return body


def _count(body: bytes, cuts: list[int]) -> int:
    counter = BatchCounter()
    last = 0
    counted = 0
    for cut in [*cuts, len(body)]:
        counted = counter.feed(body[last:cut])
        last = cut
    return counted


@pytest.mark.parametrize("escapes", [False, True])
def test_the_count_equals_a_parsers_for_any_cut_of_the_body(escapes: bool) -> None:
    rng = random.Random(7 if escapes else 11)
    checked = escaped = 0
    for _ in range(400):
        body = _body(rng, escapes)
        escaped += b"\\" in body
        try:
            expected = len(json.loads(body)["factories"])
        except json.JSONDecodeError:
            continue  # removing escapes can break a string; such bodies are not JSON
        cuts = sorted(rng.sample(range(1, len(body)), k=min(len(body) - 1, rng.randint(0, 6))))
        assert _count(body, cuts) == expected, (body, cuts)
        if checked % 8 == 0:  # one byte at a time
            assert _count(body, list(range(1, len(body)))) == expected
        checked += 1
    assert checked > 300
    # both readings are exercised: with escapes (token by token) and without (array operations)
    assert escaped > 100 if escapes else escaped == 0


def test_a_realistic_batch_is_counted_whole_and_in_network_sized_pieces() -> None:
    profile = {"factory_id": "plant-1", "sector": "automotive", "region": "Jiangsu",
               "electricity_kwh": 2.5e7, "natural_gas_m3": 1.2e6, "measures_in_place": ["a", "b"],
               "end_use_shares": {"electricity": {"machine_drive": 0.5}}}  # fmt: skip
    body = json.dumps({"factories": [profile] * 501, "options": {"top_k": 5}}).encode()
    assert _count(body, []) == 501
    assert _count(body, list(range(65_536, len(body), 65_536))) == 501
    assert _count(body, list(range(1_000, len(body), 1_000))) == 501
