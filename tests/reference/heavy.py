"""Heavy-industry reference factories (programme sectors from 2030): realistic profiles with
production routes. Sizes are round numbers in the range of real plants; energy per tonne sits
inside the route's intensity range in features/data/process_routes.yaml (sources there).
"""

from __future__ import annotations

from typing import Any

from tests.reference.factories import HEBEI_STEEL_PLANT

#: Integrated BF-BOF plant in Hebei, 5 Mt/yr crude steel. Coal 18 GJ/t crude steel (coking coal,
#: PCI and boiler coal; BF-BOF final energy 17-23 GJ/t), purchased electricity 500 kWh/t
#: (ASSUMPTION: part of the ~600-700 kWh/t used, the rest from waste-gas power), gas 0.4 GJ/t.
HEBEI_BF_BOF: dict[str, Any] = {
    **HEBEI_STEEL_PLANT,
    "factory_id": "ref-hebei-bf-bof",
    "naics_code": "331110",
    "production": [{"product": "crude_steel", "route": "bf_bof", "output_t": 5.0e6}],
}

#: Primary aluminium smelter in Yunnan, 500 kt/yr: 13.5 MWh AC per t (International Aluminium
#: Institute world average ~13-14 MWh/t) = 6.75 TWh; prebake cells.
YUNNAN_SMELTER_ROUTE: dict[str, Any] = {
    "factory_id": "ref-yunnan-smelter-route",
    "country": "CN",
    "region": "Yunnan",
    "sector": "non_ferrous_metals",
    "naics_code": "331313",
    "reporting_year": 2023,
    "employees": 2500,
    "operating_hours_per_year": 8760,
    "electricity_kwh": 6.75e9,
    "natural_gas_gj": 1.5e6,
    "diesel_gj": 3.0e4,
    "end_uses": [
        {"carrier": "electricity", "end_use": "electrochemical", "share": 0.92},
        {"carrier": "diesel", "end_use": "onsite_transport", "share": 1.0},
    ],
    "production": [
        {
            "product": "primary_aluminium",
            "route": "electrolysis",
            "output_t": 5.0e5,
            "anode_type": "cwpb",
        }
    ],
}

#: Cement plant in Anhui: one 5,000 t/d clinker line, 1.55 Mt clinker/yr, 2.2 Mt cement/yr at a
#: clinker ratio of 0.70. Coal 3.2 GJ/t clinker (dry precalciner kilns 3.0-3.6 GJ/t),
#: electricity 95 kWh/t cement (typical 90-110).
ANHUI_CEMENT: dict[str, Any] = {
    "factory_id": "ref-anhui-cement",
    "country": "CN",
    "region": "Anhui",
    "sector": "building_materials",
    "naics_code": "327310",
    "reporting_year": 2023,
    "employees": 600,
    "operating_hours_per_year": 7500,
    "electricity_kwh": 2.09e8,
    "coal_gj": 4.96e6,
    "production": [
        {"product": "cement", "route": "dry_kiln", "output_t": 2.2e6, "clinker_ratio": 0.70}
    ],
}

#: Float glass line in Hebei, 600 t/d = 219 kt/yr. Natural gas 7 GJ/t (float 5.5-9 GJ/t),
#: electricity 120 kWh/t (ASSUMPTION), cullet 20%.
HEBEI_FLOAT_GLASS: dict[str, Any] = {
    "factory_id": "ref-hebei-float-glass",
    "country": "CN",
    "region": "Hebei",
    "sector": "building_materials",
    "naics_code": "327211",
    "reporting_year": 2023,
    "employees": 400,
    "operating_hours_per_year": 8760,
    "electricity_kwh": 2.63e7,
    "natural_gas_gj": 1.53e6,
    "production": [
        {"product": "flat_glass", "route": "float", "output_t": 2.19e5, "cullet_ratio": 0.20}
    ],
}

#: Coal-based ammonia plant in Shanxi, 300 kt/yr NH3: coal 45 GJ/t (coal-based ammonia
#: 38-55 GJ/t), electricity 1,000 kWh/t (ASSUMPTION: air separation and compression).
SHANXI_COAL_AMMONIA: dict[str, Any] = {
    "factory_id": "ref-shanxi-coal-ammonia",
    "country": "CN",
    "region": "Shanxi",
    "sector": "petrochemicals_chemicals",
    "naics_code": "325311",
    "reporting_year": 2023,
    "employees": 1500,
    "operating_hours_per_year": 8000,
    "electricity_kwh": 3.0e8,
    "coal_gj": 1.35e7,
    "production": [{"product": "ammonia", "route": "coal_gasification", "output_t": 3.0e5}],
}

HEAVY: dict[str, dict[str, Any]] = {
    "bf_bof": HEBEI_BF_BOF,
    "smelter": YUNNAN_SMELTER_ROUTE,
    "cement": ANHUI_CEMENT,
    "float_glass": HEBEI_FLOAT_GLASS,
    "coal_ammonia": SHANXI_COAL_AMMONIA,
}

#: Integrated steel works that does not declare its route (a user's profile, issue 29): NAICS
#: 331110, 12,000 staff, 2.6 Mtce of coal (76.2 PJ at 29.3076 GJ/tce, GB/T 2589-2020) and
#: 1.2 TWh of grid electricity. Coal is 95% of final energy: a BF-BOF works of ~4 Mt/yr at the
#: route's 17-23 GJ/t (features/data/process_routes.yaml).
UNDECLARED_BF_BOF: dict[str, Any] = {
    "factory_id": "ref-undeclared-bf-bof",
    "country": "CN",
    "region": "Hebei",
    "naics_code": "331110",
    "reporting_year": 2023,
    "employees": 12000,
    "operating_hours_per_year": 8760,
    "energy_use": [{"carrier": "coal", "value": 2.6e6, "unit": "tce"}],
    "electricity_kwh": 1.2e9,
}

#: Scrap-EAF mini-mill in Jiangsu that does not declare its route: ~0.9 Mt/yr at ~550 kWh/t
#: (scrap EAF 450-600 kWh/t, IEA Iron and Steel Technology Roadmap 2020, as in the route table)
#: = 0.5 TWh, gas for ladles and reheating 0.6 PJ and a little charge coal 0.05 PJ
#: (ASSUMPTION): electricity is 73% of final energy.
UNDECLARED_EAF: dict[str, Any] = {
    "factory_id": "ref-undeclared-eaf",
    "country": "CN",
    "region": "Jiangsu",
    "naics_code": "331110",
    "reporting_year": 2023,
    "employees": 800,
    "operating_hours_per_year": 7500,
    "electricity_kwh": 5.0e8,
    "natural_gas_gj": 6.0e5,
    "coal_gj": 5.0e4,
}
