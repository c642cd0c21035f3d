"""The answer's words in English and Chinese, and numbers rounded for people.

Every sentence the tool says to a factory (warnings, notes, reasons, verdicts) is a template
here with its English and Chinese text. An answer carries each sentence as a
:class:`features.messages.Message` (the key and its values, rendered in one language), so a
result computed once is rendered again in the other language from its key and values; pages and
terminal output that only show a sentence render it with :func:`text`. Field names, ids, units
and cited sources stay as they are.
"""

from __future__ import annotations

import math
from typing import Literal

from features.regions import CHINA_PROVINCES

Lang = Literal["en", "zh"]
LANGS: tuple[Lang, ...] = ("en", "zh")

#: Chinese words for the values that appear inside sentences (carriers, end uses, families,
#: sectors, grid levels and a few adjectives).
WORDS_ZH: dict[str, str] = {
    # carriers
    "electricity": "电力", "natural gas": "天然气", "natural_gas": "天然气", "coal": "煤炭",
    "diesel": "柴油", "fuel oil": "燃料油", "fuel_oil": "燃料油", "lpg": "液化石油气",
    "purchased heat": "外购热力", "purchased_heat": "外购热力", "biomass": "生物质",
    "other fuel": "其他燃料", "other_fuel": "其他燃料",
    # end uses
    "process heating": "工艺加热", "process_heating": "工艺加热", "steam": "蒸汽",
    "boilers and steam": "锅炉与蒸汽", "chp": "热电联产", "machine drive": "电机驱动",
    "machine_drive": "电机驱动", "process cooling": "工艺制冷", "process_cooling": "工艺制冷",
    "electrochemical": "电化学", "facility hvac": "厂房暖通空调", "facility_hvac": "厂房暖通空调",
    "lighting": "照明", "it load": "IT负载", "it_load": "IT负载",
    "onsite transport": "厂内运输", "onsite_transport": "厂内运输",
    "onsite generation": "自备发电", "onsite_generation": "自备发电", "other": "其他",
    "reductant feedstock": "还原剂与原料", "reductant_feedstock": "还原剂与原料",
    # end uses as the taxonomy labels them (features/enduses/taxonomy.py LABEL)
    "process heating (furnaces, ovens, kilns, dryers)": "工艺加热（工业炉、烘箱、窑炉、干燥机）",
    "boilers and steam/hot-water systems": "锅炉与蒸汽/热水系统",
    "fuel into existing CHP": "现有热电联产的燃料",
    "motors, pumps, fans and compressed air": "电机、泵、风机和压缩空气",
    "process cooling and refrigeration": "工艺冷却与制冷",
    "electrolysis and other electro-chemical processes": "电解及其他电化学工艺",
    "facility heating, ventilation and air-conditioning": "厂房供暖、通风与空调",
    "IT equipment (servers, storage, network)": "IT设备（服务器、存储、网络）",
    "on-site vehicles and forklifts": "厂内车辆与叉车",
    "on-site conventional or standby generation": "厂内常规或备用发电",
    "other uses": "其他用途",
    # sectors
    "automotive": "汽车", "lithium_batteries": "锂电池", "photovoltaics": "光伏",
    "electronics_appliances": "电子电器", "light_industry": "轻工", "machinery": "机械",
    "computing_infrastructure": "算力基础设施（数据中心）", "steel": "钢铁",
    "non_ferrous_metals": "有色金属", "petrochemicals_chemicals": "石化化工",
    "building_materials": "建材", "textiles": "纺织",
    # products
    "crude_steel": "粗钢", "primary_aluminium": "原铝", "cement": "水泥", "flat_glass": "平板玻璃",
    "container_glass": "日用玻璃", "ammonia": "合成氨",
    # families
    "technology_upgrade": "技术升级", "structural_change": "结构调整",
    "management_optimisation": "管理优化",
    # grid levels, sides
    "province": "省级", "grid": "区域电网", "national": "全国", "state": "州",
    "above": "高于", "below": "低于",
    # objectives
    "most_tco2e": "减排量最大优先", "lowest_cost_per_tco2e": "单位减排成本最低优先",
    "most_adopted_tco2e": "按采纳概率加权的减排量优先",
    # pathway steps
    "physical measures": "节能降碳措施", "on-site renewables": "厂内可再生能源",
}  # fmt: skip

#: Profile fields in words, for sentences and tables.
FIELD_WORDS: dict[str, tuple[str, str]] = {
    "total_energy": ("total energy use", "总能耗"),
    "operating_hours_per_year": ("operating hours", "年运行小时数"),
    "end_uses": ("energy in the end uses it acts on", "该措施所作用终端用途的能耗"),
    "roof_area_available_m2": ("roof area", "可用屋顶面积"),
    "electricity_kwh": ("electricity use", "用电量"),
    "natural_gas_gj": ("natural gas use", "天然气用量"),
    "coal_gj": ("coal use", "煤炭用量"),
    "diesel_gj": ("diesel use", "柴油用量"),
    "fuel_oil_gj": ("fuel oil use", "燃料油用量"),
    "lpg_gj": ("LPG use", "液化石油气用量"),
    "purchased_heat_gj": ("purchased heat", "外购热力"),
    "biomass_gj": ("biomass use", "生物质用量"),
    "employees": ("employees", "员工人数"),
    "annual_revenue": ("annual revenue", "年营业收入"),
    "sector": ("sector", "行业"),
    "region": ("region", "地区"),
    "country": ("country", "国家"),
    "grid": ("grid", "电网"),
    "reporting_year": ("reporting year", "报告年份"),
    "floor_area_m2": ("floor area", "建筑面积"),
    "measures_in_place": ("measures already in place", "已实施的措施"),
    "electricity_cost_per_year": ("electricity bill", "年电费"),
    "fuel_cost_per_year": ("fuel bill", "年燃料费"),
    "capex": ("capital cost", "投资"),
    "cost_savings_per_year": ("annual cost saving", "年节约费用"),
    "payback_years": ("payback", "投资回收期"),
    # the profile form's other inputs and its row columns (serving/pages/form.py)
    "factory_id": ("factory id", "工厂编号"),
    "naics_code": ("NAICS code", "NAICS行业代码"),
    "it_load_kwh": ("IT load", "IT设备用电量"),
    "pue": ("PUE (power usage effectiveness)", "PUE（电能利用效率）"),
    "heat_sink_temperature_c": ("heat sink temperature", "余热利用端温度"),
    "byproduct_hydrogen_nm3": ("by-product hydrogen", "副产氢气量"),
    "other_fuel_gj": ("other fuel use", "其他燃料用量"),
    "revenue_currency": ("currency of the money fields", "金额币种"),
    "electricity_price": ("electricity price", "电价"),
    "onsite_renewable_kwh": ("on-site renewable electricity", "厂内可再生能源发电量"),
    "green_electricity_contract_kwh": ("green electricity bought", "绿电交易电量"),
    "green_certificates_kwh": ("green certificates", "绿证电量"),
    "onsite_wind_hydro_kwh_potential": ("on-site wind and hydro potential", "厂内风电水电潜力"),
    "co2_captured_stored_t": ("CO2 captured and stored", "二氧化碳捕集封存量"),
    "offsets_tco2e": ("carbon credits retired", "注销的碳信用"),
    "carrier": ("energy carrier", "能源品种"),
    "value": ("amount", "数量"),
    "unit": ("unit", "单位"),
    "share": ("share", "占比"),
    "end_use": ("end use", "终端用途"),
    "product": ("product", "产品"),
    "route": ("process route", "工艺路线"),
    "output_t": ("output", "产量"),
    "more": ("further options", "其他参数"),
    "price": ("price", "价格"),
    "top_k": ("number of measures", "措施数量"),
    "target_reduction": ("reduction target", "减排目标"),
    "currency": ("currency of the answer", "结果币种"),
    "objective": ("ranking", "排序方式"),
    "api_key": ("API key", "API密钥"),
    # the verification form's inputs (serving/pages/verify.py)
    "installed": ("month installed", "投入使用月份"),
    "measure_id": ("measure", "措施"),
    "meter_file": ("meter readings file", "计量数据文件"),
    "confidence": ("confidence level", "置信水平"),
}

