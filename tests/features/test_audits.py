"""The default training data: the real IAC audits shipped in the package (checked against their
checksums) blended with generated data calibrated to them, each row keeping its provenance;
the pipeline judges the blend on each part and the card and caveat name both, with counts."""

from __future__ import annotations

import copy
import gzip
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.errors import InvalidValueError
from features.i18n import has_chinese
from features.sources import SyntheticConfig, load_dataset
from features.sources.combined import CN_CPI_2024_OVER_2023, blend, training_parts
from features.sources.packaged import PACKAGED_IAC, verify_packaged
from features.sources.schema import Dataset
from features.sources.synthetic import generate
from models.bundle import BundleConfig, RecommendationBundle
from models.card import model_card
from models.schemas import RecommendOptions
from training.config import TrainConfig
from training.pipeline import baseline_losses, run_training


def test_the_shipped_audits_match_their_checksums() -> None:
    listed = verify_packaged()
    assert set(listed) == {"rec.csv.gz", "assess.csv.gz", "state_carbon_intensity_derived.csv"}
    assert (PACKAGED_IAC / "DATACARD.md").is_file()


def test_a_changed_or_missing_shipped_file_is_refused(tmp_path: Path) -> None:
    copy_dir = tmp_path / "iac"
    shutil.copytree(PACKAGED_IAC, copy_dir)
    table = copy_dir / "state_carbon_intensity_derived.csv"
    table.write_text(table.read_text().replace("0.", "9.", 1))
    with pytest.raises(InvalidValueError, match=r"state_carbon_intensity_derived\.csv"):
        verify_packaged(copy_dir)
    table.unlink()
    with pytest.raises(InvalidValueError, match="missing"):
        verify_packaged(copy_dir)


