"""Energy prices used to value savings when a profile carries no bills of its own.

Prices are per canonical unit (kWh; GJ on the lower heating value; GJ of heat) in the country's
currency. They are illustrative defaults, not statistics: a profile's own electricity and fuel
bills (``electricity_cost_per_year``, ``fuel_cost_per_year``) override them.
"""

from __future__ import annotations

import numpy as np

from features.table import Table, floats, floats0, n_rows, texts
from features.units import PROFILE_FIELD, USD_PER, Carrier

#: China, CNY: electricity 0.70/kWh; gas 3.5/Nm3 = 90/GJ; coal 1,000/t = 48/GJ; diesel 7.5/L =
#: 210/GJ; fuel oil 4,500/t = 108/GJ; LPG 6,000/t = 120/GJ; heat 60/GJ; biomass 35/GJ; other 100/GJ.
PRICES_CNY: dict[Carrier, float] = {
    Carrier.ELECTRICITY: 0.70, Carrier.NATURAL_GAS: 90.0, Carrier.COAL: 48.0,
    Carrier.DIESEL: 210.0, Carrier.FUEL_OIL: 108.0, Carrier.LPG: 120.0,
    Carrier.PURCHASED_HEAT: 60.0, Carrier.BIOMASS: 35.0, Carrier.OTHER_FUEL: 100.0,
}  # fmt: skip
#: United States, USD: electricity 0.07/kWh (median IAC plant incl. demand charges); gas 5.39
#: USD/MMBtu (median IAC plant) = 5.7/GJ LHV; other fuels illustrative.
PRICES_USD: dict[Carrier, float] = {
    Carrier.ELECTRICITY: 0.07, Carrier.NATURAL_GAS: 5.7, Carrier.COAL: 3.0,
    Carrier.DIESEL: 20.0, Carrier.FUEL_OIL: 14.0, Carrier.LPG: 15.0,
    Carrier.PURCHASED_HEAT: 12.0, Carrier.BIOMASS: 4.0, Carrier.OTHER_FUEL: 12.0,
}  # fmt: skip
DEFAULT_PRICES: dict[str, tuple[str, dict[Carrier, float]]] = {
    "CN": ("CNY", PRICES_CNY),
    "US": ("USD", PRICES_USD),
}


def price_matrix(factories: Table, currency: str) -> np.ndarray:
    """(factories, carriers) prices in ``currency`` per canonical unit.

    The factory's own bills set its electricity price and a blended price for all other carriers;
    defaults by country fill the rest.
    """
    carriers = list(Carrier)
    to_target = 1.0 / USD_PER[currency]
    defaults = {
        country: np.array([prices[c] * USD_PER[local] * to_target for c in carriers])
        for country, (local, prices) in DEFAULT_PRICES.items()
    }
    out = np.array([defaults[country] for country in texts(factories, "country")])
    out = out.reshape(n_rows(factories), len(carriers))
    bill_currency = np.array([USD_PER.get(c or "USD", 1.0) for c in texts(factories,
                              "revenue_currency")])  # fmt: skip
    elec = floats(factories, PROFILE_FIELD[Carrier.ELECTRICITY])
    elec_bill = floats(factories, "electricity_cost_per_year")
    fuel_gj = sum(
        (floats0(factories, PROFILE_FIELD[c]) for c in carriers[1:]),
        np.zeros(n_rows(factories)),
    )
    fuel_bill = floats(factories, "fuel_cost_per_year")
    with np.errstate(divide="ignore", invalid="ignore"):
        own_elec = elec_bill * bill_currency * to_target / elec
        own_fuel = fuel_bill * bill_currency * to_target / fuel_gj
    use_elec = np.isfinite(own_elec) & (own_elec > 0)
    out[use_elec, 0] = own_elec[use_elec]
    use_fuel = np.isfinite(own_fuel) & (own_fuel > 0)
    non_electric = np.arange(1, len(carriers))
    out[np.ix_(use_fuel, non_electric)] = own_fuel[use_fuel, None]
    return out