#: Every templated sentence: key -> (English, Chinese). Placeholders are plain ``{name}``
#: (values are formatted before rendering) so a rendered English sentence can be read back.
TEXTS: dict[str, tuple[str, str]] = {
    # model warnings
    "generated_data": (
        "this model was trained on generated data, not on outcomes of real factories; the "
        "generator is calibrated to 148,432 recommendations of real US DOE Industrial "
        "Assessment Center audits (FY1981-2021: savings as a share of plant energy, cost per "
        "unit saved in 2024 dollars, payback, adoption), so its numbers show what the method "
        "does on plants like those, not what your plant will see",
        "本模型基于生成数据训练，而非真实工厂的实施结果；生成器已按美国能源部工业评估中心"
        "（IAC）148,432条真实审计建议（1981-2021财年：节能量占工厂能耗的比例、以2024年美元计的"
        "单位节能成本、回收期、实施率）校准，其数值展示的是方法在此类工厂上的表现，"
        "并非贵厂实际可得的效果",
    ),
    "audits_data": (
        "this model learned from {real_outcomes} recommendations of real US DOE Industrial "
        "Assessment Center audits ({real_factories} US plants, fiscal years {real_years}): "
        "adoption by payback, cost, size, sector and year, savings as a share of the plant's "
        "energy stream and cost per unit saved, per coarse measure class, as those audits "
        "recorded them (auditors' estimates, not metered savings). Which measure saves how "
        "much within a class comes from {generated_outcomes} outcomes of generated data "
        "({generated_factories} plants, {generated_years}) calibrated to the same audits. It "
        "carries to your plant through targets normalised by physics (savings as a share of "
        "the energy a measure acts on) and your own emission factors, prices and currency. "
        "Money in {base_year} prices",
        "本模型学习自美国能源部工业评估中心（IAC）{real_outcomes}条真实审计建议"
        "（{real_factories}家美国工厂，{real_years}财年）：按回收期、投资、规模、行业和年份的"
        "实施率，按粗分类的措施节能量占工厂该能源品种用量的比例及单位节能成本，均为审计记录值"
        "（审计员估算，非计量节能量）。同一类别内各项措施的节能量来自{generated_outcomes}条"
        "按同批审计校准的生成数据（{generated_factories}家工厂，{generated_years}年）。"
        "模型通过物理归一化的目标（节能量占措施所作用能源的比例）以及贵厂自己的排放因子、"
        "价格和币种推及贵厂。金额按{base_year}年价格计",
    ),
    "served_interval": (
        "each tCO2e interval is of what your plant may see, not of the auditors' estimates the "
        "models learned from: its low end allows for metered savings below the estimates (a "
        "median {median} of the estimate, 90% range {low}-{high}, an assumption from "
        "evaluations of efficiency programmes until metered outcomes teach it) and, for "
        "measures auditors seldom recommend at plants like yours, for much smaller savings. "
        "Its high end allows for an end-use split other than the sector average where none "
        "was declared",
        "每项措施的tCO2e区间对应贵厂可能实际获得的减排量，而非模型所学的审计员估算值：区间下限"
        "考虑了计量节能量低于估算值的情况（中位数为估算值的{median}，90%区间{low}-{high}，"
        "在获得计量结果之前为依据能效项目评估文献的假设），以及审计员在同类工厂很少推荐的措施"
        "可能节能少得多的情况。未申报终端用能结构时，区间上限考虑了与行业平均结构不同的可能",
    ),
    "served_interval_learned": (
        "each tCO2e interval is of what your plant may see, not of the auditors' estimates the "
        "models learned from: its low end allows for metered savings below the estimates "
        "(learned from {outcomes} metered outcomes for {families}, elsewhere a median {median} of "
        "the estimate, 90% range {low}-{high}, an assumption from evaluations of efficiency "
        "programmes) and, for measures auditors seldom recommend at plants like yours, for "
        "much smaller savings. Its high end allows for an end-use split other than the sector "
        "average where none was declared",
        "每项措施的tCO2e区间对应贵厂可能实际获得的减排量，而非模型所学的审计员估算值：区间下限"
        "考虑了计量节能量低于估算值的情况（{families}根据{outcomes}条计量结果学习得出，其余中位数"
        "为估算值的{median}，90%区间{low}-{high}，为依据能效项目评估文献的假设），以及审计员在"
        "同类工厂很少推荐的措施可能节能少得多的情况。未申报终端用能结构时，区间上限考虑了与"
        "行业平均结构不同的可能",
    ),
    "family_realisation": ("{family} ({median})", "{family}（{median}）"),
    "unknown_years": ("unknown years", "年份不详"),
    "unrecorded": ("unrecorded", "未记录"),
    "unknown_source": (
        "this model's training data source was not recorded (trained outside the training "
        "pipeline): whether it learned from real outcomes is unknown",
        "本模型未记录训练数据来源（在训练流程之外训练）：无法确定其是否学习自真实结果",
    ),
    "adoption_uninformative": (
        "{objective} weighs by an adoption model that, as served, does not beat each measure's "
        "plain adoption rate on held-out factories (ROC AUC {served} vs {rate}): treat the "
        "adoption weighting as uninformative",
        "{objective}所依据的采纳模型（按当前提供的形式）在留出的工厂上并不优于各措施的简单实施率"
        "（ROC AUC {served}，简单实施率为{rate}）：采纳概率加权不提供有效信息",
    ),
    "coarse_model": (
        "this model was trained on outcomes without measure identity (coarse groups only): it "
        "cannot tell catalogue measures apart, so the ranking and per-measure numbers are not "
        "meaningful; use a model trained on data that names measures",
        "本模型训练所用的结果数据不含具体措施（仅有粗分类）：无法区分目录中的各项措施，"
        "排序及单项措施数值没有意义；请使用以标明措施的数据训练的模型",
    ),
    # input warnings
    "year_beyond_training": (
        "reporting year {value} is outside the training years ({span}); the model treats it "
        "like the nearest year it saw",
        "报告年份{value}超出训练数据年份（{span}）；模型按其见过的最接近年份处理",
    ),
    "outside_training_range": (
        "{field} {value} is {side} the range of the training factories ({span}, 0.5-99.5th "
        "percentile): predictions there are extrapolations",
        "{field} {value}{side}训练工厂的范围（{span}，第0.5-99.5百分位）：此处的预测为外推",
    ),
    "unseen_category": (
        "{field} {value} appears {times} times in the training data: the model learned nothing "
        "specific to it",
        "{field} {value}在训练数据中仅出现{times}次：模型未学到针对它的规律",
    ),
    # footprint and factors
    "pfc_tier1": (
        "PFC emissions use IPCC 2006 Tier 1 defaults (Vol. 3 Table 4.15), meant for smelters "
        "with no anode-effect data; modern point-fed prebake cells usually emit far less (the "
        "industry cut PFCs per t by 80% from 1990 to 2006, IAI). Give measured values "
        "(production[].pfc_tco2e) where you have them: about 1.0756 tCO2e per t Al per "
        "anode-effect minute per cell-day (Welch et al., JOM 2008, AR4 GWPs).",
        "全氟化碳（PFC）排放采用IPCC 2006 Tier 1缺省值（第3卷表4.15），适用于没有阳极效应数据"
        "的电解铝厂；现代点式下料预焙槽的排放通常低得多（据IAI，1990-2006年行业吨铝PFC排放下降"
        "80%）。如有实测值请填写（production[].pfc_tco2e）：每吨铝每槽日每分钟阳极效应约1.0756 "
        "tCO2e（Welch等，JOM 2008，AR4 GWP）。",
    ),
    "process_default": (
        "process emissions use default factors per tonne (sources in each line); measured "
        "values (production[].process_co2_t) replace them",
        "过程排放采用吨产品缺省排放因子（来源见各行）；如有实测值（production[].process_co2_t）"
        "则以实测值替代",
    ),
    "no_level_factor": (
        "no {level} factor for {region}, used {label}",
        "无{region}的{level}排放因子，采用{label}",
    ),
    "no_residual_factor": (
        "no residual-mix factor published; location factor used",
        "未公布剩余电力排放因子，采用基于位置的排放因子",
    ),
    "no_year_factor": ("no {year} factor, used {used}", "无{year}年排放因子，采用{used}年"),
    # recommendations
    "engineering_note": (
        "engineering estimate from the catalogue's sourced ranges and this factory's "
        "production; no outcome data exist for this measure, so no adoption probability and no "
        "SHAP explanation",
        "工程估算：依据目录中有来源的取值范围和本厂产量计算；该措施没有实施结果数据，"
        "因此没有采纳概率和SHAP解释",
    ),
    "thin_note": (
        "only {n} training outcomes support this measure ({n_sector} in this sector): not ranked",
        "仅有{n}条训练结果支持该措施（本行业{n_sector}条）：不参与排序",
    ),
    "thin_range": (
        "the catalogue's range is {low}-{high} of {of} ({source})",
        "目录给出的范围为{of}的{low}-{high}（{source}）",
    ),
    "range_of_end_uses": (
        "energy of its end uses ({uses}) on the carriers it reduces",
        "其所作用终端用途（{uses}）在其减少的能源品种上的能耗",
    ),
    "saves": ("saves {parts}", "节约{parts}"),
    "adds": ("adds {parts}", "增加{parts}"),
    "net_less": ("net {t} tCO2e/yr less", "净减排{t} tCO2e/年"),
    "raises_emissions": (
        "raises this factory's emissions by {t} tCO2e/yr: it adds {more}, which emits more "
        "here than the {less} it saves",
        "使本厂排放增加{t} tCO2e/年：它增加{more}，在本地的排放高于其节约的{less}",
    ),
    "dirty_grid": ("the local grid is carbon-intensive", "当地电网碳排放强度高"),
    "with_note": ("{sentence} ({note})", "{sentence}（{note}）"),
    "carrier_change": (
        "{carrier} {amount} {unit}/yr ({t} tCO2e)",
        "{carrier}{amount} {unit}/年（{t} tCO2e）",
    ),
    "process_removed": (
        "process emissions or captured CO2 {t} tCO2e",
        "过程排放或捕集的CO2 {t} tCO2e",
    ),
    "process_added": ("process emissions {t} tCO2e", "过程排放{t} tCO2e"),
    "nothing": ("nothing", "无"),
    "raises_share": ("raises the share saved", "提高节能比例"),
    "lowers_share": ("lowers the share saved", "降低节能比例"),
    "summary": (
        "for {measure}, your {field} ({value}) {verb} the share of that energy saved, worth "
        "about {t} tCO2e/yr compared with an average factory",
        "对于{measure}，贵厂的{field}（{value}）{verb}该部分能耗的节约比例，与平均水平的工厂相比"
        "约合{t} tCO2e/年",
    ),
    "raises": ("raises", "提高"),
    "lowers": ("lowers", "降低"),
    # pathway and market instruments
    "pathway_basis": (
        "market-based (scope 2 at the residual mix for grid electricity not covered by green "
        "contracts or certificates); process emissions and removals included",
        "基于市场法（未被绿电合同或绿证覆盖的电网电量按剩余电力排放因子计算范围二）；"
        "包含过程排放和碳移除",
    ),
    "portfolio_note": (
        "standalone figures do not add: the {n} measures listed save {combined} tCO2e/yr "
        "together ({share} of the footprint), each acting on what the ones above it left, "
        "against {standalone} if their standalone figures were added",
        "各措施单独减排量不可相加：所列{n}项措施依次实施合计年减排{combined} tCO2e"
        "（占排放{share}），单独数值相加则为{standalone}",
    ),
    "market_note": (
        "market-based scope 2 exceeds location-based here: grid electricity not covered by "
        "green contracts or certificates counts at the national residual mix (the average "
        "excluding market-traded non-fossil power), which is above this region's average, as "
        "in regions with much hydro, nuclear, wind or solar power; contracting green power is "
        "what lowers the market-based figure",
        "此处市场法范围二排放高于基于位置的排放：未被绿电合同或绿证覆盖的电网电量按全国剩余电力"
        "排放因子（扣除市场化交易非化石电力后的平均值）计算，该因子高于本地区电网平均值，水电、"
        "核电、风电或光伏比重高的地区即是如此；购买绿电才能降低市场法数值",
    ),
    "offsets_note": (
        "offsets (e.g. CCER) are counted after every reduction, as the programme asks for "
        "reductions first; they do not lower the factory's own emissions",
        "抵消（如CCER）在所有减排之后计入，零碳工厂要求先减排；抵消并不降低工厂自身的排放",
    ),
    "certificate_note": (
        "market-based scope 2 only; no physical reduction",
        "仅降低市场法范围二排放；没有实际减排",
    ),
    "contract_note": (
        "market-based scope 2; adds renewable supply but not on-site",
        "降低市场法范围二排放；增加可再生能源供应，但不在厂内",
    ),
    # terminal output
    "cli_footprint": (
        "{factory}: {net} tCO2e/yr net (scope 1 {scope1} of which process {process}, removals "
        "{removals}, scope 2 {loc} location / {market} market); comprehensive energy {tce} tce/yr",
        "{factory}：净排放{net} tCO2e/年（范围一{scope1}，其中过程排放{process}；碳移除{removals}；"
        "范围二基于位置{loc}/基于市场{market}）；综合能耗{tce}吨标准煤/年",
    ),
    "cli_model": ("model {uri} v{version}", "模型{uri} 版本{version}"),
    "cli_title": ("Recommended measures ({objective})", "推荐措施（{objective}）"),
    "cli_columns": (
        "#|measure|tCO2e/yr|80% interval|capex {cur}|payback y|{cur}/tCO2e|adoption|"
        "why (top factor)",
        "#|措施|tCO2e/年|80%区间|投资 {cur}|回收期（年）|{cur}/tCO2e|采纳概率|主要原因",
    ),
    "cli_engineering": ("engineering estimate", "工程估算"),
    "cli_pathway": (
        "Pathway ({basis}): {baseline} tCO2e/yr -> {physical} after {n} measures (the "
        "efficiency programme, then fuel switching and electrification) -> {onsite} after "
        "on-site renewables -> {green} after contracting {kwh} kWh of green power -> {ccus} "
        "after CO2 capture -> {residual} after {offsets} tCO2e of offsets: gap to zero-carbon "
        "{gap} tCO2e/yr.",
        "零碳路径（{basis}）：{baseline} tCO2e/年 -> 实施{n}项措施（节能改造方案，"
        "再燃料替代与电气化）后{physical} -> "
        "厂内可再生能源后{onsite} -> 购买{kwh} kWh绿电后{green} -> 碳捕集后{ccus} -> "
        "抵消{offsets} tCO2e后{residual}：距零碳工厂还差{gap} tCO2e/年。",
    ),
    "cli_target": (
        "Target {target} tCO2e/yr: gap {gap} tCO2e/yr.",
        "目标{target} tCO2e/年：差距{gap} tCO2e/年。",
    ),
    # the factory's page and printable report
    "page_title": ("Emission-reduction advice", "减排措施建议"),
    "page_form_intro": (
        "Describe one factory and one reporting year. Every field says its unit; empty fields "
        "are left out. Or upload a profile as JSON or CSV (one factory).",
        "填写一个工厂一个报告年度的信息。每个字段注明单位；空字段不提交。也可上传JSON或CSV格式的"
        "工厂档案（一个工厂）。",
    ),
    "page_upload": ("Profile file (JSON or CSV)", "工厂档案文件（JSON或CSV）"),
    "chart_per_year": ("tCO2e/yr", "tCO2e/年"),
    "chart_total": ("tCO2e/yr (total {total})", "tCO2e/年（合计{total}）"),
    "chart_target": ("target {target}", "目标 {target}"),
    "page_upload_help": (
        "A JSON object of the profile's fields, or a CSV table with one row under the "
        "profile's column names, for example",
        "上传一个包含档案字段的JSON对象，或一张CSV表（表头为档案列名，下面一行为本厂数据），例如",
    ),
    "page_api_key": ("API key", "API密钥"),
    "page_api_key_help": (
        "Needed when the service requires keys; kept for this browser session only.",
        "服务要求密钥时填写；仅在本次浏览器会话中保存。",
    ),
    "page_submit": ("Recommend measures", "生成减排建议"),
    "page_options": ("Options", "选项"),
    "page_general": ("The factory", "工厂信息"),
    "page_energy": ("Energy bought and used, per year", "年度外购及使用能源"),
    "page_money": ("Money and prices", "费用与价格"),
    "page_green": ("Renewables, green power and removals", "可再生能源、绿电与碳移除"),
    "page_energy_rows": ("Energy in other units", "其他单位的能源量"),
    "page_end_use_rows": ("Known end-use split", "已知终端用能分配"),
    "page_production_rows": ("Production lines (heavy industry)", "生产线（重工业）"),
    "page_fuel_price_rows": ("Fuel prices", "燃料价格"),
    "page_errors": (
        "The profile has {n} error(s); see the fields marked below.",
        "工厂档案有{n}处错误，见下方标出的字段。",
    ),
    "page_results_for": ("Results for {factory}", "{factory}的结果"),
    "page_meta": (
        "Date {date} · {model} · emission factors {factors} · measure catalogue {catalogue}",
        "日期{date} · {model} · 排放因子表{factors} · 措施目录{catalogue}",
    ),
    "page_model_name": (
        "recommendation model version {version}",
        "减排建议模型 第{version}版",
    ),
    "page_trained_rows": (
        "Trained on {real} outcomes of real audits and {generated} generated training rows",
        "训练数据：{real}条真实审计结果，{generated}条生成的训练数据",
    ),
    "page_trained_unknown": (
        "Where the training data came from was not recorded",
        "训练数据来源未记录",
    ),
    "page_caveats": ("Read first", "请先阅读"),
    "page_footprint": ("Footprint", "碳排放"),
    "page_by_scope": ("By scope, tCO2e/yr", "分范围，tCO2e/年"),
    "page_by_carrier": ("By carrier, location-based", "分能源品种（基于位置）"),
    "page_by_end_use": (
        "By end use, tCO2e/yr (location-based)",
        "分终端用途，tCO2e/年（基于位置）",
    ),
    "page_process": ("Process emissions", "过程排放"),
    "page_cost_curve": ("Abatement cost curve", "减排成本曲线"),
    "page_cost_curve_help": (
        "Width: tCO2e/yr each measure avoids; height: its cost per tCO2e ({cur}). Below the line "
        "the measure pays for itself.",
        "宽度：每项措施每年减排的tCO2e；高度：每吨减排成本（{cur}）。横线以下的措施本身即可盈利。",
    ),
    "page_raises": (
        "Not on the curve: measures that would raise this factory's emissions",
        "未列入曲线：会增加本厂排放的措施",
    ),
    "page_pathway": ("Pathway to a zero-carbon factory (market-based)", "零碳工厂路径（基于市场）"),
    "page_measures": ("Measures, ranked", "措施排序"),
    "page_low_evidence": (
        "Too little evidence to rank ({n}): {names}",
        "证据不足、未参与排序（{n}项）：{names}",
    ),
    "page_pdf": ("Download the report (PDF)", "下载报告（PDF）"),
    "page_back": ("Change the profile", "修改工厂档案"),
    "page_docs": ("API documentation", "API文档"),
    "page_scope2_location": ("Scope 2 location-based", "范围二 基于位置"),
    "page_scope2_market": ("Scope 2 market-based", "范围二 基于市场"),
    "page_removals": ("Removals", "碳移除"),
    "page_net_location": ("Net, location-based", "净排放 基于位置"),
    "page_net_market": ("Net, market-based", "净排放 基于市场"),
    "page_energy_tce": (
        "Comprehensive energy {tce} tce/yr (calorific equivalent, electricity at 0.1229 "
        "kgce/kWh, GB/T 2589-2020); {equivalent} tce/yr at electricity's equivalent value "
        "(0.3055 kgce/kWh, the national average coal of thermal power supply, 2020)",
        "综合能耗（当量值）{tce}吨标准煤/年（电力按0.1229 kgce/kWh折算，GB/T 2589-2020）；"
        "等价值{equivalent}吨标准煤/年（电力按2020年全国火电供电标准煤耗0.3055 kgce/kWh折算）",
    ),
    "page_assumptions": ("What the answer rests on", "依据与假设"),
    "page_assume_price": (
        "Price of {carrier}: {price} ({source})",
        "{carrier}价格：{price}（{source}）",
    ),
    "page_assume_target": (
        "Target: {share} below the baseline, {target} tCO2e/yr; after every step of the "
        "pathway {residual} tCO2e/yr remain, {gap} tCO2e/yr above the target",
        "目标：较基准排放降低{share}，即{target} tCO2e/年；完成路径各步骤后仍余{residual} "
        "tCO2e/年，距目标还差{gap} tCO2e/年",
    ),
    "page_assume_no_target": (
        "No reduction target given: the pathway runs to zero.",
        "未填写减排目标：路径以零碳为终点。",
    ),
    "page_assume_green": (
        "Green electricity to contract: {kwh} kWh/yr",
        "需采购绿电：{kwh} kWh/年",
    ),
    "page_assume_revenue": (
        "Carbon per 10,000 {currency} of revenue: {value} tCO2e (market-based net, revenue "
        "{revenue})",
        "单位产值碳排放：每万{currency}营业收入{value} tCO2e"
        "（基于市场的净排放，营业收入{revenue}）",
    ),
    "page_assume_product": (
        "Carbon per tonne of {product}: {value} tCO2e/t (market-based net over {output} t/yr)",
        "单位产品碳排放：每吨{product} {value} tCO2e（基于市场的净排放除以产量{output}吨/年）",
    ),
    "page_carrier_columns": (
        "carrier|energy|tCO2e/yr|factor source",
        "能源品种|用量|tCO2e/年|因子来源",
    ),
    "page_process_columns": ("line|tCO2e/yr|source", "生产线|tCO2e/年|来源"),
    "page_step_baseline": ("Baseline", "基准排放"),
    "page_step_physical": ("Physical measures", "节能降碳措施"),
    "page_step_efficiency": ("Efficiency programme", "节能改造方案"),
    "page_step_structural": (
        "Fuel switching, electrification, route changes",
        "燃料替代、电气化、工艺路线调整",
    ),
    "page_pathway_holds": ("What each step holds", "各步骤包含的内容"),
    "page_holds_efficiency": (
        "{n} measures, capex {capex}, payback {payback} y (each within {limit} y on what "
        "it adds); {beyond} more beyond that payback",
        "{n}项措施，投资{capex}，回收期{payback}年（每项按其新增节能量回收期不超过{limit}年）；"
        "另有{beyond}项超出该回收期",
    ),
    "page_holds_measures": ("{n} measures, capex {capex}", "{n}项措施，投资{capex}"),
    "page_holds_green": (
        "{kwh} kWh/yr of green electricity to contract (plus {cert} kWh/yr of certificates)",
        "需采购绿电{kwh}千瓦时/年（另需绿证{cert}千瓦时/年）",
    ),
    "page_holds_prices": ("Prices used: {prices}", "所用价格：{prices}"),
    "page_holds_target": ("Target line: {target} tCO2e/yr", "目标线：{target} tCO2e/年"),
    "page_portfolio": (
        "Together the {n} measures listed save {combined} tCO2e/yr ({share} of the footprint); "
        "their standalone figures add to {standalone}, which no plant reaches: measures on the "
        "same end use or pool share savings.",
        "所列{n}项措施合计年减排{combined} tCO2e（占排放{share}）；"
        "各措施单独数值相加为{standalone}，不可直接相加：作用于同一用能环节或同一节能潜力池的措施共享节能量。",
    ),
    "page_step_onsite": ("On-site renewables, microgrid", "厂内可再生能源、微电网"),
    "page_step_green": ("Green electricity", "绿电"),
    "page_step_certificates": ("Certificates", "绿证"),
    "page_step_ccus": ("CO2 capture (CCUS)", "碳捕集（CCUS）"),
    "page_step_offsets": ("Offsets", "碳抵消"),
    "page_step_gap": ("Gap to zero", "距零碳差距"),
    "page_card_tco2e": ("tCO2e/yr avoided", "年减排量 tCO2e"),
    "page_card_interval": ("80% interval {low} to {high}", "80%区间 {low}至{high}"),
    "page_card_capex": ("Capex", "投资"),
    "page_card_savings": ("Savings per year", "年节约费用"),
    "page_card_payback": ("Payback", "回收期"),
    "page_card_years": ("{n} years", "{n}年"),
    "page_card_cost": ("Cost per tCO2e", "每吨减排成本"),
    "page_card_adoption": ("Chance of adoption", "采纳概率"),
    "page_card_evidence": ("Evidence", "证据"),
    "page_card_outcomes": (
        "{n} audit outcomes ({sector} in the factory's sector)",
        "{n}条审计结果（本行业{sector}条）",
    ),
    "page_card_generated_rows": (
        "{n} generated training rows ({sector} in the factory's sector), not audit results",
        "{n}条生成的训练数据（本行业{sector}条），并非审计结果",
    ),
    "page_card_engineering": (
        "Engineering estimate: no outcome data for this measure",
        "工程估算：该措施无实际结果数据",
    ),
    "page_card_energy": ("Energy saved per year", "年节约能源"),
    "page_card_why": ("Why", "原因"),
    "page_card_direction": ("Direction", "排放方向"),
    "page_lowers": ("lowers emissions", "降低排放"),
    "page_raises_word": ("raises emissions", "增加排放"),
    "page_report_title": ("Emission-reduction report", "工厂减排报告"),
    "page_none": ("none", "无"),
    "page_not_given": ("not given", "未填写"),
    # the footprint report (decarb-report)
    "rpt_header": (
        "{factory}  {sector}, {region} ({country}), reporting year {year}",
        "{factory}  {sector}，{region}（{country}），报告年份{year}",
    ),
    "rpt_footprint": ("Footprint, tCO2e/yr", "碳排放，tCO2e/年"),
    "rpt_location": ("location-based", "基于位置"),
    "rpt_market": ("market-based", "基于市场"),
    "rpt_scope1_combustion": ("Scope 1 combustion", "范围一 燃烧"),
    "rpt_scope1_process": ("Scope 1 process", "范围一 过程"),
    "rpt_scope2": ("Scope 2", "范围二"),
    "rpt_total": ("Total", "合计"),
    "rpt_removals": ("Removals (CO2 stored)", "碳移除（封存的CO2）"),
    "rpt_net": ("Net", "净排放"),
    "rpt_process": ("Process emissions (scope 1)", "过程排放（范围一）"),
    "rpt_process_columns": (
        "product/route|line|gas|basis t|t gas/t|tCO2e/yr|source",
        "产品/工艺路线|排放源|气体|基准量 t|t气体/t|tCO2e/年|来源",
    ),
    "rpt_intensity_line": (
        "{product} ({route}): {output} t/yr, process {process} tCO2e/t{all}",
        "{product}（{route}）：{output} t/年，过程排放{process} tCO2e/t{all}",
    ),
    "rpt_all_scopes": (", all scopes {value} tCO2e/t", "，全部范围{value} tCO2e/t"),
    "rpt_by_carrier": ("By carrier (location-based)", "分能源品种（基于位置）"),
    "rpt_carrier_columns": (
        "carrier|scope|use/yr|unit|tCO2e/yr|factor (kg/unit)|factor",
        "能源品种|范围|年用量|单位|tCO2e/年|排放因子（kg/单位）|因子",
    ),
    "rpt_market_line": (
        "Market-based electricity: {bought} kWh bought, {green} kWh green contracts, {certs} kWh "
        "certificates (claim {claim} tCO2e, not a physical reduction), {residual} kWh at "
        "{factor} kg/kWh ({factor_id})",
        "市场法电力：购电{bought} kWh，绿电合同{green} kWh，绿证{certs} kWh（声明减排{claim} "
        "tCO2e，非实际减排），{residual} kWh按{factor} kg/kWh计（{factor_id}）",
    ),
    "rpt_biogenic": ("Biogenic CO2 outside the scopes: {t} t", "生物质CO2（不计入范围）：{t} t"),
    "rpt_intensity_revenue": (
        "Intensity: {value} tCO2e per million {currency}",
        "强度：每百万{currency} {value} tCO2e",
    ),
    "rpt_intensity_employee": ("Intensity: {value} tCO2e per employee", "强度：人均{value} tCO2e"),
    "rpt_tce": (
        "Comprehensive energy consumption: {tce} tce/yr (GB/T 2589-2020: electricity 0.1229 "
        "kgce/kWh, fuels 29.3076 GJ/tce); at electricity's equivalent value (0.3055 kgce/kWh, "
        "thermal power supply 2020) {equivalent} tce/yr",
        "综合能耗（当量值）：{tce}吨标准煤/年（GB/T 2589-2020：电力0.1229 kgce/kWh，燃料29.3076 "
        "GJ/tce）；等价值（电力按2020年全国火电供电标准煤耗0.3055 kgce/kWh）："
        "{equivalent}吨标准煤/年",
    ),
    "rpt_factors": ("Emission factors: table {version}", "排放因子：因子表版本{version}"),
    "rpt_balance": ("End-use balance", "终端用能平衡"),
    "rpt_balance_columns": (
        "carrier|end use|use/yr|unit|share|source",
        "能源品种|终端用途|年用量|单位|占比|来源",
    ),
    "rpt_measures": (
        "Applicable measures (catalogue {version})",
        "适用措施（措施目录版本{version}）",
    ),
    "rpt_measure_columns": (
        "family|id|measure|carriers changed here",
        "类别|编号|措施|本厂变化的能源品种",
    ),
    "rpt_not_applicable": ("Not applicable ({n}):", "不适用（{n}项）："),
    # applicability verdicts
    "already_in_place": ("already in place", "已实施"),
    "not_for_sector": ("not for sector {sector}", "不适用于{sector}行业"),
    "no_roof": ("no roof area", "无可用屋顶面积"),
    "no_hydrogen": (
        "no by-product hydrogen declared (byproduct_hydrogen_nm3)",
        "未申报副产氢（byproduct_hydrogen_nm3）",
    ),
    "uses_none": ("uses none of: {carriers}", "未使用以下任一能源：{carriers}"),
    "no_line": (
        "no production line of {products} declared (production)",
        "未申报{products}生产线（production）",
    ),
    "nothing_to_act_on": (
        "nothing to act on: no {carriers} used for {uses}",
        "无作用对象：{uses}未使用{carriers}",
    ),
    "nothing_to_displace": ("nothing to displace here", "此处无可替代的能源"),
    "no_pv": ("no roof area or solar yield for PV", "无屋顶面积或光照资源，无法安装光伏"),
    "no_collectors": ("no roof area for collectors", "无屋顶面积安装集热器"),
    "no_wind_hydro": (
        "no on-site wind or water resource declared (onsite_wind_hydro_kwh_potential)",
        "未申报厂内风能或水能资源（onsite_wind_hydro_kwh_potential）",
    ),
    "no_chp_grid": ("no grid electricity for CHP to displace", "无电网购电可由热电联产替代"),
    "hot_for_heat_pump": (
        "heat demand above the temperature heat pumps supply",
        "热需求温度高于热泵可供温度",
    ),
    # routes inferred for heavy-sector plants without production[]
    # (features/process_routes/inference.py)
    "route_named_by_naics": ("NAICS {code} names {products}", "NAICS {code}对应{products}"),
    "route_named_by_sector": (
        "only the sector ({sector}) points to {products}",
        "仅由行业（{sector}）推定为{products}",
    ),
    "route_energy_sign": (
        "{carriers} {share}% of final energy (the route's sign: at least {min_share}%, strong "
        "from {strong_share}%)",
        "{carriers}占终端能耗的{share}%（该工艺路线的特征：至少{min_share}%，{strong_share}%"
        "及以上为强特征）",
    ),
    "route_confidence_high": ("high", "高"),
    "route_confidence_medium": ("medium", "中"),
    "route_confidence_low": ("low", "低"),
    "route_inferred_warning": (
        "production[] not given: the route was inferred as {route}, {output} t/yr of {products} "
        "({low}-{high} t/yr: {energy} GJ/yr at {intensity} GJ/t), confidence {confidence} "
        "({reason}). The reductant carve-out, process emissions and sector-pack measures rest "
        "on it: declare production[] (product, route, output_t) to replace it",
        "未填写production[]：工艺路线推定为{route}，{products}产量{output}吨/年（{low}-{high}"
        "吨/年：{energy}吉焦/年按{intensity}吉焦/吨计），置信度{confidence}（{reason}）。"
        "还原剂扣除、过程排放和行业措施包均以此为依据：请填写production[]（product、route、"
        "output_t）以替代推定值",
    ),
    "route_inferred_note": (
        "rests on the route {route} ({output} t/yr) inferred from the sector and energy mix, "
        "not on a declared production[]",
        "依据由行业和能源结构推定的工艺路线{route}（{output}吨/年），而非申报的production[]",
    ),
    "route_inferred_footprint": (
        "process emissions and the reductant carve-out rest on the route {route} ({output} t/yr) "
        "inferred from the sector and energy mix: declare production[] to replace it",
        "过程排放和还原剂扣除依据由行业和能源结构推定的工艺路线{route}（{output}吨/年）："
        "请填写production[]以替代推定值",
    ),
    # capex at the country's price level (features/catalogue/capex.py)
    "capex_transfer": (
        "capex of {measures} has no {country} price data: it is the cost learned at the {model} "
        "price level moved with China's price level relative to the US, {ratio} (range "
        "{low}-{high}, which widens its capex interval; World Bank WDI {year}: PPP conversion "
        "factor, GDP, over the official exchange rate)",
        "{measures}的投资额缺少{country}本地价格数据：由在{model}价格水平下学到的成本按中国相对美国的"
        "价格水平比{ratio}换算而来（范围{low}-{high}，投资额区间因此放宽；世界银行WDI {year}年：GDP"
        "购买力平价换算因子除以官方汇率）",
    ),
    "likely_wan_unit": (
        "{field} {value} {unit}/yr is below the range for {employees} employees of the sector "
        "({low}-{high} {unit}/yr); did you mean {value} {wan_unit}?",
        "{field} {value} {unit}/年低于该行业{employees}名员工的合理范围（{low}-{high} {unit}/年）；"
        "是否应为{value} {wan_unit}？",
    ),
    # --- the profile form's errors (serving/pages/form_check.py) ---
    "form_missing": ("Please fill in the {what}.", "请填写{what}。"),
    "form_negative": (
        "The {what} cannot be negative (you entered {value}).",
        "{what}不能为负（填写的是{value}）。",
    ),
    "form_not_number": (
        "The {what} must be a number (you entered {value}).",
        "{what}应为数字（填写的是{value}）。",
    ),
    "form_not_number_between": (
        "The {what} must be a number from {low} to {high} (you entered {value}).",
        "{what}应为{low}到{high}之间的数字（填写的是{value}）。",
    ),
    "form_share": (
        "The {what} must be a share from 0 to 1 such as 0.5, or a percentage such as 50% "
        "(you entered {value}).",
        "{what}应为0到1之间的比例（如0.5）或百分比（如50%）（填写的是{value}）。",
    ),
    "form_not_whole": (
        "The {what} must be a whole number (you entered {value}).",
        "{what}应为整数（填写的是{value}）。",
    ),
    "form_between": (
        "The {what} must be between {low} and {high} (you entered {value}).",
        "{what}应在{low}到{high}之间（填写的是{value}）。",
    ),
    "form_at_least": (
        "The {what} must be at least {low} (you entered {value}).",
        "{what}不能小于{low}（填写的是{value}）。",
    ),
    "form_choose": (
        "The {what} cannot be {value}: please choose one from the list.",
        "{what}不能为{value}，请从列表中选择。",
    ),
    "form_region": (
        "The {what} cannot be {value}: no such region in this country; known regions: {allowed}.",
        "{what}不能为{value}：该国家没有此地区；可填写：{allowed}。",
    ),
    "form_unit": (
        "The {what} cannot be {value}: it does not fit this carrier; units that do: {allowed}.",
        "{what}不能为{value}：该单位不适用于此能源品种；可用单位：{allowed}。",
    ),
    "form_unit_wan": (
        "The {what} cannot be {value} alone: {value} (ten thousand) of which unit? Units "
        "that fit: {allowed}.",
        "{what}不能只写{value}：请写明是哪种单位的{value}，例如万千瓦时、万立方米；可用单位：{allowed}。",
    ),
    "form_unit_power": (
        "The {what} cannot be {value}: that is power, not energy; a year's use is in kWh "
        "or MWh. Units that fit: {allowed}.",
        "{what}不能为{value}：这是功率单位而非电量单位，年用量应为千瓦时或兆瓦时；可用单位：{allowed}。",
    ),
    "form_unit_coal": (
        "The {what} cannot be {value}: a mass of standard coal needs its unit, tce or ten "
        "thousand tce. Units that fit: {allowed}.",
        "{what}不能为{value}：请写明吨标准煤或万吨标准煤；可用单位：{allowed}。",
    ),
    "form_unit_cubic": (
        "The {what} cannot be {value}: cubic metres are written Nm3. Units that fit: {allowed}.",
        "{what}不能为{value}：体积单位应写作立方米（Nm3）；可用单位：{allowed}。",
    ),
    "form_measure": (
        "The {what} cannot include {value}: no measure of the catalogue has this id.",
        "{what}不能包含{value}：措施库中没有此编号的措施。",
    ),
    "form_key_needed": ("An API key is needed to get results.", "需要API密钥才能获取结果。"),
    "form_key_unknown": ("This API key is not known.", "此API密钥无效。"),
    "form_unknown": (
        "A profile has no field {name}: its fields are the inputs of this form.",
        "工厂档案没有{name}这一字段：档案的字段即本表单中的各项。",
    ),
    "form_invalid": (
        "The {what} cannot be {value} (allowed: {allowed}).",
        "{what}不能为{value}（允许：{allowed}）。",
    ),
    "form_no_energy": (
        "No energy is given: please fill in the electricity bought or another carrier (above "
        "or in the energy rows), so that there is a footprint to reduce.",
        "未填写任何能源用量：请填写外购电量或其他能源品种（上方各项或能源用量行），"
        "才能核算碳排放并给出减排建议。",
    ),
    "form_month": (
        "The {what} must be a month such as 2024-01 (you entered {value}).",
        "{what}应为年月，如2024-01（填写的是{value}）。",
    ),
    "form_region_short": (
        "The {what} cannot be {value}: a Chinese province (such as Jiangsu) or a US state code "
        "(such as TX).",
        "{what}不能为{value}：请填写中国省份（如江苏）或美国州代码（如TX）。",
    ),
    "verify_file_unreadable": (
        "The {what} cannot be read as meter readings: see the columns and units below.",
        "{what}无法读取为计量数据：请检查下方所列的列名、单位和数值。",
    ),
    "form_cell": ("{table}, row {row}, {column}", "{table}第{row}行{column}"),
    "form_file_too_large": (
        "The file is {size} MB; files up to {limit} MB can be uploaded.",
        "文件大小为{size} MB，最大可上传{limit} MB。",
    ),
    "form_file_bad_json": (
        "The file {name} is not readable JSON: a profile file holds one JSON object, such as "
        '{{"factory_id": "plant-7", "country": "CN"}}.',
        '文件{name}不是有效的JSON：档案文件应为一个JSON对象，例如 {{"factory_id": "plant-7", '
        '"country": "CN"}}。',
    ),
    "form_file_bad_csv": (
        "The file {name} is not a readable CSV table: a header row of profile columns, then "
        "one row for the factory.",
        "文件{name}不是有效的CSV表格：第一行为档案列名，第二行为该工厂的数据。",
    ),
    "form_file_rows": (
        "The file {name} holds {rows} factories; upload one factory per file.",
        "文件{name}含有{rows}家工厂；每个文件只能上传一家工厂。",
    ),
    "form_file_kind": (
        "The file {name} is neither .json nor .csv.",
        "文件{name}既不是 .json 也不是 .csv 文件。",
    ),
    "form_row": ("The {what} row is not complete: {allowed}.", "{what}这一行不完整：{allowed}。"),
    "form_money": (
        "The {what} must be a number or an amount with a known unit, such as 9e8 CNY or "
        "1.2e7 USD (you entered {value}).",
        "{what}应为数字或带已知单位的金额，例如 9 亿元、1200 万元（填写的是{value}）。",
    ),
    "form_green": (
        "The green electricity bought and the green certificates together ({value} kWh) cannot "
        "exceed the grid electricity bought ({grid} kWh).",
        "绿电交易电量与绿证电量之和（{value} kWh）不能超过外购电网电量（{grid} kWh）。",
    ),
    "form_file_deep": (
        "The file {name} nests objects and arrays more than {most} levels deep; a profile "
        "needs at most {most} levels.",
        "文件{name}中对象和数组的嵌套超过{most}层；工厂档案最多只需{most}层。",
    ),
    "form_file_in": ("In the file: {message}", "文件中：{message}"),
    "form_more": (
        "The {what} must be key=value pairs separated by ';', such as clinker_ratio=0.7 "
        "(you entered {value}).",
        "{what}应为以“;”分隔的“键=值”，例如 clinker_ratio=0.7（填写的是{value}）。",
    ),
    # --- zero-carbon factory indicators (features/accounting/readiness.py) ---
    "readiness_title": ("Zero-carbon factory indicators", "零碳工厂指标"),
    "readiness_no_national": (
        "The national zero-carbon factory guidance ({doc}) publishes no numeric "
        "thresholds; the thresholds below come from a province's indicator system and from "
        "related national schemes.",
        "国家零碳工厂建设指导意见（{doc}）未公布数值门槛；以下门槛来自省级指标体系和相关国家政策。",
    ),
    "readiness_own_province": (
        "{province} publishes zero-carbon factory thresholds: the plant is held against its own "
        "province's.",
        "{province}已公布零碳工厂指标：按本省门槛衡量本厂。",
    ),
    "readiness_reference_province": (
        "No zero-carbon factory thresholds of {own} are in our data; those of {reference} are "
        "shown as a reference, not as rules that apply to this plant.",
        "数据中没有{own}的零碳工厂指标；列出{reference}的指标仅作参考，并非适用于本厂的要求。",
    ),
    "readiness_basis_own": ("own province ({province})", "本省（{province}）"),
    "readiness_basis_reference": ("reference: {province}", "参考：{province}"),
    "readiness_basis_national": ("related national scheme", "相关国家政策"),
    "readiness_pass": ("meets", "达到"),
    "readiness_fail": ("does not meet", "未达到"),
    "readiness_not_computable": ("not computable", "无法计算"),
    "readiness_not_applicable": ("not applicable", "不适用"),
    "readiness_no_onsite": ("no on-site generation declared", "未申报厂内发电"),
    "readiness_needs_energy": (
        "needs the plant's energy use (comprehensive energy is 0)",
        "需要工厂的能源消费量（综合能耗为 0）",
    ),
    "readiness_needs_electricity": (
        "needs electricity use (grid or on-site)",
        "需要用电量（电网或厂内发电）",
    ),
    "readiness_needs_generation": (
        "needs the on-site generation total and the kWh exported to the grid; the profile holds "
        "only on-site electricity used",
        "需要厂内发电总量和上网电量；档案只含厂内自用的发电量",
    ),
    "readiness_needs_waste_heat": (
        "needs waste heat/pressure and cascade energy use, which the profile does not hold",
        "需要余热余压和能源梯级利用量，档案中没有",
    ),
    "readiness_needs_capacity": (
        "needs the installed renewable capacity in MW, which the profile does not hold",
        "需要可再生能源装机容量（MW），档案中没有",
    ),
    "readiness_needs_base_year": (
        "needs the key product's carbon footprint in the base year and now",
        "需要重点产品基准年和当前的碳足迹",
    ),
    "readiness_needs_weight": (
        "needs the national average renewable consumption responsibility weight, which the data "
        "does not hold as a number",
        "需要全国可再生能源电力总量消纳责任权重平均水平，数据中没有该数值",
    ),
    "readiness_carbon_basis": (
        "net market-based emissions {tco2e} tCO2e over comprehensive energy {tce} tce "
        "(calorific equivalent); location-based: {location} tCO2e/tce",
        "市场法净排放 {tco2e} tCO2e 除以综合能耗 {tce} tce（当量值）；"
        "按地点法为 {location} tCO2e/tce",
    ),
    "readiness_share_basis": (
        "on-site {onsite} kWh + green-power contracts {contract} kWh over {use} kWh used; "
        "with certificates: {with_cert}%",
        "厂内发电 {onsite} kWh 加绿电交易 {contract} kWh，除以用电量 {use} kWh；"
        "计入绿证为 {with_cert}%",
    ),
    "readiness_energy_share_basis": (
        "renewables {renewable} tce over total energy {total} tce (on-site generation included)",
        "可再生能源 {renewable} tce 除以能源消费总量 {total} tce（含厂内发电）",
    ),
    "readiness_green_basis": (
        "on-site generation, contracts and certificates cover {share}% of electricity used",
        "厂内发电、绿电交易和绿证覆盖用电量的 {share}%",
    ),
    "readiness_columns": (
        "Indicator|Value|Threshold|Target year|Result|Basis|Source|Confidence",
        "指标|数值|门槛|目标年|结果|依据|来源|可信度",
    ),
    "readiness_conf_medium-low": ("medium-low", "中低"),
    # --- verification: statistics and verdicts (features/verification) ---
    "no_region_national_factor": (
        "national factor: no region given",
        "未给出地区，采用全国因子",
    ),
    "verification_no_region": (
        "No region given: tCO2e use the national factor of {country}; give the province or state "
        "for its own grid factor",
        "未给出地区：tCO2e按{country}全国因子计算；请填写省份或州，以采用其电网因子",
    ),
    "verification_method": (
        "Baseline regressed on the plant's own metered history and projected into the reporting "
        "period (IPMVP Option C, whole facility; ISO 50015), its fit and savings uncertainty "
        "judged by ASHRAE Guideline 14-2014, at {confidence} two-sided confidence.",
        "以工厂自身的计量历史回归建立能耗基准并外推到报告期（IPMVP选项C，整体设施；ISO 50015），"
        "按ASHRAE Guideline 14-2014评判拟合优度和节能量不确定度，双侧置信水平{confidence}。",
    ),
    "verification_excluded": (
        "{carrier} {period}: left out of the baseline fit and the savings: non-routine event "
        '"{note}" without an adjustment',
        "{carrier} {period}：非常规事件“{note}”未给调整量，该期不参与基准拟合和节能量计算",
    ),
    "verification_adjusted": (
        '{carrier} {period}: non-routine event "{note}": its adjustment of {value} {unit} is '
        "added to the projected baseline",
        "{carrier} {period}：非常规事件“{note}”：调整量{value} {unit}已加到外推基准上",
    ),
    "verification_adjusted_baseline": (
        '{carrier} {period}: non-routine event "{note}": its adjustment of {value} {unit} is '
        "taken off the metered use before the baseline is fitted",
        "{carrier} {period}：非常规事件“{note}”：拟合基准前从计量值中扣除调整量{value} {unit}",
    ),
    "verification_installation": (
        "{carrier} {periods}: in the installation month, neither baseline nor reporting",
        "{carrier} {periods}：处于安装月份，既不属于基准期也不属于报告期",
    ),
    "verification_driver_missing": (
        "{carrier}: {driver} is missing in {periods}, so the baseline does not use it",
        "{carrier}：{periods}缺少{driver}数据，基准模型不使用该变量",
    ),
    "verification_no_reporting": (
        "{carrier}: no reporting period after the installed month {installed}: nothing to verify",
        "{carrier}：安装月份{installed}之后没有报告期数据，无法核证",
    ),
    "verification_too_few": (
        "{carrier}: {n} usable baseline periods over {days} days; the baseline needs at least "
        "{minimum} periods covering a full year (IPMVP: a full operating cycle): not verifiable",
        "{carrier}：可用基准期仅{n}期、覆盖{days}天；基准期至少需要{minimum}期并覆盖完整一年"
        "（IPMVP：一个完整运行周期），无法核证",
    ),
    "verification_fit": (
        "{carrier}: baseline form {form} over {n} periods; CV(RMSE) {cv}, NMBE {nmbe}, R² {r2}, "
        "lag-1 autocorrelation of residuals {rho}",
        "{carrier}：基准模型形式{form}，基准期{n}期；CV(RMSE) {cv}，NMBE {nmbe}，R² {r2}，"
        "残差一阶自相关{rho}",
    ),
    "verification_weak_fit": (
        "{carrier}: the baseline is too weak to verify savings: CV(RMSE) {cv} (limit {cv_limit}), "
        "NMBE {nmbe} (limit ±{nmbe_limit}), ASHRAE Guideline 14-2014: not verifiable",
        "{carrier}：基准模型拟合太弱，无法核证节能量：CV(RMSE) {cv}（限值{cv_limit}），"
        "NMBE {nmbe}（限值±{nmbe_limit}），依据ASHRAE Guideline 14-2014：无法核证",
    ),
    "verification_verified": (
        "{carrier}: saved {saved} ± {uncertainty} {unit} over the reporting period ({fraction} of "
        "the adjusted baseline) at {confidence} confidence: verified",
        "{carrier}：报告期节能{saved} ± {uncertainty} {unit}（占调整后基准的{fraction}），"
        "置信水平{confidence}：节能量已核证",
    ),
    "verification_no_savings": (
        "{carrier}: saved {saved} ± {uncertainty} {unit} over the reporting period at {confidence} "
        "confidence; the interval includes zero or lies below it: no savings detected",
        "{carrier}：报告期节能{saved} ± {uncertainty} {unit}，置信水平{confidence}；"
        "区间包含零或在零以下：未检测到节能",
    ),
    "verification_not_verifiable": (
        "{carrier}: the figure of {saved} ± {uncertainty} {unit} is not a verified measurement",
        "{carrier}：{saved} ± {uncertainty} {unit}这一数值不是经核证的计量结果",
    ),
    "verification_overall_verified": (
        "In all: {tco2e} ± {uncertainty} tCO2e/yr avoided (location-based, verifiable carriers) "
        "at {confidence} confidence: verified",
        "合计：年减排{tco2e} ± {uncertainty} tCO2e（基于位置，可核证的能源品种），"
        "置信水平{confidence}：已核证",
    ),
    "verification_overall_no_savings_detected": (
        "In all: {tco2e} ± {uncertainty} tCO2e/yr (location-based, verifiable carriers) at "
        "{confidence} confidence: no savings detected",
        "合计：年减排{tco2e} ± {uncertainty} tCO2e（基于位置，可核证的能源品种），"
        "置信水平{confidence}：未检测到节能",
    ),
    "verification_overall_not_verifiable": (
        "No carrier has a baseline good enough to verify savings: not verifiable",
        "没有任何能源品种的基准模型足以核证节能量：无法核证",
    ),
    "verification_factor": (
        "{carrier}: emission factors {location} kgCO2e/{unit} location-based ({factor_id}) and "
        "{market} kgCO2e/{unit} market-based ({market_id}), as in the footprint",
        "{carrier}：排放因子基于位置{location} kgCO2e/{unit}（{factor_id}），基于市场{market} "
        "kgCO2e/{unit}（{market_id}），与碳足迹核算一致",
    ),
    "verification_no_outcome": (
        "no carrier's savings were measured (overall verdict {verdict}); a not-verifiable "
        "figure is not a measurement",
        "没有任何能源品种的节能量经过计量核证（总体结论{verdict}）；无法核证的数值不是计量结果",
    ),
    # --- verification: command line, page and PDF (serving) ---
    "verify_title": ("Verified savings", "节能量核证"),
    "verify_heading": ("Verified savings of {measure}", "{measure}的节能量核证"),
    "verify_meta": (
        "Factory {factory}; installed {installed} (neither baseline nor reporting); "
        "confidence {confidence}; {date}",
        "工厂 {factory}；{installed}投入使用（该月既不计入基准期也不计入报告期）；"
        "置信水平 {confidence}；{date}",
    ),
    "verify_verdict": ("Verdict: {word}", "结论：{word}"),
    "verify_verdict_line": ("Verdict: {word}. {sentence}", "结论：{word}。{sentence}"),
    "verify_word_verified": ("verified", "已核证"),
    "verify_word_not_verifiable": ("not verifiable", "无法核证"),
    "verify_word_no_savings_detected": ("no savings detected", "未检出节能量"),
    "verify_say_verified": (
        "Savings verified: the meters show less energy used than the baseline projects, by "
        "more than the uncertainty at {confidence} confidence, on a baseline within ASHRAE "
        "Guideline 14's limits.",
        "节能量已核证：计量能耗低于基线预测值，差额在{confidence}置信水平下大于其不确定度，"
        "且基线模型满足ASHRAE Guideline 14的限值。",
    ),
    "verify_say_not_verifiable": (
        "Not verifiable: the baseline does not predict this plant's use well enough (ASHRAE "
        "Guideline 14's limits) or too few periods were metered, so no savings can be stated.",
        "无法核证：基线模型对本厂能耗的预测不够准确（超出ASHRAE Guideline 14的限值），"
        "或计量周期太少，因此无法给出节能量。",
    ),
    "verify_say_no_savings_detected": (
        "No savings detected: the difference between the baseline and the meters is within "
        "its uncertainty at {confidence} confidence, or more energy was used.",
        "未检出节能量：在{confidence}置信水平下，基线与计量值之差未超出其不确定度，"
        "或能耗有所增加。",
    ),
    "verify_carrier_line": (
        "{carrier}: {verdict}. Saved {saved}/yr ± {uncertainty} ({confidence} confidence), "
        "{fraction} of the adjusted baseline; {loc} tCO2e/yr location-based, {market} "
        "market-based (± {tco2e_unc})",
        "{carrier}：{verdict}。年节能量{saved} ± {uncertainty}（置信水平{confidence}），"
        "占调整后基线的{fraction}；年减排{loc} tCO2e（基于位置），{market} tCO2e（基于市场）"
        "（± {tco2e_unc}）",
    ),
    "verify_period_line": (
        "reporting {start} to {end} ({n} periods): adjusted baseline {baseline}, metered "
        "{metered}, non-routine adjustment {adjustment}, saved {saved}",
        "报告期{start}至{end}（{n}个周期）：调整后基线{baseline}，计量值{metered}，"
        "非常规调整{adjustment}，节能量{saved}",
    ),
    "verify_total": (
        "Total: {loc} tCO2e/yr location-based, {market} tCO2e/yr market-based, ± {unc} "
        "({confidence} confidence)",
        "合计：年减排{loc} tCO2e（基于位置），{market} tCO2e（基于市场），± {unc}"
        "（置信水平{confidence}）",
    ),
    "verify_by_carrier": ("Savings by carrier", "分能源品种节能量"),
    "verify_total_row": ("Total (verifiable carriers)", "合计（可核证的能源品种）"),
    "verify_columns": (
        "Carrier|Verdict|Saved per year|± uncertainty|Share of baseline|tCO2e/yr "
        "location-based|tCO2e/yr market-based|Reporting period",
        "能源品种|结论|年节能量|±不确定度|占基线比例|年减排tCO2e（基于位置）|"
        "年减排tCO2e（基于市场）|报告期",
    ),
    "verify_fits": ("Baseline fits (ASHRAE Guideline 14)", "基线拟合（ASHRAE Guideline 14）"),
    "verify_fit_columns": (
        "Carrier|Baseline model|Baseline periods|R²|CV(RMSE) (limit)|NMBE (limit)|Lag-1 "
        "autocorrelation|Within the limits",
        "能源品种|基线模型|基准期周期数|R²|CV(RMSE)（限值）|NMBE（限值）|一阶自相关系数|"
        "是否满足限值",
    ),
    "verify_fit_line": (
        "{carrier}: {form}, {n} baseline periods, R² {r2}, CV(RMSE) {cv} (limit {cv_limit}), "
        "NMBE {nmbe} (limit ±{nmbe_limit}), lag-1 autocorrelation {ac}: {passes}",
        "{carrier}：{form}，基准期{n}个周期，R² {r2}，CV(RMSE) {cv}（限值{cv_limit}），"
        "NMBE {nmbe}（限值±{nmbe_limit}），一阶自相关系数{ac}：{passes}",
    ),
    "verify_fit_passes": ("within the limits", "满足限值"),
    "verify_fit_fails": ("outside the limits", "超出限值"),
    "verify_form_mean": ("mean of the baseline periods", "基准期均值"),
    "verify_form_production": ("linear in production", "与产量线性相关"),
    "verify_form_production_hdd": ("production and heating degree days", "产量与采暖度日数"),
    "verify_form_production_cdd": ("production and cooling degree days", "产量与制冷度日数"),
    "verify_form_production_hdd_cdd": (
        "production, heating and cooling degree days",
        "产量、采暖度日数与制冷度日数",
    ),
    "verify_form_change_point_heating": (
        "change-point model, heating (balance point {balance} °C)",
        "变点模型（采暖，平衡点温度{balance} °C）",
    ),
    "verify_form_change_point_cooling": (
        "change-point model, cooling (balance point {balance} °C)",
        "变点模型（制冷，平衡点温度{balance} °C）",
    ),
    "verify_excluded": ("Excluded and adjusted periods", "剔除和调整的周期"),
    "verify_excluded_columns": ("Carrier|Period|Non-routine event", "能源品种|周期|非常规事件"),
    "verify_left_out": (
        "left out of the fit and the savings: {note}",
        "不计入基线拟合和节能量：{note}",
    ),
    "verify_adjusted": (
        "kept, with a non-routine adjustment of {amount}",
        "保留，非常规调整量{amount}",
    ),
    "verify_excluded_none": ("none left out or adjusted", "无剔除或调整的周期"),
    "verify_notes": ("Notes", "说明"),
    "verify_method": ("Method", "方法"),
    "verify_factors": ("Emission factors", "排放因子"),
    "verify_chart_title": (
        "{carrier}: metered use against the baseline ({unit} per period)",
        "{carrier}：计量能耗与基线对比（{unit}/周期）",
    ),
    "verify_chart_charts": ("Metered use against the baseline", "计量能耗与基线对比"),
    "verify_legend_baseline": ("baseline", "基线"),
    "verify_legend_metered": ("metered", "计量值"),
    "verify_legend_saved": ("saved", "节约量"),
    "verify_legend_more": ("used more", "多用量"),
    "verify_legend_installation": ("installation", "安装期"),
    "verify_legend_excluded": ("excluded", "剔除"),
    "verify_page_title": ("Verify savings from meter readings", "根据计量数据核证节能量"),
    "verify_page_intro": (
        "Upload a year or more of metered energy before the measure and some months after it "
        "(one row per period and carrier). The baseline is fitted on the periods before, "
        "projected over the periods after, and the difference is the avoided energy, with its "
        "uncertainty (IPMVP Option C, ASHRAE Guideline 14).",
        "上传措施实施前一年以上及实施后若干个月的计量能耗（每个周期、每种能源一行）。"
        "以实施前的周期拟合基线，推算至实施后的周期，二者之差即为节能量，并给出其不确定度"
        "（IPMVP选项C，ASHRAE Guideline 14）。",
    ),
    "verify_file": ("Meter readings (CSV or Excel)", "计量数据（CSV或Excel）"),
    "verify_file_help": (
        "Columns: period (YYYY-MM), carrier, quantity, unit; optional period_end, production, "
        "hdd, cdd, temperature_c, non_routine, adjustment.",
        "列：period（YYYY-MM）、carrier、quantity、unit；可选period_end、production、hdd、"
        "cdd、temperature_c、non_routine、adjustment。",
    ),
    "verify_measure": ("Measure", "措施"),
    "verify_installed": ("Installed (month)", "投入使用月份"),
    "verify_installed_help": (
        "YYYY-MM; the month itself is neither baseline nor reporting period.",
        "YYYY-MM；该月既不计入基准期也不计入报告期。",
    ),
    "verify_country": ("Country", "国家"),
    "verify_region": ("Province or state", "省份或州"),
    "verify_region_help": (
        "For the emission factors, e.g. Jiangsu or Texas.",
        "用于选取排放因子：中国填写省份，如江苏；美国填写州代码，如TX。",
    ),
    "verify_confidence": ("Confidence level", "置信水平"),
    "verify_confidence_help": (
        "Two-sided level of the savings uncertainty, 0.5 to 0.99.",
        "节能量不确定度的双侧置信水平，0.5至0.99。",
    ),
    "verify_factory": ("Factory id (optional)", "工厂编号（可选）"),
    "verify_language": ("Language", "语言"),
    "verify_submit": ("Verify the savings", "核证节能量"),
    "verify_pdf": ("Download the verification (PDF)", "下载核证报告（PDF）"),
    "verify_again": ("Verify another", "重新核证"),
    "verify_nav": ("Verify savings", "节能量核证"),
    "verify_errors": ("Please correct {n} input(s)", "请更正{n}处输入"),
    "verify_cli_stored": (
        "stored as outcome {id} in {store}{replayed}",
        "已作为实施结果{id}存入{store}{replayed}",
    ),
    "verify_cli_replayed": (" (stored before)", "（此前已存储）"),
    "verify_cli_wrote": ("wrote {path}", "已写入{path}"),
}

