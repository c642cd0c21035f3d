"""A request, from profiles to answers: score every candidate pair once (deferred), put money
in each answer's currency and capex at its country's price level, rank each factory's rows,
complete and explain only the rows returned, stack portfolios and pathways, and assemble each
factory's answer with its caveats."""

from __future__ import annotations

import numpy as np

from features.accounting.factors import FactorTable
from features.catalogue.capex import PricedCapex, price_scored_capex, transfer_caveat
from features.catalogue.measures import Catalogue
from features.domain import InputWarning
from features.messages import Message
from features.profile import FactoryProfile
from features.table import profile_table
from features.units import USD_PER
from models.answer import FactoryParts, assemble_factory
from models.caveats import COARSE_MODEL_WARNING, data_warnings
from models.explain import Explainers, explain_rows
from models.fitted import FittedBundle
from models.pathway import stack_factories
from models.ranking import Chosen, rank_rows
from models.schemas import Explanation, FactoryRecommendations, RecommendOptions
from models.scores import Batch, Scores
from models.scoring import Candidates, candidates_of, complete_rows, score_pairs


def answer_currency(profile: FactoryProfile, options: RecommendOptions) -> str:
    """The currency an answer is in: the option, else the profile's revenue_currency when it
    sets one, else its country's (US plants answer in USD, Chinese plants in CNY)."""
    if options.currency is not None:
        return options.currency
    if "revenue_currency" in profile.model_fields_set:
        return profile.revenue_currency
    return "USD" if profile.country.value == "US" else "CNY"


def recommend(
    bundle: FittedBundle,
    profiles: list[FactoryProfile],
    options: RecommendOptions,
    table: FactorTable,
    catalogue: Catalogue,
) -> list[FactoryRecommendations]:
    """Ranked measures, portfolio and pathway for each profile, scored in one pass."""
    factories = profile_table(profiles)  # plain lists: no pandas on the request path
    c = candidates_of(bundle, factories, profiles, table, catalogue)
    batch, priced = _batch(bundle, profiles, options, c, table)
    # Below min_evidence training outcomes a learned measure is listed apart, not ranked
    # (only for models that tell measures apart; coarse models carry their own warning).
    min_evidence = options.min_evidence if bundle.ranks_measures else 0
    chosen = [
        rank_rows(rows, batch.lifetimes, batch.scores, options, min_evidence)
        for rows in batch.factory_rows
    ]
    # What is only shown (intervals, recommendation probability), for the rows shown.
    shown = np.concatenate(
        [np.zeros(0, dtype=np.intp)]
        + [np.concatenate([r.rows, r.increases, r.thin]).astype(np.intp) for r in chosen]
    )
    complete_rows(bundle, batch.scores, shown, c)
    # Explanations for every returned row of the batch in one call per model.
    explained = np.concatenate([r.rows for r in chosen]).astype(np.intp)
    columns = [col.source for col in bundle.spec_.columns]
    explanations = explain_rows(
        batch, Explainers(bundle.savings_, bundle.adoption_, columns), explained
    )
    stacked = stack_factories(batch, chosen)
    warnings = [] if bundle.ranks_measures else [COARSE_MODEL_WARNING]
    warnings += data_warnings(bundle, options)
    parts = _factory_parts(bundle, batch, chosen, explanations, priced)
    return [
        assemble_factory(batch, FactoryParts(i, chosen[i], stacked[i], e, warnings + w, inputs))
        for i, (e, w, inputs) in enumerate(parts)
    ]


def _batch(
    bundle: FittedBundle,
    profiles: list[FactoryProfile],
    options: RecommendOptions,
    c: Candidates,
    table: FactorTable,
) -> tuple[Batch, PricedCapex]:
    """The batch scored (deferred) with money in each factory's own currency (options.currency,
    else its own) and capex at the price level of its country (features/catalogue/capex.py)."""
    found, catalogue = c.found, c.catalogue
    scores = score_pairs(bundle, c, deferred=True)
    # Factory-major rows: factory i owns rows bounds[i]:bounds[i + 1].
    bounds = np.searchsorted(found.factory_index, np.arange(len(profiles) + 1))
    currencies = [answer_currency(p, options) for p in profiles]
    rate = np.array([USD_PER[bundle.currency_] / USD_PER[x] for x in currencies])
    priced = price_scored_capex(
        {"saved": scores.saved, "capex": scores.capex, "engineering": scores.engineering},
        found,
        profiles,
        catalogue,
        bundle.currency_,
        currencies,
    )
    scores = _in_answer_money(scores, rate[found.factory_index], priced)
    batch = Batch(
        profiles=profiles,
        energy=c.energy,
        found=found,
        scores=scores,
        kg=c.kg,
        catalogue=catalogue,
        table=table,
        options=options,
        currencies=currencies,
        rates=rate,
        factory_rows=[np.arange(bounds[i], bounds[i + 1]) for i in range(len(profiles))],
        lifetimes=catalogue.arrays.lifetime[catalogue.arrays.rows(found.keys)],
    )
    return batch, priced


def _in_answer_money(scores: Scores, row_rate: np.ndarray, priced: PricedCapex) -> Scores:
    """``scores`` with yearly money converted at ``row_rate`` and capex as ``priced``."""
    return scores.replace(
        cost_savings=scores.cost_savings * row_rate,
        gross_value=scores.gross_value * row_rate,
        capex=priced.mid,
        capex_low=priced.low,
        capex_high=priced.high,
    )


def _factory_parts(
    bundle: FittedBundle,
    batch: Batch,
    chosen: list[Chosen],
    explanations: list[Explanation],
    priced: PricedCapex,
) -> list[tuple[list[Explanation], list[Message], list[InputWarning]]]:
    """Per factory: its explanations (rank order), its own warnings (capex moved by a
    price-level ratio, inputs outside the training data) and its input warnings."""
    domain = getattr(bundle, "domain_", None)
    keys = batch.found.keys
    out = []
    start = 0
    for i, profile in enumerate(batch.profiles):
        end = start + len(chosen[i].rows)
        inputs = domain.check(profile) if domain is not None else []
        listed = np.concatenate([chosen[i].rows, chosen[i].increases, chosen[i].thin])
        moved = keys[listed[priced.transferred[listed]]]  # capex moved by a price-level ratio
        caveat = transfer_caveat(profile, bundle.currency_, moved)
        own = explanations[start:end] if explanations else []
        out.append((own, caveat + [w.message for w in inputs], inputs))
        start = end
    return out