@pytest.fixture(scope="module")
def audit_subset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped audits of 1,500 plants (every fifth year's worth kept small), as a release
    folder the reader takes like the shipped one."""
    folder = tmp_path_factory.mktemp("iac-subset")
    assess = pd.read_csv(PACKAGED_IAC / "assess.csv.gz", dtype=str, keep_default_na=False)
    kept = assess.sample(n=1500, random_state=0)
    recc = pd.read_csv(PACKAGED_IAC / "rec.csv.gz", dtype=str, keep_default_na=False)
    for name, frame in (("assess.csv.gz", kept), ("rec.csv.gz", recc[recc["id"].isin(kept["id"])])):
        with gzip.open(folder / name, "wt", encoding="utf-8") as handle:
            frame.to_csv(handle, index=False)
    return folder


@pytest.fixture(scope="module")
def blended(audit_subset: Path) -> Dataset:
    return load_dataset("audits", audit_subset, synthetic=SyntheticConfig(n_factories=300, seed=5))


def test_blend_keeps_every_row_with_its_provenance(blended: Dataset, audit_subset: Path) -> None:
    real = load_dataset("iac", audit_subset)
    generated = generate(SyntheticConfig(n_factories=300, seed=5))
    assert len(blended.outcomes) == len(real.outcomes) + len(generated.outcomes)
    assert len(blended.factories) == len(real.factories) + len(generated.factories)
    blended.report.check_balance()
    counts = blended.outcomes["provenance"].value_counts().to_dict()
    assert counts == {"iac": len(real.outcomes), "synthetic": len(generated.outcomes)}
    assert blended.truth is not None
    assert generated.truth is not None
    assert len(blended.truth) == len(generated.truth)
    assert blended.report.source == "audits"
    assert blended.report.money_base_year == 2024
    parts = {p["source"]: p for p in training_parts(blended.factories, blended.outcomes)}
    assert parts["iac"]["factories"] == len(real.factories)
    assert parts["iac"]["countries"] == ["US"]
    assert parts["synthetic"]["outcomes"] == len(generated.outcomes)
    assert parts["synthetic"]["years"] == "2021-2024"


def test_generated_money_is_restated_at_the_audits_price_level(blended: Dataset) -> None:
    generated = generate(SyntheticConfig(n_factories=300, seed=5))
    assert generated.report.money_base_year == 2023
    mine = blended.outcomes[blended.outcomes["provenance"] == "synthetic"]
    # Generated outcome money is CNY of 2023: in USD at the 2023 rate the generator was
    # calibrated with (7.0809 CNY per USD), then 2024 dollars by the CPI-U (313.689 / 304.702,
    # BLS annual averages), so the cost model reads one currency.
    assert set(mine["currency"]) == {"USD"}
    np.testing.assert_allclose(
        mine["implementation_cost"].to_numpy(),
        generated.outcomes["implementation_cost"].to_numpy() / 7.0809 * (313.689 / 304.702),
        rtol=1e-4,
    )
    # Factories keep their own declared currency, restated by China's CPI.
    gen_f = blended.factories[blended.factories["x_provenance"] == "synthetic"]
    assert set(gen_f["revenue_currency"].astype(str)) == {"CNY"}
    paybacks = mine["implementation_cost"] / mine["cost_savings_per_year"]
    original = (
        generated.outcomes["implementation_cost"] / generated.outcomes["cost_savings_per_year"]
    )
    np.testing.assert_allclose(paybacks.to_numpy(), original.to_numpy())
    assert CN_CPI_2024_OVER_2023 == 1.002
    real = blended.outcomes[blended.outcomes["provenance"] == "iac"]
    assert set(real["currency"]) == {"USD"}


def test_blend_refuses_factory_ids_that_collide(tiny_data: Dataset) -> None:
    with pytest.raises(InvalidValueError, match="factory_id"):
        blend(tiny_data, tiny_data)


def test_the_caveat_names_both_parts_with_counts_and_years(
    tiny_bundle: RecommendationBundle,
) -> None:
    bundle = copy.copy(tiny_bundle)  # the shared fixture keeps its own record
    parts: list[dict[str, object]] = [
        {"source": "iac", "factories": 15786, "outcomes": 118300, "years": "1981-2021",
         "countries": ["US"]},
        {"source": "synthetic", "factories": 4021, "outcomes": 30038, "years": "2021-2024",
         "countries": ["CN"]},
    ]  # fmt: skip
    bundle.describe_training("audits", {}, money_base_year=2024, parts=parts)
    warnings = bundle.data_warnings(RecommendOptions())
    (caveat,) = [w for w in warnings if "Industrial Assessment" in w]
    assert any(w.startswith("each tCO2e interval is of what your plant may see") for w in warnings)
    for piece in ("118,300", "15,786", "1981-2021", "30,038", "4,021", "2021-2024", "2024",
                  "not metered"):  # fmt: skip
        assert piece in caveat, piece
    zh = caveat.in_lang("zh")
    assert has_chinese(zh)
    assert "118,300" in zh
    assert "Industrial" not in zh
    card = model_card(bundle)
    assert [p.source for p in card.trained_on.parts] == ["iac", "synthetic"]
    assert [p.generated for p in card.trained_on.parts] == [False, True]
    assert "iac: 15,786 factories, 118,300 outcomes, years 1981-2021" in card.summary
    assert card.trained_on.generated is False


def test_training_on_the_blend_judges_each_part(audit_subset: Path, tmp_path: Path) -> None:
    config = TrainConfig(
        source="audits",
        path=str(audit_subset),
        n_factories=300,
        seed=5,
        n_estimators=30,
        num_leaves=15,
        tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
        artifact_root=str(tmp_path / "artifacts"),
    )
    result = run_training(config)
    for part in ("iac", "synthetic"):
        for name in ("savings_r2_log", "adoption_roc_auc", "baseline_logistic.adoption_roc_auc",
                     "savings_interval_coverage"):  # fmt: skip
            assert np.isfinite(result.metrics[f"part.{part}.{name}"]), (part, name)
    # Ranking against the truth exists only where there is truth: the generated part.
    assert "part.synthetic.model_tco2e.hit_at_5" in result.metrics
    assert "part.iac.model_tco2e.hit_at_5" not in result.metrics
    # The gate reads the parts: the real part losing to its baseline alone refuses the model.
    metrics = dict(result.metrics)
    metrics["part.iac.adoption_roc_auc"] = (
        metrics["part.iac.baseline_logistic.adoption_roc_auc"] - 0.05
    )
    losses = baseline_losses(metrics, config)
    assert any(loss.startswith("part.iac.adoption_roc_auc") for loss in losses), losses


def test_catalogue_measures_never_take_the_coarse_rows_scale(blended: Dataset) -> None:
    """In the blend, a coarse row's target is a share of all the plant's energy and a catalogue
    measure's a share of its end uses; the regressors split on which kind a row is first, so
    what marks the real audits' plants (US states, their years) cannot carry the coarse scale
    to a catalogue measure."""
    config = BundleConfig(n_estimators=20, num_leaves=15, min_child_samples=10)
    bundle = RecommendationBundle(config).fit(blended.factories, blended.outcomes)
    column = bundle.spec_.names.index("catalogue_measure")
    boosters = {**bundle.savings_.boosters(), "cost": bundle.cost_.booster_}
    for name, booster in boosters.items():
        for tree in booster.dump_model()["tree_info"]:
            root = tree["tree_structure"]
            if "split_feature" not in root:  # a tree that found nothing to split
                continue
            assert root["split_feature"] == column, name
            assert 0 < root["threshold"] < 1, name
    # Generated data alone has no coarse rows: nothing is forced there.
    alone = generate(SyntheticConfig(n_factories=300, seed=5))
    plain = RecommendationBundle(config).fit(alone.factories, alone.outcomes)
    assert plain.cost_.split_first is None