#: Placeholders whose values are Chinese provinces by English name (several joined by ", "),
#: shown by their Chinese names in Chinese (features.regions.CHINA_PROVINCES).
_PROVINCE_SLOTS = frozenset({"province", "own", "reference"})

#: Placeholders whose values are words to translate (the rest are numbers, ids or sources).
_WORD_SLOTS = frozenset(
    {
        "level",
        "label",
        "side",
        "carrier",
        "carriers",
        "uses",
        "verb",
        "products",
        "sector",
        "objective",
        "family",
    }
)


def text(key: str, lang: Lang = "en", **values: object) -> str:
    """The sentence ``key`` in ``lang`` with its placeholders filled (a plain ``str``; answers
    carry a :class:`features.messages.Message`, which can be rendered again in another
    language)."""
    en, zh = TEXTS[key]
    if lang == "zh":
        values = {k: slot_value(k, v, "zh") for k, v in values.items()}
        return zh.format(**values)
    return en.format(**values)


def field_words(field: str, lang: Lang = "en") -> str:
    """A profile field in words (the field name with spaces where none is registered)."""
    words = FIELD_WORDS.get(field)
    if words is None:
        return field.replace("_", " ")
    return words[1] if lang == "zh" else words[0]


def word(value: str, lang: Lang = "en") -> str:
    """A carrier, end use, family or grid level in ``lang``."""
    return WORDS_ZH.get(value, value) if lang == "zh" else value


