"""Batch scoring shortcuts give the numbers of the plain computation: intervals and
recommendation probabilities computed only for the rows shown, and portfolios and pathways of a
batch stacked together."""

from __future__ import annotations

import warnings

import numpy as np

from features.accounting.factors import FactorTable
from features.catalogue.measures import Catalogue
from features.profile import profiles_from_frame
from features.sources import Dataset
from features.table import profile_table
from models.bundle import RecommendationBundle
from models.schemas import RecommendOptions


def test_deferred_rows_complete_to_the_full_scores(
    tiny_bundle: RecommendationBundle, tiny_data: Dataset
) -> None:
    profiles, _ = profiles_from_frame(tiny_data.factories.head(30))
    frame, catalogue, table = profile_table(profiles), Catalogue.default(), FactorTable.default()
    candidates = tiny_bundle.candidates(frame, profiles, table, catalogue)
    full = tiny_bundle.score_pairs(candidates)
    deferred = tiny_bundle.score_pairs(candidates, deferred=True)
    learned = ~deferred.engineering
    assert np.isnan(deferred.tco2e_low[learned]).all()
    assert learned.any()
    assert (~learned).any()  # engineering rows keep their own interval throughout
    shown = np.arange(0, len(candidates.found), 3)
    tiny_bundle.complete_rows(deferred, shown, candidates)
    for name in ("tco2e_low", "tco2e_high", "applicability"):
        if getattr(full, name) is None:
            continue
        got, want = getattr(deferred, name)[shown], getattr(full, name)[shown]
        assert np.allclose(got, want, rtol=1e-12, equal_nan=True)
    assert np.isnan(deferred.tco2e_low[1::3][learned[1::3]]).all()  # only what was asked


def test_a_factory_gets_the_same_answer_alone_or_in_a_batch(
    tiny_bundle: RecommendationBundle, tiny_data: Dataset
) -> None:
    profiles, _ = profiles_from_frame(tiny_data.factories.head(25))
    options = RecommendOptions(top_k=6, explain="top")
    together = tiny_bundle.recommend(profiles, options)
    for profile, batched in zip(profiles[::6], together[::6], strict=True):
        (alone,) = tiny_bundle.recommend([profile], options)
        a, b = alone.model_dump(), batched.model_dump()
        assert a["pathway"] == b["pathway"]
        assert [r["portfolio_tco2e_avoided"] for r in a["recommendations"]] == [
            r["portfolio_tco2e_avoided"] for r in b["recommendations"]
        ]
        assert a == b


def test_answers_serialise_and_validate_back_to_themselves(
    tiny_bundle: RecommendationBundle, tiny_data: Dataset
) -> None:
    """Every field of a batch's answers has its schema's type: serialising and validating them
    again gives the same objects, without serialisation warnings."""
    profiles, _ = profiles_from_frame(tiny_data.factories.head(20))
    for lang in ("en", "zh"):
        results = tiny_bundle.recommend(profiles, RecommendOptions(explain="full", lang=lang))
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a field of the wrong type warns when serialised
            for result in results:
                again = type(result).model_validate_json(result.model_dump_json())
                assert again == result
                assert again.recommendations[0].explanation is not None or (
                    result.recommendations[0].basis == "engineering"
                )
