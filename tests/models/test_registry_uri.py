"""One reading of registry URIs, used by the loader, the alias poller and the answer's model
block."""

from __future__ import annotations

import pytest

from models.pyfunc import CHAMPION_URI, RegistryRef, alias_uri, parse_registry_uri


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (
            "models:/decarb-recommender@champion",
            RegistryRef("decarb-recommender", "champion", None),
        ),
        ("models:/decarb-recommender/3", RegistryRef("decarb-recommender", None, "3")),
        ("models:/decarb-recommender", RegistryRef("decarb-recommender", None, None)),
        ("runs:/0123abcd/bundle", None),
    ],
)
def test_registry_uris_are_read_apart(uri: str, expected: RegistryRef | None) -> None:
    assert parse_registry_uri(uri) == expected


def test_the_champion_uri_names_the_alias() -> None:
    assert CHAMPION_URI == "models:/decarb-recommender@champion"
    assert parse_registry_uri(alias_uri("other", "staging")) == RegistryRef(
        "other", "staging", None
    )
