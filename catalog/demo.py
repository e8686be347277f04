"""Demo data for TechDock: a Shenyang-like catalogue (DESIGN.md §1–2), generated without touching
the database so that tests and benchmarks can recompute it (``generate``, ``ground_truth_pairs``).

Everything is deterministic given ``(scale, seed)``. Organisations, people and results are fictional:
names are composed from generic parts, not taken from real universities or companies.

Listings are written from per-field vocabularies (technologies, processes, indicators with units and
plausible ranges, application scenarios, pain points) and several sentence templates per slot, in
Chinese and English. About 15 % of achievements are written to answer one specific requirement
(same field, same technology and indicators met, compatible TRL and cooperation mode, different
wording, sometimes in the other language): these pairs are the ground truth for matching benchmarks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from accounts.models import CREDIT_CODE_ALPHABET, credit_code_check_digit

ZH, EN = "zh-hans", "en"

# --- vocabulary ---------------------------------------------------------------------------------
# Per field: industries (for enterprise names); technologies/products; processes/methods;
# indicators "名称|name|unit(zh~en)|low|high|>" (">" higher is better, "<" lower is better);
# application scenarios; pain points. Items are "中文|English", separated by ";".

_RAW_VOCAB: dict[str, tuple[str, tuple[str, str, str, str, str, str]]] = {
    "innovative-drugs": ("biomedicine", (
        "药业|Pharmaceutical;生物医药|Biopharma",
        "小分子靶向抑制剂|small-molecule targeted inhibitor;抗体偶联药物|antibody-drug conjugate;缓控释制剂|"
        "sustained-release formulation;多肽药物|peptide drug;mRNA疫苗递送系统|mRNA vaccine delivery system;"
        "吸入制剂|inhaled formulation;手性药物中间体|chiral drug intermediate",
        "连续流合成|continuous-flow synthesis;晶型筛选|polymorph screening;高通量筛选|high-throughput screening;"
        "脂质纳米粒包封|lipid nanoparticle encapsulation",
        "纯度|purity|%|98.5|99.9|>;收率|yield|%|60|92|>;有关物质总量|total impurities|%|0.10|0.50|<;"
        "生物利用度|bioavailability|%|30|85|>",
        "肿瘤靶向治疗|targeted cancer therapy;慢性病长效用药|long-acting chronic disease therapy;"
        "仿制药一致性评价|generic drug consistency evaluation;原料药出口|API export",
        "关键中间体依赖进口、成本高|key intermediates are imported and costly;工艺收率低、杂质控制难|"
        "process yield is low and impurities are hard to control;制剂稳定性不足|formulation stability is insufficient",
    )),
    "medical-devices": ("biomedicine", (
        "医疗器械|Medical Devices;医学影像|Medical Imaging",
        "数字化X射线平板探测器|digital X-ray flat-panel detector;可降解心血管支架|biodegradable cardiovascular stent;"
        "手术导航系统|surgical navigation system;便携式超声诊断仪|portable ultrasound scanner;"
        "康复外骨骼机器人|rehabilitation exoskeleton;一次性内窥镜|single-use endoscope;"
        "医用高分子导管|medical polymer catheter",
        "激光微加工|laser micromachining;医用涂层改性|medical coating modification;图像重建算法|image reconstruction "
        "algorithm;生物相容性评价|biocompatibility evaluation",
        "空间分辨率|spatial resolution|lp/mm|3.0|10.0|>;定位精度|positioning accuracy|mm|0.2|1.5|<;"
        "径向支撑力|radial support force|N|60|160|>;整机重量|device weight|kg|1.5|8.0|<",
        "基层医疗机构|primary care clinics;微创介入手术|minimally invasive interventions;术后康复训练|post-operative "
        "rehabilitation;体检中心|health check-up centres",
        "核心部件依赖进口|core components rely on imports;注册检验周期长|registration testing takes too long;"
        "产品成本高、基层难以推广|high cost limits uptake in primary care",
    )),
    "biotechnology": ("biomedicine", (
        "生物科技|Biotechnology;生物工程|Bioengineering",
        "工业酶制剂|industrial enzyme preparation;合成生物学底盘菌株|synthetic-biology chassis strain;细胞培养基|"
        "cell culture medium;重组蛋白表达系统|recombinant protein expression system;微生物发酵产品|microbial "
        "fermentation product;生物基化学品|bio-based chemical",
        "高密度发酵|high-density fermentation;定向进化|directed evolution;基因编辑|gene editing;膜分离纯化|"
        "membrane separation and purification",
        "发酵效价|fermentation titre|g/L|20|120|>;酶活力|enzyme activity|U/mL|500|5000|>;转化率|conversion rate|%|"
        "75|98|>;批次周期|batch cycle|h|24|96|<",
        "饲料添加剂|feed additives;医药中间体生产|pharmaceutical intermediate production;日化原料|personal-care "
        "ingredients;生物制药上游工艺|upstream biopharma processes",
        "菌种产率低、放大困难|strain productivity is low and scale-up is difficult;下游分离成本占比高|downstream "
        "separation dominates cost;关键培养基依赖进口|key media are imported",
    )),
    "tcm": ("biomedicine", (
        "中药|Traditional Chinese Medicine;药业|Herbal Pharmaceutical",
        "中药配方颗粒|TCM dispensing granules;经典名方复方制剂|classical formula preparation;道地药材种植技术|"
        "authentic herb cultivation;中药材质量追溯系统|herbal quality traceability system;中药提取物|herbal extract",
        "超临界CO2萃取|supercritical CO2 extraction;指纹图谱质控|fingerprint quality control;低温喷雾干燥|"
        "low-temperature spray drying;大孔树脂纯化|macroporous resin purification",
        "有效成分含量|active ingredient content|%|1.5|12.0|>;提取率|extraction rate|%|60|95|>;重金属残留|"
        "heavy-metal residue|mg/kg|0.5|5.0|<;溶剂残留|solvent residue|ppm|50|500|<",
        "北药基地|northern herb production bases;医院制剂|hospital preparations;大健康产品|health-care products;"
        "中药饮片企业|decoction piece manufacturers",
        "药材质量波动大|raw herb quality varies widely;提取工艺能耗高|extraction is energy-intensive;质量标准不统一|"
        "quality standards are inconsistent",
    )),
    "diagnostics": ("biomedicine", (
        "生物诊断|Diagnostics;精准医学|Precision Medicine",
        "化学发光免疫分析仪|chemiluminescence immunoassay analyser;测序文库制备试剂|sequencing library prep kit;"
        "POCT快速检测卡|POCT rapid test strip;数字PCR系统|digital PCR system;病理图像AI辅助诊断|AI pathology "
        "image diagnosis;液体活检试剂盒|liquid biopsy kit",
        "微流控芯片设计|microfluidic chip design;磁珠法核酸提取|magnetic-bead nucleic acid extraction;"
        "多重荧光定量|multiplex fluorescence quantification;深度学习图像分割|deep-learning image segmentation",
        "检测灵敏度|detection sensitivity|%|90.0|99.5|>;检出限|limit of detection|copies/mL|10|500|<;检测时间|"
        "turnaround time|min|15|120|<;特异性|specificity|%|92.0|99.8|>",
        "县域医共体|county medical alliances;肿瘤早筛|early cancer screening;传染病现场检测|on-site infectious "
        "disease testing;第三方医学检验|independent clinical laboratories",
        "检测时间长、操作复杂|testing is slow and complex;关键原料抗体依赖进口|key antibodies are imported;"
        "基层缺乏专业检验人员|primary care lacks trained lab staff",
    )),
    "ai": ("information", (
        "智能科技|Intelligent Technology;人工智能|AI Technology",
        "工业视觉缺陷检测系统|industrial visual inspection system;行业大模型知识库|domain LLM knowledge base;"
        "智能语音交互终端|voice interaction terminal;多模态数据标注平台|multimodal data labelling platform;"
        "知识图谱|knowledge graph;边缘AI推理盒子|edge AI inference box",
        "小样本学习|few-shot learning;模型量化压缩|model quantisation;检索增强生成|retrieval-augmented generation;"
        "迁移学习|transfer learning",
        "识别准确率|recognition accuracy|%|95.0|99.7|>;推理时延|inference latency|ms|10|200|<;误报率|false alarm "
        "rate|%|0.1|3.0|<;并发路数|concurrent streams|路~streams|8|64|>",
        "钢板表面质检|steel surface inspection;政务热线智能问答|government hotline Q&A;智慧园区安防|smart campus "
        "security;设备故障诊断|equipment fault diagnosis",
        "缺陷样本少、模型泛化差|defect samples are few and models generalise poorly;人工质检漏检率高|manual "
        "inspection misses defects;算力成本高|computing cost is high",
    )),
    "integrated-circuits": ("information", (
        "微电子|Microelectronics;半导体|Semiconductor",
        "IGBT功率模块|IGBT power module;碳化硅MOSFET|silicon carbide MOSFET;MEMS传感器芯片|MEMS sensor chip;"
        "晶圆级封装|wafer-level packaging;真空镀膜设备|vacuum coating equipment;电机驱动SoC|motor-driver SoC",
        "刻蚀工艺|etching process;薄膜沉积|thin-film deposition;芯片级封装测试|chip-scale packaging and test;"
        "版图设计|layout design",
        "击穿电压|breakdown voltage|V|650|3300|>;导通电阻|on-resistance|mΩ|5|80|<;良率|yield|%|85|99|>;"
        "工作温度上限|max operating temperature|°C|150|200|>",
        "新能源汽车电驱|EV traction inverters;光伏逆变器|PV inverters;工业传感|industrial sensing;半导体装备国产化|"
        "domestic semiconductor equipment",
        "高端芯片依赖进口|high-end chips are imported;封装散热能力不足|packaging heat dissipation is insufficient;"
        "工艺良率偏低|process yield is low",
    )),
    "software": ("information", (
        "软件|Software;信息技术|Information Technology",
        "CAE仿真平台|CAE simulation platform;低代码开发平台|low-code development platform;企业资源计划系统|ERP "
        "system;电子政务审批系统|e-government approval system;国产数据库中间件|domestic database middleware;"
        "国产操作系统适配|domestic OS adaptation",
        "微服务架构|microservice architecture;容器化部署|containerised deployment;自动化测试|automated testing;"
        "数据迁移|data migration",
        "系统响应时间|system response time|ms|50|800|<;并发用户数|concurrent users|人~users|500|20000|>;"
        "可用性|availability|%|99.50|99.99|>;迁移效率|migration throughput|GB/h|50|500|>",
        "制造企业数字化转型|manufacturing digital transformation;政务服务|public services;金融业务系统|banking "
        "systems;中小企业上云|SME cloud adoption",
        "国外软件授权费用高|foreign software licences are expensive;系统间数据孤岛|data is siloed between systems;"
        "老旧系统难以维护|legacy systems are hard to maintain",
    )),
    "big-data-cloud": ("information", (
        "数据科技|Data Technology;云计算|Cloud Computing",
        "工业大数据平台|industrial big-data platform;隐私计算平台|privacy-preserving computation platform;"
        "数据治理工具|data governance toolkit;云边协同平台|cloud-edge collaboration platform;时序数据库|"
        "time-series database;数据中心液冷系统|data-centre liquid cooling",
        "联邦学习|federated learning;流式计算|stream processing;数据脱敏|data masking;湖仓一体架构|lakehouse "
        "architecture",
        "数据写入速率|ingest rate|万点/秒~k points/s|50|500|>;查询延迟|query latency|ms|20|500|<;PUE值|PUE||1.10|"
        "1.40|<;压缩比|compression ratio|倍~x|5|20|>",
        "城市数据大脑|city data brain;设备远程运维|remote equipment O&M;供应链协同|supply-chain coordination;"
        "金融风控|financial risk control",
        "数据量大、存储成本高|data volumes and storage costs are high;数据共享存在隐私风险|data sharing risks "
        "privacy;数据质量参差不齐|data quality is uneven",
    )),
    "iot": ("information", (
        "物联网|IoT;智能传感|Smart Sensing",
        "NB-IoT智能表计|NB-IoT smart meter;无线传感网络节点|wireless sensor node;工业物联网网关|industrial IoT "
        "gateway;UWB室内定位系统|UWB indoor positioning;RFID资产管理系统|RFID asset tracking;智能配电监测终端|"
        "smart distribution monitor",
        "低功耗广域组网|LPWAN networking;边缘计算|edge computing;多传感器融合|multi-sensor fusion;OTA远程升级|"
        "OTA firmware update",
        "电池续航|battery life|年~years|3|10|>;定位精度|positioning accuracy|cm|10|50|<;通信距离|communication "
        "range|km|1|15|>;数据丢包率|packet loss rate|%|0.01|1.00|<",
        "智慧供热|smart district heating;仓储物流|warehousing and logistics;管网监测|pipe-network monitoring;"
        "智能楼宇|smart buildings",
        "设备功耗高、更换电池频繁|devices draw too much power and batteries are changed often;现场信号遮挡严重|"
        "signals are heavily blocked on site;多协议设备难以互联|multi-protocol devices are hard to connect",
    )),
    "communications": ("information", (
        "通信技术|Communication Technology;通信设备|Telecom Equipment",
        "5G工业专网|5G private industrial network;光模块|optical transceiver module;毫米波雷达|millimetre-wave "
        "radar;卫星通信终端|satellite communication terminal;时间敏感网络交换机|TSN switch;射频前端滤波器|RF "
        "front-end filter",
        "波束赋形|beamforming;硅光集成|silicon photonics integration;信道编码|channel coding;网络切片|network "
        "slicing",
        "传输速率|data rate|Gbps|1|400|>;端到端时延|end-to-end latency|ms|1|20|<;插入损耗|insertion loss|dB|0.5|"
        "3.0|<;覆盖半径|coverage radius|km|0.5|5.0|>",
        "矿山井下通信|underground mine communications;港口自动化|port automation;车路协同|vehicle-road "
        "cooperation;应急通信|emergency communications",
        "现场无线环境复杂|the on-site radio environment is complex;核心器件国产化率低|few core components are "
        "made domestically;网络时延抖动大|network latency jitter is large",
    )),
    "photovoltaics": ("energy-environment", (
        "新能源|New Energy;风电设备|Wind Power Equipment",
        "异质结光伏电池|heterojunction solar cell;钙钛矿叠层电池|perovskite tandem cell;风电机组叶片|wind turbine "
        "blade;光伏组件清洗机器人|PV panel cleaning robot;风电变桨控制系统|pitch control system;分布式光伏逆变器|"
        "distributed PV inverter",
        "低温银浆印刷|low-temperature silver paste printing;叶片气动优化|blade aerodynamic optimisation;"
        "最大功率点跟踪|maximum power point tracking;无损检测|non-destructive testing",
        "光电转换效率|conversion efficiency|%|22.0|28.0|>;年衰减率|annual degradation|%|0.30|0.80|<;发电量提升|"
        "yield gain|%|3|15|>;低温启动温度|cold-start temperature|°C|-40|-20|<",
        "整县屋顶光伏|county rooftop PV;寒区风电场|cold-climate wind farms;农光互补|agrivoltaics;工业园区微电网|"
        "industrial-park microgrids",
        "北方冬季积雪覆冰影响发电|winter snow and icing cut output;组件衰减快|modules degrade fast;运维成本高|"
        "O&M costs are high",
    )),
    "hydrogen": ("energy-environment", (
        "氢能科技|Hydrogen Energy;燃料电池|Fuel Cell",
        "质子交换膜燃料电池电堆|PEM fuel cell stack;碱性电解水制氢装置|alkaline water electrolyser;高压储氢瓶|"
        "high-pressure hydrogen tank;氢气纯化装置|hydrogen purifier;燃料电池膜电极|membrane electrode assembly;"
        "加氢站压缩机|hydrogen refuelling compressor",
        "低铂催化剂设计|low-platinum catalyst design;碳纤维缠绕|carbon-fibre winding;变压吸附|pressure swing "
        "adsorption;双极板冲压成型|bipolar plate stamping",
        "功率密度|power density|kW/L|2.0|5.0|>;电解能耗|electrolysis energy use|kWh/Nm³|4.0|5.0|<;氢气纯度|"
        "hydrogen purity|%|99.900|99.999|>;使用寿命|service life|h|5000|30000|>",
        "氢燃料电池重卡|fuel-cell heavy trucks;化工副产氢利用|by-product hydrogen recovery;风光制氢|renewable "
        "hydrogen production;分布式热电联供|distributed CHP",
        "制氢能耗高|hydrogen production uses too much energy;贵金属催化剂成本高|precious-metal catalysts are "
        "costly;低温冷启动困难|cold start is difficult",
    )),
    "energy-storage": ("energy-environment", (
        "储能科技|Energy Storage;电池|Battery",
        "磷酸铁锂正极材料|LFP cathode material;固态电解质|solid-state electrolyte;电池管理系统|battery management "
        "system;钠离子电池|sodium-ion battery;全钒液流电池|vanadium flow battery;硅碳负极|silicon-carbon anode;"
        "储能变流器|energy storage converter",
        "高温固相合成|high-temperature solid-state synthesis;干法电极工艺|dry electrode process;电化学阻抗谱诊断|"
        "impedance spectroscopy diagnostics;梯次利用筛选|second-life screening",
        "循环寿命|cycle life|次~cycles|2000|8000|>;能量密度|energy density|Wh/kg|160|350|>;内阻|internal "
        "resistance|mΩ|0.2|1.5|<;充电倍率|charge rate|C|1|6|>",
        "电网侧储能电站|grid-side storage stations;电动叉车|electric forklifts;通信基站备用电源|telecom base-station "
        "backup;工商业储能|commercial and industrial storage",
        "电芯一致性差、容量衰减快|cells are inconsistent and capacity fades fast;低温环境下放电性能不足|discharge "
        "performance is weak at low temperature;热失控预警手段缺乏|thermal runaway cannot be predicted",
    )),
    "energy-saving": ("energy-environment", (
        "节能科技|Energy Saving Technology;热能工程|Thermal Engineering",
        "工业余热回收系统|industrial waste-heat recovery system;高效永磁同步电机|high-efficiency PM synchronous "
        "motor;空气源热泵|air-source heat pump;蓄热式燃烧器|regenerative burner;智能供热调控系统|smart heating "
        "control;变频节能改造|variable-frequency retrofit",
        "有机朗肯循环|organic Rankine cycle;能效诊断|energy audit;相变储热|phase-change heat storage;负荷预测|load "
        "forecasting",
        "节能率|energy saving rate|%|10|40|>;热回收效率|heat recovery efficiency|%|60|90|>;制热能效比COP|heating "
        "COP||2.5|4.5|>;投资回收期|payback period|年~years|1.0|5.0|<",
        "钢铁冶金|iron and steel plants;城市集中供热|district heating;水泥建材|cement and building materials;"
        "公共建筑|public buildings",
        "余热大量直接排放|large amounts of waste heat are vented;设备能耗高|equipment uses too much energy;"
        "冬季供热能耗大|winter heating consumes too much energy",
    )),
    "environmental-protection": ("energy-environment", (
        "环保科技|Environmental Technology;环境工程|Environmental Engineering",
        "工业废水深度处理|advanced industrial wastewater treatment;VOCs治理设备|VOC abatement unit;污染土壤修复|"
        "contaminated soil remediation;烟气脱硝催化剂|flue-gas DeNOx catalyst;高盐废水零排放|zero-discharge brine "
        "treatment;黑臭水体治理|black-odorous water remediation",
        "高级氧化|advanced oxidation;膜生物反应器|membrane bioreactor;低温SCR脱硝|low-temperature SCR;微生物修复|"
        "bioremediation",
        "COD去除率|COD removal rate|%|85|99|>;出水氨氮|effluent ammonia nitrogen|mg/L|0.5|5.0|<;VOCs去除效率|VOC "
        "removal efficiency|%|90|99|>;吨水处理成本|treatment cost per tonne|元~CNY|2|15|<",
        "化工园区|chemical parks;制药废水|pharmaceutical wastewater;焦化企业|coking plants;城市河道|urban rivers",
        "排放标准提高|discharge limits are getting stricter;处理成本高|treatment is expensive;难降解有机物去除难|"
        "refractory organics are hard to remove",
    )),
    "recycling": ("energy-environment", (
        "再生资源|Renewable Resources;循环科技|Recycling Technology",
        "废旧动力电池回收|spent EV battery recycling;建筑垃圾再生骨料|recycled construction aggregate;废塑料化学回收|"
        "chemical recycling of plastics;工业固废综合利用|industrial solid-waste utilisation;餐厨垃圾资源化|"
        "food-waste valorisation;废催化剂贵金属回收|precious metals from spent catalysts",
        "湿法冶金|hydrometallurgy;热解|pyrolysis;智能分选|intelligent sorting;厌氧发酵|anaerobic digestion",
        "金属回收率|metal recovery rate|%|90|99|>;处理能力|throughput|t/d|50|500|>;综合能耗|energy consumption|"
        "kWh/t|50|300|<;再生料纯度|recycled product purity|%|95.0|99.9|>",
        "新能源汽车回收网点|EV recycling networks;冶金渣处理|metallurgical slag;城市固废|municipal solid waste;"
        "再生塑料制品|recycled plastic products",
        "回收率低、二次污染|recovery is low and causes secondary pollution;分选精度不足|sorting is not accurate "
        "enough;再生产品附加值低|recycled products have low value",
    )),
    "robotics": ("advanced-manufacturing", (
        "机器人|Robotics;智能装备|Intelligent Equipment",
        "六轴焊接机器人|six-axis welding robot;协作机器人|collaborative robot;AGV移动机器人|AGV mobile robot;"
        "机器人视觉引导系统|robot vision guidance;精密减速器|precision reducer;打磨抛光机器人|grinding and "
        "polishing robot",
        "离线编程|offline programming;力控柔顺控制|force-compliant control;手眼标定|hand-eye calibration;"
        "路径规划|path planning",
        "重复定位精度|repeatability|mm|0.02|0.10|<;额定负载|rated payload|kg|5|210|>;节拍时间|cycle time|s|8|60|<;"
        "回差|backlash|arcmin|0.5|3.0|<",
        "汽车焊装车间|automotive body shops;工程机械结构件焊接|construction-machinery weldments;铸件打磨|casting "
        "grinding;电商仓储分拣|e-commerce order picking",
        "熟练焊工短缺|skilled welders are scarce;小批量多品种换产慢|changeovers are slow for high-mix low-volume "
        "work;核心部件依赖进口|core parts are imported",
    )),
    "machine-tools": ("advanced-manufacturing", (
        "精密机械|Precision Machinery;数控装备|CNC Equipment",
        "五轴联动加工中心|five-axis machining centre;数控系统|CNC controller;高速电主轴|high-speed motorised "
        "spindle;精密滚珠丝杠|precision ball screw;机床热误差补偿系统|thermal error compensation system;"
        "车铣复合加工中心|turn-mill centre",
        "误差建模与补偿|error modelling and compensation;切削参数优化|cutting parameter optimisation;在线测量|"
        "in-process measurement;颤振抑制|chatter suppression",
        "定位精度|positioning accuracy|μm|2|10|<;主轴转速|spindle speed|rpm|12000|40000|>;表面粗糙度Ra|surface "
        "roughness Ra|μm|0.2|1.6|<;平均无故障时间|MTBF|h|1500|5000|>",
        "航空结构件加工|aerospace structural parts;模具制造|die and mould making;发动机缸体加工|engine block "
        "machining;叶轮叶片加工|impeller and blade machining",
        "加工精度保持性差|machining accuracy drifts over time;高端机床依赖进口|high-end machines are imported;"
        "热变形影响精度|thermal deformation degrades accuracy",
    )),
    "aerospace": ("advanced-manufacturing", (
        "航空部件|Aviation Components;航空科技|Aerospace Technology",
        "航空发动机叶片|aero-engine blade;无人机飞控系统|UAV flight controller;复合材料机身构件|composite airframe "
        "part;航空液压作动器|aircraft hydraulic actuator;飞机装配工装|aircraft assembly jig;航空紧固件|aerospace "
        "fastener",
        "精密铸造|investment casting;自动铺丝|automated fibre placement;数字化装配|digital assembly;增材制造|"
        "additive manufacturing",
        "疲劳寿命|fatigue life|万次~×10^4 cycles|50|1000|>;减重比例|weight reduction|%|10|35|>;续航时间|endurance|"
        "h|1.0|12.0|>;装配效率提升|assembly efficiency gain|%|20|60|>",
        "通用航空|general aviation;支线客机配套|regional airliner supply chain;无人机巡检|drone inspection;"
        "航空维修|MRO services",
        "零件合格率低|the part acceptance rate is low;手工装配效率低|manual assembly is slow;结构重量偏大|the "
        "structure is too heavy",
    )),
    "rail-transit": ("advanced-manufacturing", (
        "轨道交通|Rail Transit;交通装备|Transport Equipment",
        "地铁牵引变流器|metro traction converter;轨道状态检测系统|track condition monitoring;轨道车辆轴承|"
        "rolling-stock bearing;列车网络控制系统|train control network;受电弓|pantograph;粉末冶金制动闸片|"
        "sintered brake pad",
        "振动信号分析|vibration signal analysis;摩擦材料配方设计|friction material formulation;故障预测与健康管理|"
        "prognostics and health management;焊接变形控制|welding distortion control",
        "摩擦系数稳定性|friction stability|%|85|98|>;检测速度|inspection speed|km/h|60|350|>;故障识别率|fault "
        "detection rate|%|90.0|99.5|>;使用寿命|service life|万公里~×10^4 km|60|240|>",
        "城市地铁|urban metro;重载货运铁路|heavy-haul freight;有轨电车|tramways;车辆段检修|depot maintenance",
        "关键部件寿命短|key components wear out early;人工巡检效率低|manual inspection is slow;进口备件周期长|"
        "imported spares take months to arrive",
    )),
    "smart-manufacturing": ("advanced-manufacturing", (
        "智能制造|Smart Manufacturing;自动化|Automation",
        "制造执行系统MES|manufacturing execution system;数字孪生工厂|digital-twin factory;柔性装配线|flexible "
        "assembly line;设备预测性维护系统|predictive maintenance system;工业互联网标识解析|industrial internet "
        "identifiers;智能立体仓库|automated warehouse",
        "生产排程优化|production scheduling optimisation;虚拟调试|virtual commissioning;边缘数据采集与分析|edge "
        "data acquisition and analytics;精益生产|lean production",
        "设备综合效率OEE|OEE|%|65|90|>;换型时间|changeover time|min|5|60|<;库存周转提升|inventory turnover gain|%|"
        "15|50|>;非计划停机减少|unplanned downtime reduction|%|20|60|>",
        "离散制造车间|discrete manufacturing shops;汽车零部件工厂|auto parts plants;装备总装|equipment final "
        "assembly;流程工业|process industries",
        "生产数据靠人工记录|production data is recorded by hand;设备突发故障多|equipment breaks down unexpectedly;"
        "订单交付周期长|order lead times are long",
    )),
    "new-energy-vehicles": ("advanced-manufacturing", (
        "汽车零部件|Auto Parts;新能源汽车|New Energy Vehicles",
        "电驱动总成|electric drive unit;整车热管理系统|vehicle thermal management system;电池包轻量化壳体|"
        "lightweight battery enclosure;车载充电机|on-board charger;自动驾驶域控制器|autonomous-driving domain "
        "controller;线控制动系统|brake-by-wire system",
        "一体化压铸|integrated die casting;热泵空调控制|heat-pump climate control;功能安全开发|functional safety "
        "engineering;电磁兼容设计|EMC design",
        "功率密度|power density|kW/kg|2.0|6.0|>;冬季续航衰减|winter range loss|%|10|35|<;充电效率|charging "
        "efficiency|%|92.0|97.0|>;壳体减重|enclosure weight saving|%|10|30|>",
        "纯电动乘用车|battery-electric cars;新能源物流车|electric delivery vans;寒区电动公交|cold-region electric "
        "buses;换电重卡|battery-swap heavy trucks",
        "冬季续航里程大幅下降|winter range drops sharply;零部件重量大|components are too heavy;控制器芯片依赖进口|"
        "controller chips are imported",
    )),
    "metal-materials": ("new-materials", (
        "特种合金|Special Alloys;金属材料|Metal Materials",
        "镍基高温合金|nickel-based superalloy;高强铝合金板材|high-strength aluminium sheet;钛合金精密管材|"
        "precision titanium tubing;镁合金压铸件|magnesium die casting;高端轴承钢|premium bearing steel;"
        "3D打印金属粉末|metal powder for 3D printing",
        "真空感应熔炼|vacuum induction melting;热等静压|hot isostatic pressing;控轧控冷|controlled rolling and "
        "cooling;气雾化制粉|gas atomisation",
        "抗拉强度|tensile strength|MPa|500|1800|>;延伸率|elongation|%|8|25|>;氧含量|oxygen content|ppm|100|800|<;"
        "平均晶粒尺寸|mean grain size|μm|5|50|<",
        "航空发动机|aero engines;汽车轻量化|automotive lightweighting;海洋工程|offshore engineering;高端装备关键部件|"
        "critical equipment parts",
        "材料性能批次稳定性差|properties vary from batch to batch;高端牌号依赖进口|premium grades are imported;"
        "加工成形开裂|parts crack during forming",
    )),
    "polymers": ("new-materials", (
        "高分子材料|Polymer Materials;塑胶|Plastics",
        "特种工程塑料|special engineering plastic;可降解聚乳酸|biodegradable PLA;高性能密封橡胶|high-performance "
        "sealing rubber;水性聚氨酯涂料|waterborne polyurethane coating;锂电池隔膜|lithium battery separator;"
        "阻燃改性材料|flame-retardant compound",
        "反应挤出|reactive extrusion;原位聚合|in-situ polymerisation;双向拉伸|biaxial stretching;动态硫化|dynamic "
        "vulcanisation",
        "热变形温度|heat deflection temperature|°C|120|280|>;拉伸强度|tensile strength|MPa|40|150|>;极限氧指数|"
        "limiting oxygen index|%|28|40|>;VOC含量|VOC content|g/L|20|120|<",
        "汽车内外饰|automotive trim;电子电器外壳|electronics housings;食品包装|food packaging;轨道车辆内饰|rail "
        "vehicle interiors",
        "材料耐热性不足|heat resistance is insufficient;环保法规趋严|environmental rules are tightening;"
        "改性配方依赖外方|modified formulations are licensed from abroad",
    )),
    "ceramics": ("new-materials", (
        "新材料|New Materials;陶瓷|Advanced Ceramics",
        "氮化硅陶瓷轴承球|silicon nitride bearing ball;氧化铝陶瓷基板|alumina ceramic substrate;特种光学玻璃|"
        "special optical glass;高性能耐火材料|high-performance refractory;高纯石英砂|high-purity quartz sand;"
        "超高功率石墨电极|UHP graphite electrode",
        "流延成型|tape casting;气压烧结|gas-pressure sintering;凝胶注模|gel casting;熔融提纯|fusion purification",
        "断裂韧性|fracture toughness|MPa·m½|5.0|9.0|>;热导率|thermal conductivity|W/(m·K)|20|180|>;致密度|relative "
        "density|%|97.0|99.9|>;最高使用温度|max service temperature|°C|1200|1800|>",
        "功率电子封装|power electronics packaging;钢铁冶炼炉衬|steel furnace linings;精密轴承|precision bearings;"
        "光伏坩埚|PV crucibles",
        "烧结开裂、成品率低|sintering cracks keep yields low;高纯原料依赖进口|high-purity feedstock is imported;"
        "使用寿命短|service life is short",
    )),
    "composites": ("new-materials", (
        "复合材料|Composites;碳纤维|Carbon Fibre",
        "碳纤维增强树脂基复合材料|carbon fibre reinforced polymer;玄武岩纤维制品|basalt fibre product;"
        "热塑性复合材料板材|thermoplastic composite sheet;蜂窝夹层结构|honeycomb sandwich panel;复合材料压力容器|"
        "composite pressure vessel;玻璃钢管道|GRP pipe",
        "模压成型|compression moulding;树脂传递模塑|resin transfer moulding;拉挤成型|pultrusion;热压罐固化|"
        "autoclave curing",
        "层间剪切强度|interlaminar shear strength|MPa|50|110|>;孔隙率|void content|%|0.5|2.0|<;成型周期|moulding "
        "cycle|min|3|60|<;比强度提升|specific strength gain|%|20|80|>",
        "风电叶片|wind blades;无人机结构|UAV structures;储氢气瓶|hydrogen cylinders;建筑加固|structural "
        "strengthening",
        "成型周期长、成本高|moulding is slow and costly;复合材料回收难|composites are hard to recycle;"
        "界面结合强度不足|fibre–matrix bonding is weak",
    )),
    "nanomaterials": ("new-materials", (
        "纳米科技|Nanotechnology;新材料|New Materials",
        "石墨烯导电浆料|graphene conductive paste;碳纳米管|carbon nanotubes;纳米氧化锌|nano zinc oxide;"
        "气凝胶隔热毡|aerogel insulation blanket;量子点发光材料|quantum-dot emitter;纳米银线透明导电膜|"
        "silver-nanowire transparent film",
        "化学气相沉积|chemical vapour deposition;液相剥离|liquid-phase exfoliation;溶胶-凝胶法|sol-gel method;"
        "超临界干燥|supercritical drying",
        "比表面积|specific surface area|m²/g|200|1500|>;方阻|sheet resistance|Ω/sq|10|100|<;导热系数|thermal "
        "conductivity|W/(m·K)|0.015|0.030|<;分散稳定期|dispersion stability|个月~months|3|12|>",
        "锂电池导电剂|battery conductive additives;管道保温|pipeline insulation;柔性显示|flexible displays;"
        "防腐涂料|anticorrosion coatings",
        "纳米材料分散性差|nanomaterials disperse poorly;量产一致性差|mass production is inconsistent;"
        "制备成本高|production is expensive",
    )),
    "fine-chemicals": ("new-materials", (
        "化工|Chemical;精细化工|Fine Chemicals",
        "电子级湿化学品|electronic-grade wet chemicals;农药中间体|agrochemical intermediate;水处理剂|water "
        "treatment agent;特种表面活性剂|specialty surfactant;环保型增塑剂|eco-friendly plasticiser;医药中间体|"
        "pharmaceutical intermediate",
        "微通道反应|microchannel reaction;精馏提纯|rectification;催化加氢|catalytic hydrogenation;结晶控制|"
        "crystallisation control",
        "产品纯度|product purity|%|99.000|99.999|>;金属离子含量|metal ion content|ppb|1|100|<;单程转化率|"
        "single-pass conversion|%|70|98|>;三废排放减少|waste reduction|%|20|70|>",
        "半导体清洗|semiconductor cleaning;农药制剂|pesticide formulation;循环冷却水|cooling-water treatment;"
        "日化产品|household chemicals",
        "间歇工艺安全风险高|batch processes carry safety risks;产品纯度达不到电子级|purity falls short of "
        "electronic grade;三废处理压力大|waste treatment is a heavy burden",
    )),
    "seed-breeding": ("agriculture", (
        "种业|Seed;农业科技|Agricultural Technology",
        "耐密抗倒玉米品种|lodging-resistant maize variety;优质粳稻品种|high-quality japonica rice;高油大豆品种|"
        "high-oil soybean variety;设施蔬菜种苗|greenhouse vegetable seedlings;分子标记辅助育种平台|"
        "marker-assisted breeding platform;马铃薯脱毒种薯|virus-free seed potato",
        "全基因组选择|genomic selection;单倍体育种|doubled-haploid breeding;组织培养|tissue culture;基因型鉴定|"
        "genotyping",
        "亩产|yield per mu|公斤~kg|600|900|>;抗倒伏率|lodging resistance|%|85|98|>;育种周期|breeding cycle|年~years|"
        "3|8|<;发芽率|germination rate|%|90|99|>",
        "东北黑土区|the Northeast black-soil region;盐碱地改良|saline-alkali land;设施农业基地|protected agriculture "
        "bases;种子企业|seed companies",
        "品种同质化严重|varieties are too similar;育种周期长|breeding cycles are long;抗逆性不足|stress tolerance is "
        "weak",
    )),
    "agri-machinery": ("agriculture", (
        "农业机械|Agricultural Machinery;农机装备|Farm Equipment",
        "玉米籽粒收获机|maize grain harvester;免耕播种机|no-till planter;植保无人机|crop-protection drone;秸秆打捆机|"
        "straw baler;水稻插秧机|rice transplanter;农机自动导航系统|auto-steering system",
        "北斗导航|BeiDou navigation;变量施肥控制|variable-rate fertilisation;脱粒清选优化|threshing and cleaning "
        "optimisation;液压传动|hydraulic transmission",
        "籽粒破碎率|grain breakage rate|%|1.0|5.0|<;作业效率|work rate|亩/小时~mu/h|10|60|>;直线度误差|line "
        "deviation|cm|2.5|10.0|<;播种合格率|seeding accuracy|%|90|98|>",
        "保护性耕作|conservation tillage;秸秆综合利用|straw utilisation;丘陵山区作业|hilly-area farming;大型农场|"
        "large farms",
        "收获损失大|harvest losses are high;秸秆处理难|straw is hard to handle;驾驶员劳动强度大|operators work "
        "under heavy strain",
    )),
    "food-processing": ("agriculture", (
        "食品|Foods;食品科技|Food Technology",
        "植物基蛋白饮品|plant-based protein drink;速冻调理食品|quick-frozen prepared food;功能性益生菌|functional "
        "probiotics;粮食烘干设备|grain dryer;低温肉制品|low-temperature meat products;杂粮主食化产品|coarse-grain "
        "staple food",
        "超高压杀菌|high-pressure pasteurisation;低温真空干燥|low-temperature vacuum drying;酶法改性|enzymatic "
        "modification;无菌灌装|aseptic filling",
        "保质期|shelf life|天~days|90|365|>;营养保留率|nutrient retention|%|80|98|>;菌落总数|total plate count|CFU/g|"
        "100|10000|<;加工能耗降低|energy reduction|%|10|40|>",
        "预制菜|ready meals;乳制品|dairy products;粮食储备|grain reserves;休闲食品|snack foods",
        "产品保质期短|shelf life is short;加工过程营养损失|nutrients are lost during processing;同质化竞争激烈|"
        "me-too competition is intense",
    )),
    "smart-agriculture": ("agriculture", (
        "农业科技|Agricultural Technology;智慧农业|Smart Agriculture",
        "温室环境智能控制系统|smart greenhouse controller;土壤墒情监测站|soil moisture station;水肥一体化系统|"
        "fertigation system;作物长势遥感监测|crop remote sensing;农产品溯源平台|farm-produce traceability "
        "platform;病虫害智能识别|pest and disease recognition",
        "多光谱遥感|multispectral remote sensing;精准灌溉决策|precision irrigation scheduling;图像识别|image "
        "recognition;物联网数据采集|IoT data collection",
        "节水率|water saving|%|20|50|>;识别准确率|recognition accuracy|%|85|98|>;化肥减量|fertiliser reduction|%|"
        "10|30|>;监测面积|monitored area|万亩~×10^4 mu|1|50|>",
        "日光温室|solar greenhouses;水稻种植合作社|rice cooperatives;果园管理|orchard management;家庭农场|family "
        "farms",
        "凭经验管理、用水用肥粗放|management relies on experience and wastes water and fertiliser;病虫害发现滞后|"
        "pests are detected late;农产品质量难追溯|produce quality is hard to trace",
    )),
    "animal-husbandry": ("agriculture", (
        "农牧|Livestock;动物保健|Animal Health",
        "猪用基因工程疫苗|genetically engineered swine vaccine;奶牛精准饲喂系统|precision dairy feeding system;"
        "畜禽粪污资源化设备|manure valorisation equipment;兽用中药制剂|veterinary herbal preparation;"
        "智能环控养殖舍|climate-controlled barn;动物疫病快速检测试剂|rapid animal disease test",
        "微生物发酵饲料|fermented feed;反刍动物营养调控|ruminant nutrition regulation;环境精准调控|precision "
        "climate control;抗体快速检测|rapid antibody detection",
        "料肉比|feed conversion ratio||2.20|2.80|<;免疫保护率|protection rate|%|85|98|>;产奶量提升|milk yield gain|%|"
        "5|15|>;舍内氨气浓度|barn ammonia level|ppm|5|20|<",
        "规模化猪场|large pig farms;奶牛牧场|dairy farms;肉鸡养殖|broiler production;肉牛育肥|beef cattle feedlots",
        "疫病防控压力大|disease control is under heavy pressure;饲料成本高|feed costs are high;粪污处理难|manure "
        "is hard to handle",
    )),
    "marine-engineering": ("marine", (
        "海洋工程|Marine Engineering;海工装备|Offshore Equipment",
        "海上风电安装平台|offshore wind installation platform;水下机器人ROV|underwater ROV;海洋观测浮标|ocean "
        "observation buoy;海水淡化装置|seawater desalination unit;深海连接器|subsea connector;海洋防腐涂层|marine "
        "anticorrosion coating",
        "阴极保护|cathodic protection;水下声学定位|underwater acoustic positioning;反渗透膜组件优化|RO membrane "
        "optimisation;结构疲劳分析|structural fatigue analysis",
        "工作水深|working depth|m|100|3000|>;产水能耗|water production energy|kWh/m³|2.5|4.5|<;防腐寿命|corrosion "
        "protection life|年~years|10|25|>;定位误差|positioning error|m|0.5|5.0|<",
        "海上风电场|offshore wind farms;海洋牧场|marine ranching;海岛供水|island water supply;港口码头|ports and "
        "terminals",
        "海洋环境腐蚀严重|marine corrosion is severe;深海作业装备依赖进口|deep-sea equipment is imported;"
        "运维窗口期短|maintenance windows are short",
    )),
    "marine-biology": ("marine", (
        "海洋生物|Marine Biotech;水产|Aquatic Products",
        "海参苗种繁育|sea cucumber seed breeding;海洋胶原蛋白肽|marine collagen peptide;海藻多糖|seaweed "
        "polysaccharide;水产疫苗|aquaculture vaccine;鱼油精制|fish oil refining;海洋微生物酶|marine microbial enzyme",
        "酶解|enzymatic hydrolysis;分子蒸馏|molecular distillation;循环水养殖|recirculating aquaculture;膜分离|"
        "membrane separation",
        "苗种成活率|seedling survival rate|%|60|95|>;多肽含量|peptide content|%|80|95|>;EPA+DHA含量|EPA+DHA "
        "content|%|50|90|>;平均分子量|mean molecular weight|Da|500|3000|<",
        "功能食品|functional foods;海水养殖|mariculture;化妆品原料|cosmetic ingredients;水产饲料|aquafeed",
        "苗种成活率低|seedling survival is low;加工副产物利用率低|processing by-products are underused;"
        "产品附加值低|products have little added value",
    )),
    "shipbuilding": ("marine", (
        "船舶|Shipbuilding;船舶配套|Marine Equipment",
        "LNG燃料供气系统|LNG fuel gas supply system;船舶压载水处理系统|ballast water treatment system;"
        "智能机舱监控系统|smart engine-room monitoring;船用甲板机械|deck machinery;船体分段智能焊接|intelligent "
        "hull block welding;船舶电力推进系统|marine electric propulsion",
        "数值水池仿真|CFD hull simulation;激光-电弧复合焊|laser-arc hybrid welding;振动噪声控制|vibration and "
        "noise control;模块化建造|modular construction",
        "燃油消耗降低|fuel consumption reduction|%|5|20|>;处理能力|treatment capacity|m³/h|250|3000|>;焊接变形|"
        "welding distortion|mm|1.0|5.0|<;舱室噪声|cabin noise|dB(A)|55|70|<",
        "内河航运|inland shipping;远洋散货船|ocean bulk carriers;渔船更新改造|fishing vessel renewal;公务执法船|"
        "government patrol vessels",
        "排放法规趋严|emission rules are tightening;建造周期长|build times are long;配套设备国产化率低|little "
        "onboard equipment is made domestically",
    )),
    "construction": ("other-industries", (
        "建设工程|Construction Engineering;建筑科技|Building Technology",
        "装配式建筑预制构件|prefabricated building component;超低能耗外墙保温系统|ultra-low-energy wall "
        "insulation;BIM协同设计平台|BIM collaboration platform;桥梁健康监测系统|bridge health monitoring;"
        "高性能混凝土|high-performance concrete;建筑固废再生砖|brick from construction waste",
        "智能建造|intelligent construction;冬期施工养护|winter curing;结构健康监测|structural health monitoring;"
        "3D打印建造|3D-printed construction",
        "抗压强度|compressive strength|MPa|40|120|>;传热系数|heat transfer coefficient|W/(m²·K)|0.10|0.40|<;"
        "施工工期缩短|schedule reduction|%|15|40|>;预制率|prefabrication rate|%|30|70|>",
        "保障性住房|affordable housing;老旧小区改造|old residential renewal;城市桥梁|urban bridges;寒地建筑|"
        "cold-climate buildings",
        "冬季施工期短|the building season is short;现场湿作业多、质量不稳定|wet work on site makes quality "
        "uneven;建筑能耗高|buildings use too much energy",
    )),
    "mining-metallurgy": ("other-industries", (
        "矿业|Mining;冶金|Metallurgy",
        "智能选矿控制系统|smart mineral processing control;高效浮选药剂|high-efficiency flotation reagent;"
        "冶金炉窑智能控制|smart furnace control;尾矿综合利用|tailings utilisation;矿山无人驾驶运输|autonomous "
        "mine haulage;菱镁矿精深加工|magnesite deep processing",
        "磨矿分级优化|grinding and classification optimisation;低品位矿浸出|low-grade ore leaching;高炉数字孪生|"
        "blast-furnace digital twin;煅烧工艺优化|calcination optimisation",
        "精矿品位|concentrate grade|%|60.0|70.0|>;选矿回收率|mineral recovery rate|%|80|95|>;吨矿能耗|energy per "
        "tonne|kWh/t|10|40|<;氧化镁纯度|MgO purity|%|95.0|99.0|>",
        "铁矿选厂|iron ore concentrators;菱镁产业|the magnesia industry;有色金属冶炼|non-ferrous smelting;"
        "露天矿山|open-pit mines",
        "矿石品位下降|ore grades are falling;能耗高、排放大|energy use and emissions are high;尾矿堆存占地|tailings "
        "occupy land",
    )),
    "safety-emergency": ("other-industries", (
        "安全技术|Safety Technology;应急装备|Emergency Equipment",
        "危化品泄漏监测预警系统|hazardous-chemical leak warning system;矿用本安型传感器|intrinsically safe mine "
        "sensor;消防救援机器人|fire-fighting robot;城市燃气管网监测|urban gas network monitoring;应急指挥调度平台|"
        "emergency command platform;个体防护装备|personal protective equipment",
        "激光光谱气体检测|laser gas spectroscopy;多源数据融合预警|multi-source data fusion warning;风险分级管控|"
        "risk-graded control;视频智能分析|intelligent video analytics",
        "报警响应时间|alarm response time|s|1|30|<;检测下限|detection limit|ppm|1|50|<;防爆场景覆盖率|"
        "explosion-proof coverage|%|90|100|>;连续作业时间|runtime|h|2.0|8.0|>",
        "化工园区安全监管|chemical park supervision;城市燃气|urban gas supply;煤矿井下|underground coal mines;"
        "高层建筑消防|high-rise fire safety",
        "隐患发现滞后|hazards are detected too late;人工巡检风险大|manual patrols are dangerous;多部门信息不通|"
        "agencies do not share information",
    )),
    "digital-culture": ("other-industries", (
        "文化传媒|Culture and Media;数字科技|Digital Technology",
        "文物数字化采集系统|heritage digitisation system;沉浸式VR展陈|immersive VR exhibition;数字人直播平台|"
        "digital-human livestreaming;工业旅游AR导览|industrial-tourism AR guide;动画渲染引擎|animation rendering "
        "engine;非遗数字资源库|intangible heritage database",
        "三维扫描重建|3D scan reconstruction;动作捕捉|motion capture;实时渲染|real-time rendering;空间计算|spatial "
        "computing",
        "建模精度|model accuracy|mm|0.05|1.00|<;渲染帧率|rendering frame rate|fps|60|120|>;同时在线人数|concurrent "
        "visitors|人~visitors|1000|50000|>;制作周期缩短|production time saving|%|30|70|>",
        "博物馆|museums;工业遗产旅游|industrial heritage tourism;文旅街区|cultural tourism districts;在线教育|online "
        "education",
        "文物展示形式单一|exhibits are presented monotonously;内容制作成本高|content production is expensive;"
        "游客互动体验不足|visitors have little to interact with",
    )),
    "modern-services": ("other-industries", (
        "科技服务|Technology Services;供应链管理|Supply Chain Management",
        "科技成果评价系统|technology assessment system;智慧物流调度平台|smart logistics dispatch;检验检测数字化平台|"
        "digital testing-lab platform;知识产权运营平台|IP operations platform;冷链物流监控系统|cold-chain "
        "monitoring;供应链金融风控模型|supply-chain finance risk model",
        "运筹优化|operations research optimisation;区块链存证|blockchain notarisation;信用评价建模|credit scoring;"
        "温湿度实时监测|real-time temperature monitoring",
        "配送时效提升|delivery time gain|%|10|40|>;车辆空驶率|empty-run rate|%|5|25|<;报告出具周期|report "
        "turnaround|天~days|1|7|<;坏账率|bad-debt rate|%|0.5|3.0|<",
        "城市配送|urban distribution;检验检测机构|testing laboratories;技术转移机构|technology transfer offices;"
        "中小微企业融资|SME financing",
        "服务流程线下、效率低|services are paper-based and slow;供需信息不对称|information is asymmetric;"
        "冷链断链风险|the cold chain may break",
    )),
}

# Shenyang's requirement mix leans on equipment, materials, energy and IT (DESIGN.md §1).
CLUSTER_WEIGHTS = {
    "advanced-manufacturing": 0.25, "new-materials": 0.17, "energy-environment": 0.16, "information": 0.15,
    "biomedicine": 0.10, "agriculture": 0.08, "other-industries": 0.06, "marine": 0.03,
}
CLUSTER_ORDER = list(CLUSTER_WEIGHTS)


@dataclass(frozen=True)
class Term:
    zh: str
    en: str

    def __call__(self, lang: str) -> str:
        return self.zh if lang == ZH else self.en


@dataclass(frozen=True)
class Indicator:
    name: Term
    unit: Term
    lo: float
    hi: float
    higher_better: bool
    decimals: int

    def fmt(self, value: float) -> str:
        if self.decimals:
            return f"{value:.{self.decimals}f}"
        step = 10 ** max(0, len(str(int(abs(self.hi)))) - 2)
        return str(int(round(value / step) * step))

    def with_unit(self, value: float, lang: str) -> str:
        unit = self.unit(lang)
        if lang == ZH or not unit or unit in ("%", "x") or unit.startswith("°"):
            return f"{self.fmt(value)}{unit}"
        return f"{self.fmt(value)} {unit}"


@dataclass(frozen=True)
class FieldVocab:
    code: str
    cluster: str
    industries: tuple[Term, ...]
    techs: tuple[Term, ...]
    procs: tuple[Term, ...]
    inds: tuple[Indicator, ...]
    apps: tuple[Term, ...]
    probs: tuple[Term, ...]


def _terms(raw: str) -> tuple[Term, ...]:
    return tuple(Term(*item.split("|")) for item in raw.split(";"))


def _indicators(raw: str) -> tuple[Indicator, ...]:
    out = []
    for item in raw.split(";"):
        zh, en, unit, lo, hi, direction = item.split("|")
        unit_zh, _, unit_en = unit.partition("~")
        decimals = max(len(lo.partition(".")[2]), len(hi.partition(".")[2]))
        out.append(Indicator(Term(zh, en), Term(unit_zh, unit_en or unit_zh), float(lo), float(hi),
                             direction == ">", decimals))
    return tuple(out)


VOCAB: dict[str, FieldVocab] = {
    code: FieldVocab(code, cluster, _terms(ind), _terms(tech), _terms(proc), _indicators(inds), _terms(app),
                     _terms(prob))
    for code, (cluster, (ind, tech, proc, inds, app, prob)) in _RAW_VOCAB.items()
}
FIELD_CODES = list(VOCAB)

# --- people, places, organisations ---------------------------------------------------------------

REGIONS = {  # code: (中文, admin division code, weight for enterprises)
    "heping": ("和平区", "210102", 7), "shenhe": ("沈河区", "210103", 7), "dadong": ("大东区", "210104", 9),
    "huanggu": ("皇姑区", "210105", 8), "tiexi": ("铁西区", "210106", 16), "sujiatun": ("苏家屯区", "210111", 6),
    "hunnan": ("浑南区", "210112", 16), "shenbei": ("沈北新区", "210113", 10), "yuhong": ("于洪区", "210114", 8),
    "liaozhong": ("辽中区", "210115", 3), "xinmin": ("新民市", "210181", 3), "kangping": ("康平县", "210123", 1),
    "faku": ("法库县", "210124", 2), "other": ("省内其他城市", "210000", 4),
}
OTHER_CITIES = [("大连", "Dalian", "210200"), ("鞍山", "Anshan", "210300"), ("抚顺", "Fushun", "210400"),
                ("营口", "Yingkou", "210800"), ("铁岭", "Tieling", "211200"), ("本溪", "Benxi", "210500")]
ROADS = ["创新路", "世纪路", "智慧大街", "开发大路", "建设大路", "兴华街", "北海街", "长青街", "望花街",
         "黄河大街", "崇山路", "道义大街", "蒲河路", "滨河路", "文萃路", "南京街"]
BRAND = ("华Hua 盛Sheng 恒Heng 瑞Rui 博Bo 创Chuang 远Yuan 泰Tai 达Da 鑫Xin 宏Hong 联Lian 金Jin 德De 航Hang "
         "辰Chen 嘉Jia 力Li 诚Cheng 信Xin 安An 通Tong 正Zheng 和He 天Tian 宇Yu 晟Sheng 昊Hao 凯Kai 峰Feng 铭Ming "
         "睿Rui 拓Tuo 锐Rui 智Zhi 奥Ao 蓝Lan 润Run 益Yi 丰Feng").split()
SURNAMES = ("王Wang 李Li 张Zhang 刘Liu 陈Chen 杨Yang 赵Zhao 黄Huang 周Zhou 吴Wu 徐Xu 孙Sun 马Ma 朱Zhu 胡Hu "
            "郭Guo 何He 高Gao 林Lin 罗Luo 郑Zheng 梁Liang 谢Xie 宋Song 唐Tang 韩Han 冯Feng 于Yu 董Dong 曹Cao").split()
GIVEN = ("伟Wei 芳Fang 敏Min 静Jing 强Qiang 磊Lei 军Jun 洋Yang 勇Yong 艳Yan 杰Jie 涛Tao 明Ming 超Chao 霞Xia "
         "平Ping 刚Gang 丽Li 建Jian 国Guo 海Hai 鹏Peng 宇Yu 晨Chen 博Bo 文Wen 华Hua 志Zhi 颖Ying 欣Xin").split()
UNI_PREFIX = ("浑河Hunhe 辽北Liaobei 北陵Beiling 东陵Dongling 辽滨Liaobin 沈水Shenshui 辽河Liaohe 棋盘山Qipanshan "
              "蒲河Puhe 辉山Huishan 浑南Hunnan 辽沈Liaoshen").split()
UNI_TYPES = [("理工大学", "University of Technology"), ("工程技术大学", "University of Engineering and Technology"),
             ("科技大学", "University of Science and Technology"), ("农林大学", "Agricultural and Forestry University"),
             ("医科大学", "Medical University"), ("化工大学", "University of Chemical Technology"),
             ("交通学院", "Jiaotong College"), ("信息工程学院", "College of Information Engineering"),
             ("师范大学", "Normal University"), ("海洋大学", "Ocean University")]
INSTITUTE_PREFIX = [("辽宁省", "Liaoning"), ("沈阳市", "Shenyang"), ("辽沈", "Liaoshen"), ("沈抚", "Shenfu"),
                    ("浑南", "Hunnan"), ("东北", "Northeast")]
INSTITUTE_DOMAINS = {
    "biomedicine": [("生物医药", "Biomedical"), ("医疗器械", "Medical Device")],
    "information": [("人工智能", "Artificial Intelligence"), ("集成电路", "Integrated Circuit"),
                    ("工业软件", "Industrial Software")],
    "energy-environment": [("新能源", "New Energy"), ("生态环境", "Eco-environmental"), ("氢能", "Hydrogen Energy")],
    "advanced-manufacturing": [("智能制造", "Intelligent Manufacturing"), ("机器人", "Robotics"),
                               ("航空装备", "Aviation Equipment")],
    "new-materials": [("先进材料", "Advanced Materials"), ("金属材料", "Metallic Materials"),
                      ("精细化工", "Fine Chemicals")],
    "agriculture": [("现代农业", "Modern Agriculture"), ("农机装备", "Agricultural Machinery"),
                    ("食品工业", "Food Industry")],
    "marine": [("海洋装备", "Marine Equipment"), ("海洋生物", "Marine Biology")],
    "other-industries": [("建筑科学", "Building Science"), ("安全工程", "Safety Engineering"),
                         ("冶金工程", "Metallurgical Engineering")],
}
DEPARTMENTS = [("材料科学与工程学院", "School of Materials Science and Engineering"),
               ("机械工程学院", "School of Mechanical Engineering"), ("信息科学与工程学院", "School of Information "
               "Science and Engineering"), ("化学工程学院", "School of Chemical Engineering"),
               ("能源与环境学院", "School of Energy and Environment"), ("生命科学学院", "School of Life Sciences"),
               ("重点实验室", "Key Laboratory"), ("工程技术研究中心", "Engineering Research Centre")]
TITLES = [("教授", "Prof."), ("研究员", "Prof."), ("副教授", "Assoc. Prof."), ("高级工程师", "Senior Engineer"),
          ("副研究员", "Assoc. Prof.")]
MODE_NAMES = {
    "development": Term("合作开发", "joint development"), "transfer": Term("技术转让", "technology transfer"),
    "licence": Term("专利许可", "licensing"), "consulting": Term("技术咨询", "technical consulting"),
    "service": Term("技术服务", "technical services"), "equity": Term("作价入股", "equity participation"),
}
REQ_MODE_WEIGHTS = {"development": 50, "transfer": 20, "consulting": 10, "service": 10, "licence": 10}
ACH_MODE_WEIGHTS = {"transfer": 30, "development": 25, "licence": 20, "equity": 10, "service": 10, "consulting": 5}
TRL_STAGE = {3: Term("实验室原理验证", "proof of concept in the laboratory"),
             4: Term("实验室样品验证", "laboratory validation"), 5: Term("小试", "bench-scale trials"),
             6: Term("中试", "pilot-scale trials"), 7: Term("工程样机试运行", "prototype field trials"),
             8: Term("小批量试生产", "small-batch production"), 9: Term("规模化应用", "full-scale deployment")}

REQ_BATCH = "2026年第一批需求征集"
ACH_BATCH = "2026年高校院所科技成果征集"
DISTRICT_BATCH = "2025年区县企业技术需求摸底"
BASE_DATE = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)

REJECT_REASONS = {
    ZH: ["技术指标描述不具体，请补充可量化的性能指标。", "需求内容与企业主营业务关联不清，请补充背景说明。",
         "联系人信息不完整，请补充联系电话。", "成果知识产权权属证明材料缺失。",
         "内容与已发布条目重复，请合并后再提交。"],
    EN: ["Technical indicators are vague; please give measurable targets.",
         "The link to the organisation's business is unclear; please add background.",
         "Contact details are incomplete; please add a phone number.",
         "Proof of IP ownership is missing.", "Duplicates an already published listing; please merge them."],
}
EVAL_FAIL_REASON = {ZH: "未通过专家评价：技术成熟度与市场前景论证不足。",
                    EN: "Did not pass expert evaluation: maturity and market case are not yet convincing."}


# --- output records ------------------------------------------------------------------------------


@dataclass
class OrgSpec:
    key: str  # the credit code: the idempotency key
    kind: str
    name_zh: str
    name_en: str
    region: str
    address: str = ""
    website: str = ""
    description: str = ""
    cluster: str = ""  # primary cluster (enterprises, institutes)
    primary_field: str = ""
    slug: str = ""


@dataclass
class ListingSpec:
    ref: str
    kind: str  # "requirement" | "achievement"
    org_key: str
    field_codes: list[str]
    values: dict  # model field values (everything but organisation, fields, search_text, users)
    collected_by_bureau: bool = False
    created_by: str = ""  # a demo login's email, or ""
    topic: dict = field(default_factory=dict)  # what the text was built from (tests, benchmarks)


@dataclass
class DemoData:
    scale: float
    seed: int
    bureau: OrgSpec
    orgs: list[OrgSpec]
    requirements: list[ListingSpec]
    achievements: list[ListingSpec]
    pairs: list[tuple[str, str, bool]]
    demo_enterprise: str
    demo_university: str
    demo_investor: str
    agency: str
    broker_fields: dict[str, list[str]]  # login email -> field codes
    broker_refs: list[str]  # listings assigned to broker@
    expert_refs: list[str]  # screened achievements evaluated by expert@ (other organisations)
    expert_submitted: list[str]  # of those, the ones the expert already scored


# --- small helpers ------------------------------------------------------------------------------


def _weighted(rng: random.Random, weights: dict) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _person(rng: random.Random) -> Term:
    surname, given = rng.choice(SURNAMES), rng.sample(GIVEN, rng.choice((1, 2, 2)))
    given_en = "".join(g[1:] for g in given).capitalize()
    return Term(surname[0] + "".join(g[0] for g in given), f"{surname[1:]} {given_en}")


def credit_code(prefix: str, division: str, body: str) -> str:
    first17 = f"{prefix}{division}{body}"
    return first17 + credit_code_check_digit(first17)


def patent_number(rng: random.Random, *, granted: bool) -> str:
    year = rng.randint(2017, 2022) if granted else rng.randint(2023, 2025)
    kind = rng.choice((1, 1, 1, 2))
    digits = f"{year}{kind}{rng.randint(0, 1999999):07d}"
    check = sum(int(d) * w for d, w in zip(digits, (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5), strict=True)) % 11
    number = f"{year} {kind} {digits[5:]}.{'X' if check == 10 else check}"
    return f"ZL{number}" if granted else number


def _pick(rng: random.Random, items, k: int):
    return rng.sample(list(items), min(k, len(items)))


def _round_robin_fields() -> list[str]:
    """All fields, one cluster after another, so that the first eight cover every cluster."""
    by_cluster = {c: [f for f in FIELD_CODES if VOCAB[f].cluster == c] for c in CLUSTER_ORDER}
    out: list[str] = []
    while any(by_cluster.values()):
        for c in CLUSTER_ORDER:
            if by_cluster[c]:
                out.append(by_cluster[c].pop(0))
    return out


def _weighted_field(rng: random.Random) -> str:
    cluster = _weighted(rng, CLUSTER_WEIGHTS)
    return rng.choice([f for f in FIELD_CODES if VOCAB[f].cluster == cluster])


def scaled(n: int, scale: float, minimum: int) -> int:
    return max(minimum, round(n * scale))


# --- organisations ------------------------------------------------------------------------------

SUFFIXES = [(("有限公司", "Co., Ltd."), 60), (("股份有限公司", "Co., Ltd."), 20),
            (("集团有限公司", "Group Co., Ltd."), 5),
            (("科技有限公司", "Technology Co., Ltd."), 15)]
ETYPES = [Term("国家高新技术企业", "a national high-tech enterprise"),
          Term("省级专精特新“小巨人”企业", "a provincial specialised 'little giant' SME"),
          Term("民营科技型企业", "a private technology-based company"),
          Term("老工业基地骨干国有企业", "a state-owned backbone manufacturer"),
          Term("中外合资企业", "a Sino-foreign joint venture")]


def _code_body(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(CREDIT_CODE_ALPHABET) for _ in range(n))


def _unique_code(rng: random.Random, used: set[str], prefix: str, division: str, body_prefix: str = "") -> str:
    while True:
        code = credit_code(prefix, division, body_prefix + _code_body(rng, 9 - len(body_prefix)))
        if code not in used:
            used.add(code)
            return code


def _region_weights() -> dict[str, int]:
    return {k: w for k, (_, _, w) in REGIONS.items()}


def _place(rng: random.Random, region: str) -> tuple[str, str, str, str]:
    """(city zh, city en, division code, address)"""
    number = rng.randint(1, 399)
    if region == "other":
        city_zh, city_en, division = rng.choice(OTHER_CITIES)
        return city_zh, city_en, division, f"{city_zh}市高新区{rng.choice(ROADS)}{number}号"
    district, division, _ = REGIONS[region]
    return "沈阳", "Shenyang", division, f"沈阳市{district}{rng.choice(ROADS)}{number}号"


def _enterprises(rng: random.Random, n: int, used_codes: set[str]) -> list[OrgSpec]:
    robin = _round_robin_fields()
    names: set[str] = set()
    out = []
    for i in range(n):
        fcode = robin[i] if i < len(robin) else _weighted_field(rng)
        vocab = VOCAB[fcode]
        region = _weighted(rng, _region_weights())
        city_zh, city_en, division, address = _place(rng, region)
        industry = rng.choice(vocab.industries)
        while True:
            b1, b2 = rng.sample(BRAND, 2)
            (s_zh, s_en), = rng.choices([s for s, _ in SUFFIXES], weights=[w for _, w in SUFFIXES])
            if industry.zh.endswith("科技") and s_zh.startswith("科技"):
                s_zh, s_en = "有限公司", "Co., Ltd."
            name_zh = f"{city_zh}{b1[0]}{b2[0]}{industry.zh}{s_zh}"
            if name_zh not in names:
                names.add(name_zh)
                break
        brand_en = b1[1:] + b2[1:].lower()
        year = rng.randint(1988, 2021)
        t1, t2 = rng.sample(vocab.techs, 2)
        out.append(OrgSpec(
            key=_unique_code(rng, used_codes, "91", division, "MA"), kind="enterprise", name_zh=name_zh,
            name_en=f"{city_en} {brand_en} {industry.en} {s_en}", region=region, address=address,
            description=f"{name_zh}成立于{year}年，主要从事{t1.zh}、{t2.zh}等产品的研发、生产与销售，"
                        f"是{rng.choice(ETYPES).zh}。",
            cluster=vocab.cluster, primary_field=fcode, slug=f"{brand_en.lower()}{i + 1}",
        ))
    return out


def _universities(rng: random.Random, n: int, used_codes: set[str]) -> list[OrgSpec]:
    combos = [(p, t) for p in UNI_PREFIX for t in UNI_TYPES]
    rng.shuffle(combos)
    out = []
    for i, (prefix, (t_zh, t_en)) in enumerate(combos[:n]):
        region = rng.choice(["hunnan", "heping", "huanggu", "shenbei", "dadong", "shenhe", "tiexi", "sujiatun"])
        _, _, division, address = _place(rng, region)
        zh_part = "".join(c for c in prefix if not c.isascii())
        en_part = "".join(c for c in prefix if c.isascii())
        name_zh = f"{zh_part}{t_zh}"
        out.append(OrgSpec(
            key=_unique_code(rng, used_codes, "12", division), kind="university", name_zh=name_zh,
            name_en=f"{en_part} {t_en}", region=region, address=address,
            description=f"{name_zh}是一所以工为主、多学科协调发展的高等院校，"
                        f"设有省级重点实验室{rng.randint(3, 15)}个。",
            slug=f"{en_part.lower()}-u{i + 1}",
        ))
    return out


def _institutes(rng: random.Random, n: int, used_codes: set[str]) -> list[OrgSpec]:
    by_cluster = {c: [(p, c, d) for p in INSTITUTE_PREFIX for d in INSTITUTE_DOMAINS[c]] for c in CLUSTER_ORDER}
    for combos in by_cluster.values():
        rng.shuffle(combos)
    ordered = []  # one per cluster in turn, so that even a small run has institutes in every cluster
    while any(by_cluster.values()):
        for combos in by_cluster.values():
            if combos:
                ordered.append(combos.pop())
    out = []
    for i, ((p_zh, p_en), cluster, (d_zh, d_en)) in enumerate(ordered[:n]):
        region = rng.choice(["hunnan", "shenbei", "heping", "huanggu", "tiexi"])
        _, _, division, address = _place(rng, region)
        name_zh = f"{p_zh}{d_zh}技术研究院"
        out.append(OrgSpec(
            key=_unique_code(rng, used_codes, "12", division), kind="institute", name_zh=name_zh,
            name_en=f"{p_en} Institute of {d_en} Technology", region=region, address=address,
            description=f"{name_zh}是从事{d_zh}领域应用研究与成果转化的新型研发机构。", cluster=cluster,
            slug=f"{p_en.lower()}-i{i + 1}",
        ))
    return out


def _investors(rng: random.Random, n: int, used_codes: set[str]) -> list[OrgSpec]:
    out = []
    for i in range(n):
        b1, b2 = rng.sample(BRAND, 2)
        brand_en = b1[1:] + b2[1:].lower()
        if i % 2 == 0:
            zh = f"沈阳{b1[0]}{b2[0]}创业投资管理有限公司"
            en = f"Shenyang {brand_en} Venture Capital Management Co., Ltd."
        else:
            zh = f"辽宁{b1[0]}{b2[0]}科创股权投资基金管理有限公司"
            en = f"Liaoning {brand_en} Sci-Tech Equity Fund Management Co., Ltd."
        out.append(OrgSpec(
            key=_unique_code(rng, used_codes, "91", REGIONS["hunnan"][1], "MA"), kind="investor", name_zh=zh,
            name_en=en, region="hunnan", address=_place(rng, "hunnan")[3],
            description=f"{zh}专注于硬科技早期投资，管理基金规模约{rng.randint(3, 40)}亿元。",
            slug=f"vc-{brand_en.lower()}",
        ))
    return out


# --- listing text --------------------------------------------------------------------------------
# Each slot has several phrasings per language; a listing draws one per slot, so two listings about
# the same technology still read differently (numbers, context, order of facts all vary).

REQ_TITLES = {
    ZH: ["{t}关键技术攻关", "面向{a}的{t}研发", "{t}{i}{iv}技术需求", "寻求{p}工艺技术合作", "{a}用{t}国产化替代",
         "{t}生产线{p}改造", "{iv}{t}{i}的技术方案征集", "{p}在{t}生产中的应用", "{t}技术升级需求", "求购{t}成熟技术"],
    EN: ["Breakthrough needed in {t}", "Seeking {t} for {a}", "Improving the {i} of our {t}", "Partner wanted for {p}",
         "Domestic alternative to imported {t} for {a}", "Upgrading a {t} line with {p}",
         "Call for solutions: {ive} {i} in {t}", "Applying {p} to {t} production", "{T} technology upgrade",
         "Mature {t} technology wanted"],
}
REQ_CONTEXT = {
    ZH: ["{org}是{etype}，主营{t2}等产品，主要服务于{a}。",
         "我公司长期为{a}配套生产{t2}，现有生产线{n}条，年产值约{rev}亿元。",
         "公司成立于{year}年，位于{district}，是{etype}，现有员工{staff}人。",
         "作为{a}领域的配套企业，我公司近年来订单持续增长，产品升级需求迫切。",
         "企业现有研发人员{rd}人，已建成市级企业技术中心，主要产品为{t2}。"],
    EN: ["We are {etype} making {t2} for {a}.",
         "We have supplied {t2} to {a} for {yrs} years, with {n} production lines and annual sales of about "
         "CNY {revm} million.",
         "Founded in {year} in {district_en}, we are {etype} with {staff} employees.",
         "As a supplier to {a}, we have seen steady order growth and need to upgrade our products.",
         "Our {rd}-person R&D team runs a municipal enterprise technology centre; our main product line is {t2}."],
}
REQ_PROBLEM = {
    ZH: ["目前{prob}，已成为制约企业发展的瓶颈。", "在生产实践中，{prob}，现有技术手段难以解决。",
         "受“{prob}”问题影响，产品在{a2}市场的竞争力下降。", "由于{prob}，企业每年损失约{loss}万元。",
         "企业自身研发力量有限，{prob}的问题长期未能突破。"],
    EN: ["At present {prob}, which has become a bottleneck for the business.",
         "In production, {prob}, and our current methods cannot solve it.",
         "Because {prob}, our products are losing ground in {a2}.",
         "Because {prob}, we lose about CNY {lossm} million a year.",
         "With limited in-house R&D we have not solved a long-standing issue: {prob}."],
}
REQ_NEED = {
    ZH: ["现寻求{t}相关技术，要求{I1}，{I2}。", "拟以{mode}方式与高校院所合作，采用{p}等手段开发{t}，{I1}。",
         "希望引进成熟的{t}技术或{p}工艺，实现{I1}、{I2}。", "需求方向为{t}的工艺改进，核心指标：{I1}；{I2}。",
         "计划联合攻关{t}，目标{I1}，同时{I2}。"],
    EN: ["We are looking for {t} technology with {I1} and {I2}.",
         "We would like a {mode} project with a university or institute, using {p} to develop {t} with {I1}.",
         "We want to bring in a proven {t} or {p} process achieving {I1} and {I2}.",
         "The target is an improved {t} process; key indicators: {I1}; {I2}.",
         "We plan a joint effort on {t}, aiming at {I1} while keeping {I2}."],
}
REQ_BUDGET = {
    ZH: ["预计投入研发经费{b1}–{b2}万元。", "合作经费{b1}万元左右，可面议。", "希望在{months}个月内完成。", ""],
    EN: ["Budget: CNY {b1m}–{b2m} million.", "Around CNY {b1m} million, negotiable.",
         "We hope to finish within {months} months.", ""],
}
REQ_OLD = {ZH: ["传统工艺", "进口设备", "人工操作", "十年前引进的生产线"],
           EN: ["conventional processes", "imported equipment", "manual operations", "a line installed ten years ago"]}
REQ_EFFECT = {
    ZH: ["产品合格率仅为{x}%左右", "单位成本比国外同类产品高{y}%", "交货周期延长约{d}天", "难以满足{a}客户的新标准",
         "每年返工损失约{loss}万元"],
    EN: ["only about {x}% of products pass inspection", "unit cost is {y}% higher than imported equivalents",
         "deliveries slip by about {d} days", "we cannot meet new standards from {a} customers",
         "rework costs us about CNY {lossm} million a year"],
}
REQ_ATTEMPT = {ZH: ["自行调整工艺参数", "采购国外关键设备", "与外部单位进行小范围试验", "更换原材料供应商",
                   "增加人工检验环节"],
               EN: ["tuning process parameters ourselves", "buying key equipment abroad",
                    "small trials with outside partners", "changing raw-material suppliers",
                    "adding manual inspection"]}
DELIVERABLES = {ZH: ["完整工艺包及技术培训", "样机及全套设计图纸", "中试验证报告及工艺规程", "软件及部署文档",
                    "第三方检测报告"],
                EN: ["a complete process package with training", "a prototype with full drawings",
                     "a pilot-trial report and operating procedures", "software with deployment documents",
                     "an independent test report"]}
REQ_GOAL = {
    ZH: ["形成{t}的稳定生产能力，{I1}，并在{a2}场景实现示范应用。", "完成{t}的工程化验证，产品达到{I1}。",
         "建立{p}工艺规范，使{I1}，年新增产值{gain}万元。"],
    EN: ["Stable production of {t} with {I1}, demonstrated in {a2}.", "Engineering validation of {t} reaching {I1}.",
         "A documented {p} process giving {I1} and about CNY {gainm} million of new annual output."],
}
REQ_IP = {ZH: ["合作产生的知识产权归双方共有。", "知识产权归属可协商。", "要求技术提供方拥有完整知识产权。"],
          EN: ["IP arising from the project is shared.", "IP ownership is negotiable.",
               "The provider must hold the full IP."]}
REQ_EXTRA = {ZH: ["企业可提供中试场地及配套资金。", "可提供现场试验条件和历史生产数据。", "优先考虑省内高校院所。",
                  "可接受分阶段付款。"],
             EN: ["We can provide a pilot site and matching funds.", "We can provide on-site test conditions and "
                  "historical production data.", "Universities and institutes in Liaoning are preferred.",
                  "Staged payments are acceptable."]}

ACH_TITLES = {
    ZH: ["{t}关键技术及产业化", "基于{p}的{t}", "面向{a}的{t}", "{t}{p}成套技术", "{t}在{a}中的研制与应用", "新一代{t}",
         "低成本{t}开发技术", "{hl}{i}{t}"],
    EN: ["{T}: key technology and industrialisation", "{T} based on {p}", "{T} for {a}", "Complete {p} package for {t}",
         "Development and application of {t} in {a}", "Next-generation {t}", "Low-cost {t}",
         "{T} with {ive} {i}"],
}
ACH_INTRO = {
    ZH: ["本成果针对{a}中{prob}的问题，", "为解决{prob}这一行业难题，", "面向{a}的实际需求，", "围绕{t}国产化需求，"],
    EN: ["In {a}, {prob}.", "A persistent industry problem is that {prob}.", "This work responds to the needs of {a}.",
         "The aim is a domestic alternative to imported {t}."],
}
ACH_METHOD = {
    ZH: ["采用{p}技术，研制出{t}。", "提出基于{p}的新方法，开发了{t}及配套工艺。",
         "将{p}与{p2}相结合，形成了{t}成套技术。",
         "通过{p}，实现了{t}的{stage}。"],
    EN: ["Using {p}, the team has developed its own {t}.",
         "We propose a new method based on {p} and a matching {t} production route.",
         "Combining {p} with {p2}, we built a complete {t} technology.", "{P} has taken our {t} to {stage}."],
}
ACH_RESULTS = {
    ZH: ["经第三方检测，{A1}，{A2}。", "测试表明{A1}、{A2}，优于国内同类产品。", "{A1}，{A2}，达到国内领先水平。",
         "与进口产品相比，{A1}，成本降低{y}%。"],
    EN: ["Independent tests show {A1} and {A2}.", "Tests give {A1} and {A2}, better than comparable domestic products.",
         "It achieves {A1} and {A2}, a leading level in China.",
         "Compared with imported products it offers {A1} at {y}% lower cost."],
}
ACH_STATUS = {
    ZH: ["目前已完成{stage}，可通过{mode}方式转化。", "已在{n}家企业应用，可推广至{a2}等领域。",
         "{ipphrase}，可应用于{a}、{a2}。",
         "成果处于{stage}阶段，寻求{mode}合作。"],
    EN: ["It has completed {stage} and is available through {mode}.",
         "It is already used by {n} companies and can be extended to {a2}.", "{Ipphrase}; suitable for {a} and {a2}.",
         "Now at the stage of {stage}; seeking {mode}."],
}
ACH_ADVANTAGE = {
    ZH: ["{A1}，较传统工艺提升{y}%", "采用{p2}，工艺流程缩短{z}%", "关键原材料实现国产化，成本降低{y}%",
         "绿色环保，能耗降低{z}%",
         "操作简便，维护成本低", "模块化设计，便于现有产线改造", "适应东北寒冷地区使用环境", "{A2}，性能稳定可靠"],
    EN: ["{A1}, {y}% better than conventional processes", "{P2} shortens the process by {z}%",
         "key raw materials are sourced domestically, cutting cost by {y}%", "greener, with {z}% less energy use",
         "simple to operate and cheap to maintain", "modular design that fits existing lines",
         "proven in the cold climate of Northeast China", "{A2} with stable, reliable performance"],
}
ACH_MARKET = {ZH: ["国内市场规模约{m}亿元。", "辽宁省内潜在用户超过{n2}家。", "已与{n}家企业达成初步合作意向。"],
              EN: ["The domestic market is worth about CNY {m} billion.", "There are more than {n2} potential users "
                   "in Liaoning.", "Letters of intent have been signed with {n} companies."]}
ACH_DETAIL = {ZH: ["通过优化关键工艺参数，解决了{prob}的问题", "建立了从原料到成品的完整工艺路线",
                  "形成了自主可控的核心工艺与装备"],
              EN: ["optimised key process parameters so that the old problem ({prob}) no longer arises",
                   "established a complete route from raw material to finished product",
                   "built a core process and equipment under our own control"]}


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _req_phrase(rng: random.Random, ind: Indicator, value: float, lang: str) -> str:
    v, n = ind.with_unit(value, lang), ind.name(lang)
    if lang == ZH:
        forms = ["{n}不低于{v}", "{n}达到{v}以上", "{n}≥{v}"] if ind.higher_better else \
            ["{n}不高于{v}", "{n}控制在{v}以内", "{n}≤{v}"]
    else:
        forms = ["{n} of at least {v}", "{n} ≥ {v}", "{n} above {v}"] if ind.higher_better else \
            ["{n} of no more than {v}", "{n} ≤ {v}", "{n} below {v}"]
    return rng.choice(forms).format(n=n, v=v)


def _ach_phrase(rng: random.Random, ind: Indicator, value: float, lang: str) -> str:
    v, n = ind.with_unit(value, lang), ind.name(lang)
    if lang == ZH:
        forms = ["{n}达到{v}", "{n}为{v}", "{n}实测{v}"]
    else:
        forms = ["{n} of {v}", "{n} reaching {v}", ("an" if n[0] in "aeiouAEIOU" else "a") + " {n} of {v}"]
    return rng.choice(forms).format(n=n, v=v)


def _target(rng: random.Random, ind: Indicator) -> float:
    span = ind.hi - ind.lo
    if ind.higher_better:
        return ind.lo + rng.uniform(0.0, 0.7) * span
    return ind.lo + rng.uniform(0.3, 1.0) * span


def _achieved(rng: random.Random, ind: Indicator, target: float | None) -> float:
    """A value at least as good as the target (or anywhere plausible when there is none)."""
    span = ind.hi - ind.lo
    if target is None:
        return ind.lo + rng.uniform(0.2, 0.95) * span
    if ind.higher_better:
        return min(ind.hi, target + rng.uniform(0.05, 0.3) * span)
    return max(ind.lo, target - rng.uniform(0.05, 0.3) * span)


def meets(ind: Indicator, a: float, b: float) -> bool:
    """Is a as good as b after rounding to the displayed precision?"""
    fa, fb = float(ind.fmt(a)), float(ind.fmt(b))
    return fa >= fb if ind.higher_better else fa <= fb


def _modes(rng: random.Random, weights: dict[str, int], must: str | None = None) -> list[str]:
    k = rng.choices((1, 2, 3), weights=(50, 35, 15))[0]
    chosen = [must] if must else []
    while len(chosen) < k:
        m = _weighted(rng, weights)
        if m not in chosen:
            chosen.append(m)
    return chosen


def _keywords(terms: list[Term], lang: str, k: int) -> list[str]:
    out: list[str] = []
    for t in terms:
        word = t(lang)
        if len(word) <= 30 and word not in out:  # MAX_KEYWORD_LENGTH
            out.append(word)
    return out[:k]


def _fit(sentences: list[str], limit: int = 500, sep: str = "") -> str:
    """Join sentences, dropping optional ones from the end until the text fits."""
    while len(sep.join(s for s in sentences if s)) > limit and len(sentences) > 2:
        sentences = sentences[:-1]
    return sep.join(s for s in sentences if s)[:limit]


def _topic(rng: random.Random, vocab: FieldVocab, *, base: dict | None = None) -> dict:
    if base is not None:  # an answer to a requirement: same technology, process, pain point and indicators
        apps = [base["apps"][0], *_pick(rng, [a for a in vocab.apps if a != base["apps"][0]], 2)]
        return {**base, "apps": apps, "proc2": rng.choice([p for p in vocab.procs if p != base["proc"]])}
    tech, tech2 = rng.sample(vocab.techs, 2)
    proc, proc2 = rng.sample(vocab.procs, 2)
    inds = rng.sample(vocab.inds, rng.choice((2, 3)))
    return {"tech": tech, "tech2": tech2, "proc": proc, "proc2": proc2, "inds": inds,
            "targets": [_target(rng, ind) for ind in inds], "apps": rng.sample(vocab.apps, 3),
            "prob": rng.choice(vocab.probs)}


def _common_slots(rng: random.Random, topic: dict, lang: str) -> dict:
    ind0 = topic["inds"][0]
    better = "提升" if ind0.higher_better else "降低"
    return {
        "t": topic["tech"](lang), "T": _cap(topic["tech"](lang)), "t2": topic["tech2"](lang),
        "p": topic["proc"](lang), "P": _cap(topic["proc"](lang)), "p2": topic["proc2"](lang),
        "P2": _cap(topic["proc2"](lang)), "a": topic["apps"][0](lang), "a2": topic["apps"][1](lang),
        "a3": topic["apps"][2](lang), "prob": topic["prob"](lang), "i": ind0.name(lang), "iv": better,
        "ive": "higher" if ind0.higher_better else "lower", "hl": "高" if ind0.higher_better else "低",
        "HL": "High" if ind0.higher_better else "Low", "n": rng.randint(2, 9), "x": rng.randint(70, 92),
        "y": rng.randint(8, 45), "z": rng.randint(10, 40), "d": rng.randint(10, 60),
        "months": rng.choice((6, 9, 12, 18, 24)),
    }


def requirement_text(rng: random.Random, topic: dict, lang: str, org: OrgSpec, *, modes: list[str],
                     trl_min: int | None, budget: tuple[int, int] | None) -> dict:
    """Title, summary, description, problem statement, indicators and keywords of one requirement."""
    s = _common_slots(rng, topic, lang)
    loss = rng.choice((30, 50, 80, 120, 200, 300))
    b1, b2 = budget or (rng.choice((20, 50, 80)), rng.choice((100, 150, 200)))
    gain = rng.choice((300, 500, 800, 1200, 2000, 3000))
    s.update(
        org="我公司" if rng.random() < 0.6 else org.name_zh.replace("有限公司", "").replace("股份", ""),
        etype=rng.choice(ETYPES)(lang), district=REGIONS[org.region][0],
        district_en="Liaoning" if org.region == "other" else org.region.capitalize(),
        year=rng.randint(1990, 2020), staff=rng.randint(40, 1800), rev=rng.choice((0.5, 0.8, 1.2, 2, 3.5, 6, 12)),
        yrs=rng.randint(5, 25), rd=rng.randint(6, 120), loss=loss, lossm=f"{loss / 100:g}", b1=b1, b2=b2,
        b1m=f"{b1 / 100:g}", b2m=f"{b2 / 100:g}", mode=MODE_NAMES[modes[0]](lang), gain=gain, gainm=f"{gain / 100:g}",
    )
    s["revm"] = f"{float(s['rev']) * 100:g}"
    phrases = [_req_phrase(rng, ind, v, lang) for ind, v in zip(topic["inds"], topic["targets"], strict=True)]
    s["I1"], s["I2"] = phrases[0], phrases[1]
    title = rng.choice(REQ_TITLES[lang]).format(**s)
    title = _cap(title) if lang == EN else title
    sep = "" if lang == ZH else " "
    budget_line = rng.choice(REQ_BUDGET[lang]) if budget else rng.choice(REQ_BUDGET[lang][2:])
    ctx = rng.sample(REQ_CONTEXT[lang], 2)
    summary = _fit([ctx[0].format(**s), rng.choice(REQ_PROBLEM[lang]).format(**s),
                    rng.choice(REQ_NEED[lang]).format(**s), budget_line.format(**s)], sep=sep)
    s["effect"] = rng.choice(REQ_EFFECT[lang]).format(**s)
    if lang == ZH:
        problem = (f"企业现采用{rng.choice(REQ_OLD[ZH])}生产{s['t2']}，{s['prob']}，导致{s['effect']}。"
                   f"曾尝试{rng.choice(REQ_ATTEMPT[ZH])}，效果不理想。")
        if rng.random() < 0.5:
            problem += f"此外，{s['a']}客户对{s['i']}提出了更高要求。"
    else:
        problem = (f"We currently make {s['t2']} using {rng.choice(REQ_OLD[EN])}; {s['prob']}, so {s['effect']}. "
                   f"We tried {rng.choice(REQ_ATTEMPT[EN])}, without success.")
        if rng.random() < 0.5:
            problem += f" Customers in {s['a']} now also demand a better {s['i']}."
    lines = []
    for ind, v in zip(topic["inds"], topic["targets"], strict=True):
        sign = "≥" if ind.higher_better else "≤"
        lines.append(f"{_cap(ind.name(lang))}{'：' if lang == ZH else ': '}{sign}{'' if lang == ZH else ' '}"
                     f"{ind.with_unit(v, lang)}")
    if trl_min:
        lines.append(f"技术成熟度：不低于TRL {trl_min}" if lang == ZH
                     else f"Technology readiness: TRL {trl_min} or above")
    lines.append(("交付物：" if lang == ZH else "Deliverables: ") + rng.choice(DELIVERABLES[lang]))
    indicators = "\n".join(f"{k}. {line}" for k, line in enumerate(lines, 1))
    modes_text = ("、" if lang == ZH else ", ").join(MODE_NAMES[m](lang) for m in modes)
    if lang == ZH:
        description = (f"【需求背景】{ctx[1].format(**s)}本项目拟应用于{s['a']}及{s['a2']}。\n"
                       f"【预期目标】{rng.choice(REQ_GOAL[ZH]).format(**s)}\n"
                       f"【合作方式】{modes_text}。{rng.choice(REQ_IP[ZH])}\n【其他说明】{rng.choice(REQ_EXTRA[ZH])}")
    else:
        description = (f"Background: {ctx[1].format(**s)} The result will be used in {s['a']} and {s['a2']}.\n"
                       f"Expected outcome: {rng.choice(REQ_GOAL[EN]).format(**s)}\n"
                       f"Cooperation: {modes_text}. {rng.choice(REQ_IP[EN])}\nOther: {rng.choice(REQ_EXTRA[EN])}")
    kw_terms = [topic["tech"], topic["proc"], topic["inds"][0].name, topic["apps"][0], topic["proc2"], topic["tech2"]]
    return {"title": title[:200], "summary": summary, "description": description, "problem_statement": problem,
            "technical_indicators": indicators, "keywords": _keywords(kw_terms, lang, rng.randint(3, 4))}


def achievement_text(rng: random.Random, topic: dict, lang: str, *, values: list[float], trl: int, modes: list[str],
                     ip_status: str, n_patents: int, price: tuple[int, int] | None, team_org: OrgSpec) -> dict:
    """Title, summary, description, advantages, scenarios, team and keywords of one achievement."""
    s = _common_slots(rng, topic, lang)
    stage = TRL_STAGE[trl](lang)
    ip = {"granted": Term(f"已获授权发明专利{n_patents}项", f"{n_patents} invention patent(s) granted"),
          "applied": Term(f"已申请发明专利{n_patents}项", f"{n_patents} patent application(s) filed"),
          "know_how": Term("核心工艺以技术秘密形式保护", "the core process is protected as know-how"),
          "none": Term("技术资料完整", "full technical documentation is available")}[ip_status](lang)
    s.update(stage=stage, mode=MODE_NAMES[modes[0]](lang), ipphrase=ip, Ipphrase=_cap(ip),
             m=rng.choice((5, 12, 30, 80, 150)),
             n2=rng.choice((50, 100, 200, 500)))
    phrases = [_ach_phrase(rng, ind, v, lang) for ind, v in zip(topic["inds"], values, strict=True)]
    s["A1"], s["A2"] = phrases[0], phrases[1]
    title = rng.choice(ACH_TITLES[lang]).format(**s)
    sep = "" if lang == ZH else " "
    summary = _fit([rng.choice(ACH_INTRO[lang]).format(**s),
                    rng.choice(ACH_METHOD[lang]).format(**s), rng.choice(ACH_RESULTS[lang]).format(**s),
                    rng.choice(ACH_STATUS[lang]).format(**s)], sep=sep)
    advantages = rng.sample(ACH_ADVANTAGE[lang], 3)
    if lang == ZH:
        adv_text = "；".join(f"{k}. {a.format(**s)}" for k, a in enumerate(advantages, 1)) + "。"
    else:
        adv_text = "; ".join(f"{k}. {_cap(a.format(**s))}" for k, a in enumerate(advantages, 1)) + "."
    market = rng.choice(ACH_MARKET[lang]).format(**s)
    scenarios = (f"可应用于{s['a']}、{s['a2']}和{s['a3']}等场景。{market}" if lang == ZH
                 else f"Suitable for {s['a']}, {s['a2']} and {s['a3']}. {market}")
    leader, (t_zh, t_en), (d_zh, d_en) = _person(rng), rng.choice(TITLES), rng.choice(DEPARTMENTS)
    size, phd, proj = rng.randint(5, 30), rng.randint(2, 12), rng.randint(2, 15)
    phd = min(phd, size)
    if lang == ZH:
        team = (f"项目负责人{leader.zh}，{t_zh}，{team_org.name_zh}{d_zh if team_org.kind == 'university' else ''}。"
                f"团队共{size}人，其中博士{phd}人，长期从事{s['p']}与{s['t']}研究，近五年承担国家及省部级项目{proj}项。")
    else:
        unit = f"{d_en}, {team_org.name_en}" if team_org.kind == "university" else team_org.name_en
        team = (f"Led by {t_en} {leader.en} ({unit}); a team of {size} including {phd} PhDs, working on "
                f"{s['p']} and {s['t']} for more than {rng.randint(5, 20)} years, with {proj} national or provincial "
                f"projects in the last five years.")
    modes_text = ("、" if lang == ZH else ", ").join(MODE_NAMES[m](lang) for m in modes)
    detail = rng.choice(ACH_DETAIL[lang]).format(**s)
    if lang == ZH:
        price_text = f"参考价格{price[0]}–{price[1]}万元" if price else "价格面议"
        description = (f"【技术原理】采用{s['p']}与{s['p2']}，{detail}。\n"
                       f"【成熟度】目前处于{stage}阶段（TRL {trl}）。\n"
                       f"【知识产权】{ip}。\n【转化方式】{modes_text}，{price_text}。")
    else:
        price_text = (f"indicative price CNY {price[0] / 100:g}–{price[1] / 100:g} million" if price
                      else "price negotiable")
        description = (f"Principle: {s['P']} combined with {s['p2']}; we {detail}.\nMaturity: {stage} (TRL {trl}).\n"
                       f"IP: {ip}.\nTransfer: {modes_text}; {price_text}.")
    kw_terms = [topic["tech"], topic["proc"], topic["proc2"], topic["apps"][0], topic["inds"][0].name,
                *topic["apps"][1:]]
    return {"title": _cap(title)[:200], "summary": summary, "description": description, "advantages": adv_text,
            "application_scenarios": scenarios, "team": team, "keywords": _keywords(kw_terms, lang, rng.randint(3, 5))}


# --- the catalogue -------------------------------------------------------------------------------

REQ_STATUS_WEIGHTS = {"published": 80, "in_negotiation": 3, "draft": 4, "submitted": 5, "screened": 4, "rejected": 4}
ACH_STATUS_WEIGHTS = {"published": 76, "in_negotiation": 3, "draft": 3, "submitted": 5, "screened": 7, "rejected": 6}
CONFIDENTIALITY_WEIGHTS = {"public": 85, "members": 11, "restricted": 4}
TRL_WEIGHTS = {3: 5, 4: 10, 5: 20, 6: 25, 7: 20, 8: 12, 9: 8}
DEMO_REQ_STATUSES = ["published", "draft", "submitted", "screened", "rejected", "published"]
DEMO_ACH_STATUSES = ["published", "published", "draft", "submitted", "screened", "rejected"]
BROKER_CLUSTERS = {
    "broker@demo.techdock.cn": ["advanced-manufacturing", "new-materials"],
    "broker2@demo.techdock.cn": ["information", "biomedicine"],
    "broker3@demo.techdock.cn": ["energy-environment", "marine"],
    "broker4@demo.techdock.cn": ["agriculture", "other-industries"],
}
GT_SHARE = 0.15
RESTRICTED_NOTE = {ZH: "涉及企业核心工艺，仅限科技局及指定技术经纪人查看。",
                   EN: "Core process details: bureau and assigned brokers only."}


def _contact(rng: random.Random, org: OrgSpec, lang: str) -> dict:
    person = _person(rng)
    local = person.en.lower().replace(" ", ".")
    phone = (f"024-{rng.choice('2368')}{rng.randint(0, 9999999):07d}" if rng.random() < 0.7
             else f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}")
    return {"contact_name": person(lang), "contact_email": f"{local}@{org.slug}.demo.techdock.cn",
            "contact_phone": phone}


def _second_field(rng: random.Random, code: str) -> list[str]:
    if rng.random() >= 0.2:
        return [code]
    siblings = [f for f in FIELD_CODES if VOCAB[f].cluster == VOCAB[code].cluster and f != code]
    return [code, rng.choice(siblings)]


def _dates(rng: random.Random, status: str) -> dict:
    if status == "draft":
        return {"submitted_at": None, "published_at": None, "valid_from": None, "valid_until": None}
    if status in ("submitted", "screened", "rejected"):
        return {"submitted_at": BASE_DATE - timedelta(days=rng.randint(1, 45), hours=rng.randint(0, 9)),
                "published_at": None, "valid_from": None, "valid_until": None}
    published = BASE_DATE - timedelta(days=rng.randint(5, 220), hours=rng.randint(0, 9))
    return {"submitted_at": published - timedelta(days=rng.randint(3, 25)), "published_at": published,
            "valid_from": published.date(), "valid_until": published.date() + timedelta(days=rng.choice((365, 730)))}


def _ip(rng: random.Random, weights: dict[str, int]) -> tuple[str, int, str]:
    status = _weighted(rng, weights)
    if status not in ("applied", "granted"):
        return status, 0, ""
    n = rng.choices((1, 2, 3, 4), weights=(45, 30, 15, 10))[0]
    return status, n, "; ".join(patent_number(rng, granted=status == "granted") for _ in range(n))


def _requirements(rng: random.Random, n: int, enterprises: list[OrgSpec]) -> list[ListingSpec]:
    by_cluster: dict[str, list[OrgSpec]] = {}
    for org in enterprises:
        by_cluster.setdefault(org.cluster, []).append(org)
    demo = enterprises[0]
    # Every enterprise posts at least one requirement in its own field; the demo enterprise (the
    # enterprise@ login's) posts the first one and the first five after that, in fixed statuses.
    demo_slots = {0: 0, **{len(enterprises) + k - 1: k for k in range(1, len(DEMO_REQ_STATUSES))}}
    titles: set[str] = set()
    out = []
    for i in range(n):
        slot = demo_slots.get(i)
        if i < len(enterprises):
            org, code = enterprises[i], enterprises[i].primary_field
        elif slot is not None:
            org, code = demo, rng.choice([f for f in FIELD_CODES if VOCAB[f].cluster == demo.cluster])
        else:
            code = _weighted_field(rng)
            org = rng.choice(by_cluster.get(VOCAB[code].cluster) or enterprises)
        status = DEMO_REQ_STATUSES[slot] if slot is not None else _weighted(rng, REQ_STATUS_WEIGHTS)
        lang = ZH if rng.random() < 0.8 else EN
        modes = _modes(rng, REQ_MODE_WEIGHTS)
        trl_min = rng.randint(4, 7) if rng.random() < 0.6 else None
        b1 = rng.choice((10, 20, 30, 50, 80, 100, 150, 200, 300, 500))
        budget = (b1, int(b1 * rng.choice((1.5, 2, 2.5, 3, 4)))) if rng.random() < 0.85 else None
        vocab = VOCAB[code]
        for _attempt in range(20):
            topic = _topic(rng, vocab)
            text = requirement_text(rng, topic, lang, org, modes=modes, trl_min=trl_min, budget=budget)
            if text["title"] not in titles:
                break
        else:
            text["title"] = f"{text['title']}（{org.name_zh[2:6]}）" if lang == ZH else f"{text['title']} ({org.slug})"
        titles.add(text["title"])
        ip_status, _, patents = _ip(rng, {"none": 75, "know_how": 15, "applied": 5, "granted": 5})
        provenance = _weighted(rng, {"survey": 55, "bureau": 15, "district": 10, "self": 20})
        if org is demo:
            provenance = "self" if status != "published" else provenance
        confidentiality = _weighted(rng, CONFIDENTIALITY_WEIGHTS)
        ref = f"demo-req-{i + 1:05d}"
        values = {
            **text, "external_ref": ref, "language": lang, "region": org.region, **_contact(rng, org, lang),
            "cooperation_modes": modes, "ip_status": ip_status, "patent_numbers": patents,
            "budget_min": budget[0] if budget else None, "budget_max": budget[1] if budget else None,
            "confidentiality": confidentiality, "status": status,
            "status_reason": rng.choice(REJECT_REASONS[lang]) if status == "rejected" else "",
            **_dates(rng, status), "provenance": provenance,
            "source_batch": {"survey": REQ_BATCH, "district": DISTRICT_BATCH}.get(provenance, ""),
            "internal_note": RESTRICTED_NOTE[ZH] if confidentiality == "restricted" else "",
            "trl_min": trl_min, "deadline": None,
        }
        if values["published_at"] and rng.random() < 0.5:
            values["deadline"] = values["published_at"].date() + timedelta(days=rng.randint(90, 360))
        out.append(ListingSpec(
            ref=ref, kind="requirement", org_key=org.key, field_codes=_second_field(rng, code), values=values,
            collected_by_bureau=provenance in ("survey", "bureau"),
            created_by=("enterprise@demo.techdock.cn" if org is demo
                        else "bureau@demo.techdock.cn" if provenance in ("survey", "bureau") else ""),
            topic={**topic, "lang": lang, "modes": modes, "trl_min": trl_min, "field": code},
        ))
    return out


def _evaluation(rng: random.Random, status: str, lang: str, published_at: datetime | None) -> dict:
    if status in ("published", "in_negotiation"):
        score = sum(rng.randint(6, 10) for _ in range(4)) / 4
        return {"evaluation_result": "passed", "evaluation_score": Decimal(f"{score:.2f}"),
                "evaluation_decided_at": published_at - timedelta(days=rng.randint(1, 5))}
    if status == "rejected" and rng.random() < 0.5:
        score = sum(rng.randint(3, 6) for _ in range(4)) / 4
        return {"evaluation_result": "failed", "evaluation_score": Decimal(f"{score:.2f}"),
                "evaluation_decided_at": BASE_DATE - timedelta(days=rng.randint(1, 20)),
                "status_reason": EVAL_FAIL_REASON[lang]}
    return {"evaluation_result": "pending", "evaluation_score": None, "evaluation_decided_at": None}


def _achievements(rng: random.Random, n: int, universities: list[OrgSpec], institutes: list[OrgSpec],
                  requirements: list[ListingSpec]) -> tuple[list[ListingSpec], list[tuple[str, str, bool]]]:
    demo = universities[0]
    n_demo = min(len(DEMO_ACH_STATUSES), max(2, n // 6))
    published_reqs = [r for r in requirements if r.values["status"] == "published"]
    n_gt = min(len(published_reqs), max(2, round(n * GT_SHARE)))
    answered = rng.sample(published_reqs, n_gt)
    gt_slots = sorted(rng.sample(range(n_demo, n), min(n_gt, n - n_demo)))
    gt_for = dict(zip(gt_slots, answered, strict=False))
    robin = iter(_round_robin_fields())
    uni_weights = [1 / (k + 1) ** 0.6 for k in range(len(universities))]
    inst_by_cluster: dict[str, list[OrgSpec]] = {}
    for org in institutes:
        inst_by_cluster.setdefault(org.cluster, []).append(org)

    plan = []
    for i in range(n):
        req = gt_for.get(i)
        code = req.topic["field"] if req else next(robin, None) or _weighted_field(rng)
        if i < n_demo:
            org, status = demo, DEMO_ACH_STATUSES[i]
        else:
            local = inst_by_cluster.get(VOCAB[code].cluster)
            org = rng.choice(local) if local and rng.random() < 0.45 else rng.choices(universities, uni_weights)[0]
            status = ("published" if rng.random() < 0.95 else "in_negotiation") if req else \
                _weighted(rng, ACH_STATUS_WEIGHTS)
        plan.append([req, code, org, status])
    # The demo expert needs screened achievements of other organisations to evaluate.
    others = [p for p in plan if p[2] is not demo and p[0] is None]
    for p in others:
        if sum(1 for q in plan if q[3] == "screened" and q[2] is not demo) >= 3:
            break
        if p[3] == "published":
            p[3] = "screened"

    titles: set[str] = set()
    out, pairs = [], []
    for i, (req, code, org, status) in enumerate(plan):
        vocab = VOCAB[code]
        if req:
            req_lang = req.topic["lang"]
            lang = (EN if req_lang == ZH else ZH) if rng.random() < (0.3 if req_lang == ZH else 0.5) else req_lang
            trl = rng.randint(max(req.topic["trl_min"] or 4, 5), 8)
            modes = _modes(rng, ACH_MODE_WEIGHTS, must=rng.choice(req.topic["modes"]))
        else:
            lang = ZH if rng.random() < 0.8 else EN
            trl = int(_weighted(rng, TRL_WEIGHTS))
            modes = _modes(rng, ACH_MODE_WEIGHTS)
        ip_status, n_patents, patents = _ip(rng, {"granted": 45, "applied": 25, "know_how": 15, "none": 15})
        p1 = rng.choice((20, 30, 50, 80, 100, 150, 200, 300, 500))
        price = (p1, int(p1 * rng.choice((1.5, 2, 3)))) if rng.random() < 0.8 else None
        for _attempt in range(20):
            topic = _topic(rng, vocab, base=req.topic if req else None)
            targets = topic["targets"] if req else [None] * len(topic["inds"])
            values = [_achieved(rng, ind, t) for ind, t in zip(topic["inds"], targets, strict=True)]
            text = achievement_text(rng, topic, lang, values=values, trl=trl, modes=modes, ip_status=ip_status,
                                    n_patents=n_patents, price=price, team_org=org)
            if text["title"] not in titles:
                break
        else:
            text["title"] = f"{text['title']}（{org.name_zh}）" if lang == ZH else f"{text['title']} ({org.name_en})"
        titles.add(text["title"])
        provenance = _weighted(rng, {"self": 50, "bureau": 30, "import": 20})
        confidentiality = _weighted(rng, CONFIDENTIALITY_WEIGHTS)
        ref = f"demo-ach-{i + 1:05d}"
        dates = _dates(rng, status)
        evaluation = _evaluation(rng, status, lang, dates["published_at"])
        record = {
            **text, "external_ref": ref, "language": lang, "region": org.region, **_contact(rng, org, lang),
            "cooperation_modes": modes, "ip_status": ip_status, "patent_numbers": patents,
            "budget_min": price[0] if price else None, "budget_max": price[1] if price else None,
            "confidentiality": confidentiality, "status": status,
            "status_reason": rng.choice(REJECT_REASONS[lang]) if status == "rejected" else "", **dates,
            "provenance": provenance,
            "source_batch": {"bureau": ACH_BATCH, "import": "2025年科技成果汇编（表格导入）"}.get(provenance, ""),
            "internal_note": RESTRICTED_NOTE[ZH] if confidentiality == "restricted" else "", "trl": trl, **evaluation,
        }
        fields = [code, *[f for f in req.field_codes if f != code]] if req else _second_field(rng, code)
        out.append(ListingSpec(
            ref=ref, kind="achievement", org_key=org.key, field_codes=fields, values=record,
            collected_by_bureau=provenance == "bureau",
            created_by="university@demo.techdock.cn" if org is demo else "",
            topic={**topic, "lang": lang, "modes": modes, "trl": trl, "field": code, "values": values,
                   "answers": req.ref if req else ""},
        ))
        if req:
            pairs.append((req.ref, ref, lang != req.topic["lang"]))
    return out, pairs


def _assign_broker(rng: random.Random, requirements: list[ListingSpec], achievements: list[ListingSpec],
                   demo_enterprise: str) -> list[str]:
    clusters = BROKER_CLUSTERS["broker@demo.techdock.cn"]

    def mine(spec: ListingSpec) -> bool:
        return VOCAB[spec.field_codes[0]].cluster in clusters and spec.values["status"] == "published"

    reqs = [r for r in requirements if mine(r) and r.org_key != demo_enterprise]
    restricted = [r for r in reqs if r.values["confidentiality"] == "restricted"]
    if not restricted and reqs:
        chosen = reqs[-1]
        chosen.values["confidentiality"] = "restricted"
        chosen.values["internal_note"] = RESTRICTED_NOTE[ZH]
        restricted = [chosen]
    picked = restricted[:1] + _pick(rng, [r for r in reqs if r not in restricted[:1]], 3)
    picked += _pick(rng, [a for a in achievements if mine(a)], 2)
    return [s.ref for s in picked]


def generate(scale: float = 1.0, seed: int = 2026) -> DemoData:
    """The whole demo catalogue as plain records. Pure and deterministic: no database access."""
    used: set[str] = set()
    bureau = OrgSpec(
        key=_unique_code(random.Random(f"{seed}:bureau"), used, "11", "210100"), kind="bureau",
        name_zh="沈阳市科学技术局", name_en="Shenyang Municipal Science and Technology Bureau", region="shenhe",
        address="沈阳市沈河区市府大路260号", description="负责全市科技创新、成果转化与技术市场工作。", slug="kjj",
    )
    enterprises = _enterprises(random.Random(f"{seed}:enterprises"), scaled(802, scale, 5), used)
    universities = _universities(random.Random(f"{seed}:universities"), scaled(40, scale, 2), used)
    institutes = _institutes(random.Random(f"{seed}:institutes"), scaled(60, scale, 2), used)
    investors = _investors(random.Random(f"{seed}:investors"), scaled(6, scale, 2), used)
    agency = OrgSpec(
        key=_unique_code(random.Random(f"{seed}:agency"), used, "12", "210112"), kind="agency",
        name_zh="沈阳浑河技术转移中心", name_en="Shenyang Hunhe Technology Transfer Centre", region="hunnan",
        address="沈阳市浑南区智慧大街18号", description="提供技术经纪、成果评价与转移转化服务的专业机构。",
        slug="tt-centre",
    )
    requirements = _requirements(random.Random(f"{seed}:requirements"), scaled(1302, scale, 8), enterprises)
    achievements, pairs = _achievements(random.Random(f"{seed}:achievements"), scaled(1239, scale, 8),
                                        universities, institutes, requirements)
    rng = random.Random(f"{seed}:assignments")
    broker_refs = _assign_broker(rng, requirements, achievements, enterprises[0].key)
    screened = [a.ref for a in achievements if a.values["status"] == "screened" and a.org_key != universities[0].key]
    expert_refs = screened[:3]
    return DemoData(
        scale=scale, seed=seed, bureau=bureau, orgs=[*enterprises, *universities, *institutes, *investors, agency],
        requirements=requirements, achievements=achievements, pairs=pairs, demo_enterprise=enterprises[0].key,
        demo_university=universities[0].key, demo_investor=investors[0].key, agency=agency.key,
        broker_fields={email: [f for f in FIELD_CODES if VOCAB[f].cluster in clusters]
                       for email, clusters in BROKER_CLUSTERS.items()},
        broker_refs=broker_refs, expert_refs=expert_refs, expert_submitted=expert_refs[2:3],
    )


@lru_cache(maxsize=4)
def _cached(scale: float, seed: int) -> DemoData:
    return generate(scale, seed)


def ground_truth_pairs(scale: float = 1.0, seed: int = 2026) -> list[tuple[str, str, bool]]:
    """(requirement_ref, achievement_ref, cross_language) for the achievements written to answer a
    requirement: what a good matcher should rank near the top, in both directions."""
    return list(_cached(scale, seed).pairs)