def slot_value(slot: str, value: object, lang: Lang) -> object:
    """The value of placeholder ``slot`` as a sentence in ``lang`` shows it: profile fields
    and the words of :data:`_WORD_SLOTS` in Chinese; numbers, ids and sources as they are."""
    if lang != "zh":
        return value
    if slot in _PROVINCE_SLOTS and isinstance(value, str):
        return "、".join(CHINA_PROVINCES.get(p, (p,))[0] for p in value.split(", "))
    if slot == "field" and isinstance(value, str) and value in FIELD_WORDS:
        return FIELD_WORDS[value][1]
    if slot not in _WORD_SLOTS or not isinstance(value, str):
        return value
    if value in WORDS_ZH:
        return WORDS_ZH[value]
    separator = next((sep for sep in (" / ", " or ", ", ") if sep in value), ", ")
    parts = value.split(separator)
    return "、".join(WORDS_ZH.get(p.strip(), p.strip()) for p in parts)


def has_chinese(value: str) -> bool:
    """Whether ``value`` holds CJK ideographs."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in value)


def human(value: float | None, sig: int = 3) -> str:
    """A number rounded for people: ``sig`` significant figures, thousands separated, no
    trailing noise (12345.678 -> "12,300"; 0.012345 -> "0.0123"); "-" for None or NaN."""
    if value is None or not math.isfinite(value):
        return "-"
    if value == 0:
        return "0"
    digits = sig - 1 - math.floor(math.log10(abs(value)))
    rounded = round(value, digits)
    if digits <= 0:
        return f"{rounded:,.0f}"
    return f"{rounded:,.{digits}f}".rstrip("0").rstrip(".")
