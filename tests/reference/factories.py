"""Reference factories: realistic profiles an energy engineer can check the advice against.

Sizes are round numbers in the range of real plants of each kind; where a number is more than
an order of magnitude, its source or reasoning is given beside it.
"""

from __future__ import annotations

from typing import Any

#: Primary aluminium smelter in Yunnan, about 500 kt/yr of aluminium: 13.5 MWh of AC electricity
#: per tonne (International Aluminium Institute, primary aluminium smelting energy intensity,
#: world average about 13-14 MWh/t in 2020-2023) gives 6.75 TWh. Electrolysis takes about 92% of
#: the site's electricity (the rest: anode plant, casthouse, fume treatment, compressed air,
#: lighting; ASSUMPTION consistent with 13.5 of about 14.7 MWh/t site use).
YUNNAN_SMELTER: dict[str, Any] = {
    "factory_id": "ref-yunnan-smelter",
    "country": "CN",
    "region": "Yunnan",
    "sector": "non_ferrous_metals",
    "naics_code": "331313",
    "reporting_year": 2023,
    "employees": 2500,
    "operating_hours_per_year": 8760,
    "electricity_kwh": 6.75e9,
    "natural_gas_gj": 1.5e6,  # anode baking and casthouse furnaces
    "diesel_gj": 3.0e4,  # mobile equipment
    "roof_area_available_m2": 60_000,
    "end_uses": [
        {"carrier": "electricity", "end_use": "electrochemical", "share": 0.92},
        {"carrier": "diesel", "end_use": "onsite_transport", "share": 1.0},
    ],
}

#: Data centre in Guizhou, 20 MW IT load at 8,760 h = 175 GWh IT, PUE 1.35 (below China's
#: 2023 target of 1.3 for new large centres would be better; ASSUMPTION of an existing centre):
#: 236 GWh bought. Diesel only for standby generators (monthly tests).
GUIZHOU_DATA_CENTRE: dict[str, Any] = {
    "factory_id": "ref-guizhou-dc",
    "country": "CN",
    "region": "Guizhou",
    "sector": "computing_infrastructure",
    "reporting_year": 2024,
    "employees": 120,
    "operating_hours_per_year": 8760,
    "electricity_kwh": 2.36e8,
    "it_load_kwh": 1.75e8,
    "diesel_gj": 2_000,
}

#: PV module plant in Jiangsu (cell and module lines): about 300 GWh/yr of electricity, some gas
#: for process heat, a large roof.
JIANGSU_PV_PLANT: dict[str, Any] = {
    "factory_id": "ref-jiangsu-pv",
    "country": "CN",
    "region": "Jiangsu",
    "sector": "photovoltaics",
    "reporting_year": 2024,
    "employees": 3000,
    "operating_hours_per_year": 8400,
    "electricity_kwh": 3.0e8,
    "natural_gas_gj": 8.0e4,
    "roof_area_available_m2": 150_000,
}

#: Lithium-ion cell plant in Fujian: electricity for dry rooms, formation and coating; the
#: coating and NMP-recovery heat comes as purchased steam from the industrial park.
FUJIAN_BATTERY_PLANT: dict[str, Any] = {
    "factory_id": "ref-fujian-battery",
    "country": "CN",
    "region": "Fujian",
    "sector": "lithium_batteries",
    "reporting_year": 2024,
    "employees": 4000,
    "operating_hours_per_year": 8000,
    "electricity_kwh": 4.0e8,
    "purchased_heat_gj": 6.0e5,
    "natural_gas_gj": 5.0e4,
    "roof_area_available_m2": 120_000,
}

#: Dyeing and finishing mill in Zhejiang with a coal-fired steam boiler (the usual set-up before
#: park steam); steam at about 150 deg C for dyeing and stentering.
ZHEJIANG_DYEING_MILL: dict[str, Any] = {
    "factory_id": "ref-zhejiang-dyeing",
    "country": "CN",
    "region": "Zhejiang",
    "sector": "textiles",
    "naics_code": "313310",
    "reporting_year": 2023,
    "employees": 600,
    "operating_hours_per_year": 7200,
    "electricity_kwh": 2.5e7,
    "coal_gj": 6.0e5,
    "heat_sink_temperature_c": 150,
    "roof_area_available_m2": 20_000,
    "end_uses": [{"carrier": "coal", "end_use": "steam", "share": 0.95}],
}

#: Food plant in Ohio: gas boilers and ovens, refrigeration.
OHIO_FOOD_PLANT: dict[str, Any] = {
    "factory_id": "ref-ohio-food",
    "country": "US",
    "region": "OH",
    "sector": "light_industry",
    "naics_code": "311412",
    "reporting_year": 2022,
    "employees": 350,
    "operating_hours_per_year": 6500,
    "electricity_kwh": 1.8e7,
    "natural_gas_gj": 1.2e5,
    "revenue_currency": "USD",
    "roof_area_available_m2": 12_000,
}

#: Machinery plant in Sichuan (machining, assembly, paint shop).
SICHUAN_MACHINERY_PLANT: dict[str, Any] = {
    "factory_id": "ref-sichuan-machinery",
    "country": "CN",
    "region": "Sichuan",
    "sector": "machinery",
    "reporting_year": 2023,
    "employees": 1200,
    "operating_hours_per_year": 4800,
    "electricity_kwh": 3.0e7,
    "natural_gas_gj": 4.0e4,
    "roof_area_available_m2": 40_000,
}

#: Integrated steel plant in Hebei (coal-heavy) without a declared route: used here for
#: electrification's direction; tests/reference/heavy.py holds the same plant with its route.
HEBEI_STEEL_PLANT: dict[str, Any] = {
    "factory_id": "ref-hebei-steel",
    "country": "CN",
    "region": "Hebei",
    "sector": "steel",
    "reporting_year": 2023,
    "employees": 12000,
    "operating_hours_per_year": 8760,
    "electricity_kwh": 2.5e9,
    "coal_gj": 9.0e7,
    "natural_gas_gj": 2.0e6,
}

ALL: dict[str, dict[str, Any]] = {
    "smelter": YUNNAN_SMELTER,
    "data_centre": GUIZHOU_DATA_CENTRE,
    "pv_plant": JIANGSU_PV_PLANT,
    "battery_plant": FUJIAN_BATTERY_PLANT,
    "dyeing_mill": ZHEJIANG_DYEING_MILL,
    "food_plant": OHIO_FOOD_PLANT,
    "machinery_plant": SICHUAN_MACHINERY_PLANT,
    "steel_plant": HEBEI_STEEL_PLANT,
}
