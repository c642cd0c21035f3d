"""The end uses energy is split into, following EIA MECS Table 5.4's rows (plus the IT load of
data centres). No dependencies, so the profile can validate end-use names."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, get_args


class EndUse(StrEnum):
    """What a carrier's energy is used for.

    The MECS 2018 row each comes from is named in ``MECS_ROW`` (``docs/engineering-basis.md``).
    """

    PROCESS_HEATING = "process_heating"
    STEAM = "steam"
    CHP = "chp"
    MACHINE_DRIVE = "machine_drive"
    PROCESS_COOLING = "process_cooling"
    ELECTROCHEMICAL = "electrochemical"
    FACILITY_HVAC = "facility_hvac"
    LIGHTING = "lighting"
    IT_LOAD = "it_load"
    ONSITE_TRANSPORT = "onsite_transport"
    ONSITE_GENERATION = "onsite_generation"
    OTHER = "other"
    REDUCTANT_FEEDSTOCK = "reductant_feedstock"


#: The MECS 2018 Table 5.4 rows behind each end use ("End Use Not Reported" is redistributed).
MECS_ROW: dict[EndUse, str] = {
    EndUse.PROCESS_HEATING: "Process Heating",
    EndUse.STEAM: "Conventional Boiler Use",
    EndUse.CHP: "CHP and/or Cogeneration Process",
    EndUse.MACHINE_DRIVE: "Machine Drive (motors, pumps, fans, compressed air)",
    EndUse.PROCESS_COOLING: "Process Cooling and Refrigeration",
    EndUse.ELECTROCHEMICAL: "Electro-Chemical Processes",
    EndUse.FACILITY_HVAC: "Facility HVAC",
    EndUse.LIGHTING: "Facility Lighting",
    EndUse.IT_LOAD: "(not in MECS: data-centre IT equipment)",
    EndUse.ONSITE_TRANSPORT: "Onsite Transportation",
    EndUse.ONSITE_GENERATION: "Conventional Electricity Generation",
    EndUse.OTHER: "Other Process Use, Other Facility Support, Other Nonprocess Use",
    EndUse.REDUCTANT_FEEDSTOCK: "(not in Table 5.4, which counts fuel use only: nonfuel use as a "
    "reductant or chemical feedstock, as MECS Table 2.2 counts it; set by the production route)",
}

#: Short labels for people.
LABEL: dict[EndUse, str] = {
    EndUse.PROCESS_HEATING: "process heating (furnaces, ovens, kilns, dryers)",
    EndUse.STEAM: "boilers and steam/hot-water systems",
    EndUse.CHP: "fuel into existing CHP",
    EndUse.MACHINE_DRIVE: "motors, pumps, fans and compressed air",
    EndUse.PROCESS_COOLING: "process cooling and refrigeration",
    EndUse.ELECTROCHEMICAL: "electrolysis and other electro-chemical processes",
    EndUse.FACILITY_HVAC: "facility heating, ventilation and air-conditioning",
    EndUse.LIGHTING: "lighting",
    EndUse.IT_LOAD: "IT equipment (servers, storage, network)",
    EndUse.ONSITE_TRANSPORT: "on-site vehicles and forklifts",
    EndUse.ONSITE_GENERATION: "on-site conventional or standby generation",
    EndUse.OTHER: "other uses",
    EndUse.REDUCTANT_FEEDSTOCK: "reductant or chemical feedstock (coke and coal in a blast "
    "furnace, gas or coal into ammonia synthesis gas): not a fuel, no fuel switch applies",
}

#: How a measure converts energy between carriers (physics in features.enduses.physics).
Conversion = Literal[
    "chp",
    "heat_pump",
    "electric_heating",
    "fuel_switch",
    "biomass",
    "fuel_engine",
    "pv",
    "fuel_cell",
    "solar_thermal",
    "wind_hydro",
]
CONVERSIONS: tuple[str, ...] = get_args(Conversion)
