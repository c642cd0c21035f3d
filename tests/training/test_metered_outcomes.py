"""Metered outcomes teach the next model, end to end: plants whose meters show half the saving
the model predicts for variable-speed drives are verified (features.verification), reported to a
real SQLite outcomes store, read back as ``decarb-train --outcomes-url`` reads them, and a tiny
bundle trained on them with the generated data expects less of that measure than one trained
without them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from features.accounting.factors import FactorTable
from features.catalogue.measures import Catalogue
from features.profile import profiles_from_frame
from features.sources.outcome_store import OutcomeStore, check_report
from features.sources.schema import Dataset
from features.units import GJ_PER_KWH, Carrier
from features.verification import to_outcome_report, verify
from features.verification.generator import generate_meters
from models.bundle import RecommendationBundle
from models.metered import UNCERTAINTY_COLUMN, VERDICT_COLUMN
from models.served import REALISATION_PRIOR
from training.config import TrainConfig
from training.pipeline import load_configured

MEASURE = "variable_speed_drives"
ELECTRICITY = list(Carrier).index(Carrier.ELECTRICITY)
#: Plants really save this share of what the model trained on estimates predicts.
TRUE_RATIO = 0.5
N_PLANTS = 40


def _measure(bundle: RecommendationBundle, factories: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per factory with a variable-speed-drive candidate: its row of the served scores (log
    fraction, low end of the tCO2e interval), the realisation median and the electricity the
    measure acts on (kWh)."""
    profiles, rejected = profiles_from_frame(factories)
    assert not rejected
    catalogue = Catalogue.default()
    _, found, scores, _ = bundle.score_candidates(
        factories, profiles, FactorTable.default(), catalogue
    )
    rows = np.flatnonzero(found.keys == MEASURE)
    medians, _ = bundle.realisation(found.keys[rows], catalogue)
    return {
        "factory": found.factory_index[rows],
        "log_fraction": scores.log_fraction[rows],
        "tco2e_low": scores.tco2e_low[rows],
        "realisation": medians,
        "targeted_kwh": found.targeted_gj[rows, ELECTRICITY] / GJ_PER_KWH,
    }


def _report_metered_plants(
    bundle: RecommendationBundle, factories: pd.DataFrame, url: str
) -> pd.DataFrame:
    """Meter, verify and report variable-speed drives at ``factories`` (those with the
    candidate), each saving TRUE_RATIO of what ``bundle`` predicts; the plants reported."""
    before = _measure(bundle, factories)
    profiles, _ = profiles_from_frame(factories)
    store = OutcomeStore(url)
    reported = []
    try:
        for i, f in enumerate(before["factory"].tolist()[:N_PLANTS]):
            profile = profiles[f].model_dump(mode="json")
            predicted_kwh = np.exp(before["log_fraction"][i]) * before["targeted_kwh"][i]
            plant_kwh = profiles[f].energy(Carrier.ELECTRICITY)
            plant = generate_meters(
                seed=100 + i, kind="production", carriers=(Carrier.ELECTRICITY,),
                true_fraction=TRUE_RATIO * predicted_kwh / plant_kwh, measure_id=MEASURE,
                factory_id=str(profile["factory_id"]),
            )  # fmt: skip
            # The generated plant at this factory's scale: its baseline year is the profile's.
            baseline = [r.quantity for r in plant.request.readings][12:24]
            scale = plant_kwh / sum(baseline)
            readings = [r.model_copy(update={"quantity": r.quantity * scale})
                        for r in plant.request.readings]  # fmt: skip
            request = plant.request.model_copy(update={"readings": readings})
            report = to_outcome_report(verify(request), profile)
            store.add(check_report(report.model_dump(mode="json")))
            reported.append(f)
    finally:
        store.close()
    return factories.iloc[reported].reset_index(drop=True)


def test_metered_outcomes_teach_the_next_model(
    tiny_data: Dataset, tiny_bundle: RecommendationBundle, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'outcomes.db'}"
    plants = _report_metered_plants(tiny_bundle, tiny_data.factories.head(N_PLANTS * 2), url)
    assert len(plants) == N_PLANTS
    # The training data decarb-train builds from the generated source and the store.
    config = TrainConfig(source="synthetic", n_factories=600, seed=11, outcomes_url=url)  # type: ignore[call-arg]
    data = load_configured(config)
    metered = data.outcomes[data.outcomes["provenance"] == "outcomes"]
    assert metered[VERDICT_COLUMN].notna().all()
    assert (metered[UNCERTAINTY_COLUMN] > 0).all()
    bundle = RecommendationBundle(tiny_bundle.config).fit(data.factories, data.outcomes)
    assert bundle.n_metered_outcomes_ == len(metered) == N_PLANTS
    median, _, count = bundle.realisation_["technology_upgrade"]
    assert count == len(metered)

    before, after = _measure(tiny_bundle, plants), _measure(bundle, plants)
    # What the new model expects a plant to see, over what the old one predicted: the served
    # median times the learned realisation, against the old prediction.
    expected = np.exp(after["log_fraction"] - before["log_fraction"]) * median
    ratio = float(np.median(expected))
    print(
        f"learned realisation {median:.3f} from {count}; prediction moved "
        f"{float(np.median(np.exp(after['log_fraction'] - before['log_fraction']))):.3f}; "
        f"expected/old {ratio:.3f}; low end "
        f"{float(np.median(after['tco2e_low'] / before['tco2e_low'])):.3f}"
    )
    assert abs(ratio - TRUE_RATIO) < abs(REALISATION_PRIOR[0] - TRUE_RATIO)
    # The served low end of the measure at these plants is lower than without the outcomes.
    assert np.median(after["tco2e_low"] / before["tco2e_low"]) < 0.9
