"""Demo catalogue content: categories, publishers and the reports besides 1994249.

Product 1994249 takes its titles, summary and figures from the reseller's page
(`product-1994249.txt`, parsed at run time); `CME_1994249` holds what that page does
not say. Each other report's summary starts with an opening paragraph generated
from its key statistics (so text and figures cannot disagree), followed by the
paragraphs below.
"""

from datetime import date

from reports.demo.outlines import Node, node
from reports.demo.specs import CategorySpec, DemoReport, PublisherSpec, licences, statistics
from reports.models import ReportFormat

LISTING_1994249 = "product-1994249.txt"

# Two levels, as the catalogue's category filter shows them.
CATEGORIES = (
    CategorySpec("healthcare", "Healthcare", "医疗保健"),
    CategorySpec("medical-education", "Medical Education", "医学教育", "healthcare"),
    CategorySpec("medical-devices", "Medical Devices", "医疗器械", "healthcare"),
    CategorySpec("pharmaceuticals", "Pharmaceuticals", "制药", "healthcare"),
    CategorySpec("elderly-care", "Elderly Care", "养老护理", "healthcare"),
    CategorySpec("technology", "Technology", "信息技术"),
    CategorySpec("software", "Software", "软件", "technology"),
    CategorySpec("robotics-automation", "Robotics & Automation", "机器人与自动化", "technology"),
    CategorySpec("industrial-internet", "Industrial Internet", "工业互联网", "technology"),
    CategorySpec("semiconductors", "Semiconductors", "半导体", "technology"),
    CategorySpec("energy", "Energy", "能源"),
    CategorySpec("energy-storage", "Energy Storage", "储能", "energy"),
    CategorySpec("ev-charging", "EV Charging", "电动汽车充电", "energy"),
    CategorySpec("renewable-energy", "Renewable Energy", "可再生能源", "energy"),
    CategorySpec("chemicals-materials", "Chemicals & Materials", "化学品与材料"),
    CategorySpec("specialty-chemicals", "Specialty Chemicals", "特种化学品", "chemicals-materials"),
    CategorySpec("polymers-plastics", "Polymers & Plastics", "聚合物与塑料", "chemicals-materials"),
    CategorySpec("food-beverage", "Food & Beverage", "食品与饮料"),
    CategorySpec("dairy-alternatives", "Dairy & Dairy Alternatives", "乳制品及替代品",
                 "food-beverage"),
    CategorySpec("alternative-proteins", "Alternative Proteins", "替代蛋白", "food-beverage"),
    CategorySpec("automotive", "Automotive", "汽车"),
    CategorySpec("adas-autonomous-driving", "ADAS & Autonomous Driving", "高级驾驶辅助与自动驾驶",
                 "automotive"),
    CategorySpec("electric-vehicles", "Electric Vehicles", "电动汽车", "automotive"),
)

PUBLISHERS = (
    PublisherSpec("360iresearch", "360iResearch", "https://www.360iresearch.com/"),
    PublisherSpec("northbridge-insights", "Northbridge Insights"),
    PublisherSpec("halden-moss-research", "Halden & Moss Research"),
    PublisherSpec("keystone-market-intelligence", "Keystone Market Intelligence"),
    PublisherSpec("kaiyo-market-research", "Kaiyo Market Research"),
    PublisherSpec("huaxin-industry-research", "Huaxin Industry Research"),
    PublisherSpec("pacific-rim-analytics", "Pacific Rim Analytics"),
    PublisherSpec("greyline-research-partners", "Greyline Research Partners"),
    PublisherSpec("aldgate-chemical-economics", "Aldgate Chemical Economics"),
    PublisherSpec("continental-consumer-research", "Continental Consumer Research"),
    PublisherSpec("velocity-auto-intelligence", "Velocity Auto Intelligence"),
)

GLOBAL_REGIONS = node(
    "Region", "地区",
    node("Americas", "美洲", node("North America", "北美"), node("Latin America", "拉丁美洲")),
    node("Europe, Middle East & Africa", "欧洲、中东和非洲"),
    node("Asia-Pacific", "亚太地区"),
)

# What the reseller's page for 1994249 does not carry; titles, summary and key
# statistics come from the page itself.
CME_1994249 = dict(
    product_code="1994249",
    market=Node("Continuing Medical Education", "继续医学教育"),
    publisher="360iresearch",
    categories=("medical-education",),
    published_on=date(2026, 10, 20),
    pages=196,
    formats=ReportFormat.PDF_EXCEL,
    base_year=2025,
    forecast=(2026, 2032),
    # Priced by the editors in each currency (rounded, not converted); TWD shows only
    # where the shop sells it (SHOP_CURRENCIES).
    licences=(
        licences("USD", single_user=3939, multi_user=4249, enterprise=5759)
        + licences("EUR", single_user=3650, multi_user=3950, enterprise=5350)
        + licences("CNY", single_user=28300, multi_user=30500, enterprise=41400)
        + licences("TWD", single_user=126000, multi_user=135500, enterprise=183500)
    ),
    dimensions=(
        node(
            "Delivery Mode", "交付方式",
            node("In-Person", "线下",
                 node("Conferences", "会议"), node("Seminars", "研讨会"),
                 node("Symposia", "专题讨论会"), node("Workshops", "实操工作坊")),
            node("Online", "线上",
                 node("E-Learning Courses", "数字化学习课程"),
                 node("Virtual Simulations", "虚拟模拟"), node("Webinars", "网络研讨会")),
        ),
        node(
            "Specialty", "专业",
            node("Cardiology", "心脏病学"), node("Emergency Medicine", "急诊医学"),
            node("Family Medicine", "家庭医学"), node("Internal Medicine", "内科学"),
            node("Neurology", "神经病学"), node("Obstetrics & Gynecology", "妇产科学"),
            node("Oncology", "肿瘤学"), node("Pediatrics", "儿科学"),
            node("Psychiatry", "精神病学"), node("Surgery", "外科学"),
        ),
        node(
            "Target Audience", "目标受众",
            node("Dentists", "牙医"), node("Nurses", "护士"), node("Physicians", "医师"),
        ),
        node(
            "Provider", "提供者",
            node("Academic Institutions", "学术机构",
                 node("Medical Schools", "医学院"), node("Universities", "大学")),
            node("Commercial Organizations", "商业机构",
                 node("Medical Device Companies", "医疗器械公司"),
                 node("Pharmaceutical Companies", "制药公司")),
            node("Government Agencies", "政府机构",
                 node("Health Departments", "卫生部门"), node("Regulatory Bodies", "监管机构")),
            node("Professional Societies & Associations", "专业学会与协会",
                 node("Medical Associations", "医学协会"),
                 node("Specialty Societies", "专科学会")),
        ),
        GLOBAL_REGIONS,
    ),
    companies=(
        node("American Medical Association", "美国医学会"),
        node("Elsevier", "爱思唯尔"),
        node("Wolters Kluwer", "威科集团"),
        node("Medscape (WebMD Health Corp.)", "Medscape（WebMD Health Corp.）"),
        node("PeerView Institute for Medical Education", "PeerView医学教育研究所"),
        node("Pri-Med", "Pri-Med"),
    ),
    figures=30,
    tables=555,
    detailed_toc=True,
)


OTHER_REPORTS = (
    DemoReport(
        product_code="1987412",
        title_en="Wearable Cardiac Monitoring Devices Market by Product Type, End User, "
        "Distribution Channel - Global Forecast 2026-2032",
        title_zh="可穿戴心脏监测设备市场：按产品类型、最终用户和分销渠道划分-2026年至2032年全球市场预测",
        market=Node("Wearable Cardiac Monitoring Devices", "可穿戴心脏监测设备"),
        summary_en=(
            "Ambulatory cardiac monitoring has moved from the clinic to the patient's daily "
            "life. Adhesive patches that record for up to fourteen days, implantable loop "
            "recorders and consumer smartwatches with single-lead ECG now sit alongside the "
            "traditional 24-hour Holter monitor, and cardiologists increasingly choose the "
            "device by the length of monitoring a suspected arrhythmia needs.",
            "Reimbursement is the strongest lever on adoption. Where payers recognise "
            "extended monitoring and remote review by independent diagnostic testing "
            "facilities, mobile cardiac telemetry has grown fastest; where they do not, "
            "hospitals continue to favour reusable Holter equipment and in-house analysis.",
            "Algorithm-assisted interpretation is reshaping the economics of the category. "
            "Vendors that pair hardware with validated arrhythmia-detection software and "
            "a monitoring centre capture recurring service revenue, while device-only "
            "suppliers compete increasingly on price through distributors.",
            "Over the forecast period, home care settings and direct-to-consumer channels "
            "are expected to gain share, supported by clearer regulatory pathways for "
            "software as a medical device and by health systems' efforts to shorten "
            "hospital stays after cardiac events.",
        ),
        summary_zh=(
            "动态心脏监测正从诊室走向患者的日常生活。可连续记录长达十四天的贴片式设备、植入式循环记录仪以及具备单导联心电图功能的消费级智能手表，已与传统的24小时动态心电图监测仪并存，心脏科医生越来越多地根据疑似心律失常所需的监测时长来选择设备。",
            "医保支付是影响普及程度的最重要因素。在支付方认可延长监测和独立诊断机构远程判读的市场，移动心脏遥测增长最快；在尚未覆盖的市场，医院仍倾向于使用可重复使用的动态心电图设备并在院内完成分析。",
            "算法辅助判读正在改变该品类的经济模式。将硬件与经过验证的心律失常检测软件及监测中心相结合的供应商能够获得持续性的服务收入，而仅提供设备的供应商则更多地通过经销商开展价格竞争。",
            "在预测期内，居家护理和直接面向消费者的渠道预计将持续提升份额，其驱动力包括软件类医疗器械监管路径日趋清晰，以及医疗系统在心脏事件后缩短住院时间的努力。",
        ),
        meta_en="Wearable cardiac monitoring devices market size, share and forecast to 2032 by "
        "product type (Holter, event monitors, mobile cardiac telemetry, smartwatch ECG), end "
        "user and channel.",
        meta_zh="可穿戴心脏监测设备市场规模、份额及至2032年预测：按产品类型、最终用户和分销渠道细分。",
        publisher="northbridge-insights",
        categories=("medical-devices",),
        published_on=date(2025, 11, 3),
        pages=184,
        formats=ReportFormat.PDF_EXCEL,
        base_year=2025,
        forecast=(2026, 2032),
        statistics=statistics(base=(2025, "USD 6.84 billion"), estimated=(2026, "USD 7.52 billion"),
                              forecast=(2032, "USD 14.01 billion"), cagr="10.78%"),
        licences=licences("USD", single_user=3949, multi_user=4949, enterprise=6949),
        dimensions=(
            node("Product Type", "产品类型",
                 node("Holter Monitors", "动态心电图监测仪"),
                 node("Event Monitors", "事件监测仪",
                      node("Loop Recorders", "循环记录仪"),
                      node("Patch-Based Event Monitors", "贴片式事件监测仪")),
                 node("Mobile Cardiac Telemetry", "移动心脏遥测"),
                 node("Smartwatch ECG", "智能手表心电图")),
            node("End User", "最终用户",
                 node("Hospitals", "医院"), node("Ambulatory Surgical Centers", "门诊手术中心"),
                 node("Cardiology Clinics", "心脏专科诊所"), node("Home Care Settings", "居家护理")),
            node("Distribution Channel", "分销渠道",
                 node("Direct Sales", "直销"), node("Distributors", "经销商"),
                 node("Online Retail", "线上零售")),
            GLOBAL_REGIONS,
        ),
        companies=(
            node("iRhythm Technologies", "iRhythm Technologies"),
            node("Koninklijke Philips N.V.", "飞利浦"),
            node("Boston Scientific Corporation", "波士顿科学"),
            node("Medtronic plc", "美敦力"),
            node("AliveCor, Inc.", "AliveCor"),
        ),
        figures=28,
        tables=412,
    ),
    DemoReport(
        product_code="2003156",
        title_en="Veterinary Ophthalmic Surgical Instruments Market by Instrument Type, Animal "
        "Type, End User - Global Forecast 2026-2032",
        title_zh="兽医眼科手术器械市场：按器械类型、动物类型和最终用户划分-2026年至2032年全球市场预测",
        market=Node("Veterinary Ophthalmic Surgical Instruments", "兽医眼科手术器械"),
        summary_en=(
            "Veterinary ophthalmology is a small but specialised field. Cataract surgery in "
            "dogs, corneal repair and eyelid procedures require microsurgical instruments "
            "that mirror human ophthalmic designs, yet are sized and balanced for animal "
            "anatomy and purchased by practices with far smaller budgets than hospitals.",
            "Demand is concentrated in referral hospitals staffed by board-certified "
            "ophthalmologists, which buy complete instrument sets and phacoemulsification "
            "systems. General clinics purchase fewer, simpler instruments for routine "
            "procedures and rely heavily on distributors for advice and servicing.",
            "Rising pet insurance coverage and owners' willingness to pay for vision-saving "
            "surgery underpin steady growth, while refurbished human ophthalmic equipment "
            "remains an important, low-cost alternative that caps prices at the top end.",
        ),
        summary_zh=(
            "兽医眼科是一个规模不大但高度专业化的领域。犬类白内障手术、角膜修复和眼睑手术所需的显微手术器械与人用眼科器械设计相近，但须针对动物解剖结构调整尺寸和手感，且采购方多为预算远低于医院的动物诊疗机构。",
            "需求主要集中在配备专科认证眼科医生的转诊医院，这些医院会采购整套器械和超声乳化系统。普通诊所则为常规手术采购数量较少、结构较简单的器械，并在选型和维修方面高度依赖经销商。",
            "宠物保险覆盖率的提升以及宠物主人为保住视力而支付手术费用的意愿，支撑了市场的稳定增长；与此同时，翻新的人用眼科设备仍是重要的低成本替代方案，限制了高端产品的价格空间。",
        ),
        meta_en="Veterinary ophthalmic surgical instruments market forecast 2026-2032 by "
        "instrument type, animal type and end user.",
        meta_zh="兽医眼科手术器械市场2026年至2032年预测：按器械类型、动物类型和最终用户细分。",
        publisher="halden-moss-research",
        categories=("medical-devices",),
        published_on=date(2026, 2, 20),
        pages=128,
        formats=ReportFormat.PDF,
        base_year=2025,
        forecast=(2026, 2032),
        statistics=statistics(base=(2025, "USD 48.7 million"), estimated=(2026, "USD 51.9 million"),
                              forecast=(2032, "USD 75.28 million"), cagr="6.42%"),
        licences=licences("USD", single_user=2950, site=4450),
        dimensions=(
            node("Instrument Type", "器械类型",
                 node("Forceps", "镊子"), node("Scissors", "剪刀"),
                 node("Needle Holders", "持针器"),
                 node("Phacoemulsification Systems", "超声乳化系统"),
                 node("Speculums", "开睑器")),
            node("Animal Type", "动物类型",
                 node("Companion Animals", "伴侣动物", node("Dogs", "犬"), node("Cats", "猫")),
                 node("Equine", "马"), node("Livestock", "家畜")),
            node("End User", "最终用户",
                 node("Veterinary Hospitals", "兽医医院"), node("Veterinary Clinics", "兽医诊所"),
                 node("Academic & Research Institutes", "学术与研究机构")),
            GLOBAL_REGIONS,
        ),
        companies=(
            node("Sontec Instruments", "Sontec Instruments"),
            node("Katena Products", "Katena Products"),
            node("Integra LifeSciences", "Integra LifeSciences"),
            node("Bausch + Lomb", "博士伦"),
        ),
        figures=18,
        tables=236,
    ),
    DemoReport(
        product_code="1979904",
        title_en="Low-Code Development Platforms Market by Component, Deployment Model, "
        "Organization Size, Industry Vertical - Global Forecast 2026-2032",
        title_zh="低代码开发平台市场：按组件、部署模式、企业规模和行业划分-2026年至2032年全球市场预测",
        market=Node("Low-Code Development Platforms", "低代码开发平台"),
        summary_en=(
            "Low-code platforms let business analysts and professional developers assemble "
            "applications from visual models, prebuilt connectors and reusable components. "
            "What began as a way to clear departmental backlogs has become a strategic "
            "layer in enterprise architecture, governed centrally and used across hundreds "
            "of applications.",
            "Generative AI has changed the pitch. Platforms now turn natural-language "
            "requirements into data models, workflows and screens, which shortens delivery "
            "further but raises new questions about testing, security review and the "
            "long-term maintainability of generated logic.",
            "Large enterprises account for most spending, typically under multi-year "
            "subscriptions priced per application or per user, while small and medium "
            "enterprises adopt through cloud marketplaces. Banking, insurance and the "
            "public sector lead adoption, drawn by the need to modernise legacy systems "
            "without full rewrites.",
            "Competition is intensifying between hyperscalers that bundle low-code tools "
            "with their productivity suites and independent vendors that differentiate on "
            "governance, performance and support for complex, mission-critical workloads.",
        ),
        summary_zh=(
            "低代码平台让业务分析人员和专业开发人员能够通过可视化模型、预置连接器和可复用组件快速构建应用。它最初只是消化部门积压需求的手段，如今已成为企业架构中的战略层，由IT部门集中治理，并支撑数以百计的应用。",
            "生成式人工智能改变了低代码的价值主张。平台已能将自然语言描述的需求转化为数据模型、工作流和界面，进一步缩短交付周期，但也对测试、安全审查以及生成逻辑的长期可维护性提出了新的问题。",
            "大型企业贡献了大部分支出，通常采用按应用或按用户计价的多年期订阅；中小企业则更多通过云市场采购。银行、保险和公共部门在采用方面处于领先地位，原因在于它们需要在不全面重写的情况下实现遗留系统的现代化。",
            "将低代码工具与办公套件捆绑销售的超大规模云服务商，与在治理能力、性能以及对复杂关键业务负载的支持方面形成差异化的独立厂商之间，竞争正日趋激烈。",
        ),
        meta_en="Low-code development platforms market size and forecast 2026-2032 by "
        "component, deployment model, organization size and industry vertical.",
        meta_zh="低代码开发平台市场规模及2026年至2032年预测：按组件、部署模式、企业规模和行业细分。",
        publisher="keystone-market-intelligence",
        categories=("software",),
        published_on=date(2025, 9, 18),
        pages=212,
        formats=ReportFormat.PDF_EXCEL_PPT,
        base_year=2025,
        forecast=(2026, 2032),
        statistics=statistics(base=(2025, "USD 31.2 billion"), estimated=(2026, "USD 38.1 billion"),
                              forecast=(2032, "USD 124.36 billion"), cagr="21.84%"),
        licences=licences("USD", single_user=4250, multi_user=5250, site=6750, enterprise=8950),
        dimensions=(
            node("Component", "组件",
                 node("Platform", "平台"),
                 node("Services", "服务",
                      node("Professional Services", "专业服务"),
                      node("Managed Services", "托管服务"))),
            node("Deployment Model", "部署模式",
                 node("Cloud", "云端", node("Public Cloud", "公有云"),
                      node("Private Cloud", "私有云")),
                 node("On-Premises", "本地部署")),
            node("Organization Size", "企业规模",
                 node("Large Enterprises", "大型企业"),
                 node("Small & Medium Enterprises", "中小企业")),
            node("Industry Vertical", "行业",
                 node("Banking, Financial Services & Insurance", "银行、金融服务和保险"),
                 node("Government & Public Sector", "政府与公共部门"),
                 node("Healthcare", "医疗保健"), node("IT & Telecom", "信息技术与电信"),
                 node("Manufacturing", "制造业"), node("Retail & E-Commerce", "零售与电子商务")),
            GLOBAL_REGIONS,
        ),
        companies=(
            node("Microsoft Corporation", "微软"),
            node("Salesforce, Inc.", "Salesforce"),
            node("ServiceNow, Inc.", "ServiceNow"),
            node("OutSystems", "OutSystems"),
            node("Mendix (Siemens)", "Mendix（西门子）"),
            node("Appian Corporation", "Appian"),
        ),
        figures=32,
        tables=498,
    ),
    DemoReport(
        product_code="2011628",
        title_en="Japan Elderly Care Robotics Market by Robot Type, End User, Sales Model, "
        "Region - Forecast 2025-2031",
        title_zh="日本养老护理机器人市场：按机器人类型、最终用户、销售模式和地区划分-2025年至2031年市场预测",
        market=Node("Japan Elderly Care Robotics", "日本养老护理机器人"),
        summary_en=(
            "Japan's care sector faces a widening gap between the number of older people "
            "needing support and the number of care workers available. Robots that help "
            "transfer residents from bed to wheelchair, exoskeletons that reduce lumbar "
            "strain and sensors that watch over residents at night have moved from pilot "
            "projects to routine procurement in many facilities.",
            "Public funding shapes the market. Subsidies for care-robot purchases and the "
            "additional long-term care insurance fees granted to facilities that use "
            "monitoring technology to reduce night-shift staffing have made the business "
            "case easier to prove, particularly for larger operators.",
            "Leasing and robot-as-a-service models are gaining ground because they lower "
            "upfront cost and include training and maintenance, which facility managers "
            "cite as the main obstacles to adoption alongside staff acceptance.",
        ),
        summary_zh=(
            "日本养老护理行业面临需要照护的老年人数量与可用护理人员数量之间日益扩大的缺口。协助护理对象在床与轮椅之间移乘的机器人、减轻腰部负担的外骨骼以及夜间看护传感器，已在许多机构中从试点项目转为常规采购。",
            "公共资金是塑造市场的关键力量。护理机器人购置补贴，以及对利用监护技术减少夜班人员配置的机构给予的长期护理保险加算，使投资回报更易论证，对大型运营商尤其如此。",
            "租赁和机器人即服务模式正日益普及，因为它们降低了前期投入并包含培训和维护服务，而机构管理者认为这些正是除员工接受度之外阻碍普及的主要障碍。",
        ),
        meta_en="Japan elderly care robotics market forecast 2025-2031 by robot type, end user, "
        "sales model and region, with market sizes in JPY.",
        meta_zh="日本养老护理机器人市场2025年至2031年预测：按机器人类型、最终用户、销售模式和地区细分，以日元计。",
        publisher="kaiyo-market-research",
        categories=("robotics-automation", "elderly-care"),
        published_on=date(2025, 8, 26),
        pages=146,
        formats=ReportFormat.PDF_EXCEL,
        base_year=2024,
        forecast=(2025, 2031),
        statistics=statistics(base=(2024, "JPY 128.6 billion"), estimated=(2025, "JPY 149.3 billion"),
                              forecast=(2031, "JPY 377.72 billion"), cagr="16.64%"),
        licences=licences("USD", single_user=3490, enterprise=5790),
        dimensions=(
            node("Robot Type", "机器人类型",
                 node("Transfer & Mobility Assist Robots", "移乘与移动辅助机器人"),
                 node("Exoskeletons", "外骨骼"),
                 node("Monitoring & Communication Robots", "监护与沟通机器人"),
                 node("Excretion Support Devices", "排泄辅助设备"),
                 node("Bathing Assist Robots", "沐浴辅助机器人")),
            node("End User", "最终用户",
                 node("Nursing Homes", "养老院"), node("Home Care", "居家护理"),
                 node("Hospitals", "医院"), node("Day Care Centers", "日间照料中心")),
            node("Sales Model", "销售模式",
                 node("Direct Purchase", "直接购买"), node("Leasing & Rental", "租赁"),
                 node("Robot-as-a-Service", "机器人即服务")),
            node("Region", "地区",
                 node("Kanto", "关东"), node("Kansai", "关西"), node("Chubu", "中部"),
                 node("Kyushu & Okinawa", "九州和冲绳"), node("Other Regions", "其他地区")),
        ),
        companies=(
            node("CYBERDYNE Inc.", "CYBERDYNE"),
            node("Panasonic Holdings Corporation", "松下控股"),
            node("FUJI Corporation", "富士株式会社"),
            node("Toyota Motor Corporation", "丰田汽车"),
            node("Paramount Bed Co., Ltd.", "八乐梦床业"),
        ),
        figures=22,
        tables=264,
    ),
    DemoReport(
        product_code="1998735",
        title_en="China New Energy Vehicle Charging Infrastructure Market by Charger Type, "
        "Application, Operator Type, Region - Forecast 2026-2032",
        title_zh="中国新能源汽车充电基础设施市场：按充电桩类型、应用场景、运营商类型和地区划分-2026年至2032年市场预测",
        market=Node("China New Energy Vehicle Charging Infrastructure", "中国新能源汽车充电基础设施"),
        summary_en=(
            "China operates the world's largest charging network, and its growth now "
            "depends less on the number of chargers than on where they are and how well "
            "they are used. Utilisation varies widely between dense urban hubs and "
            "highway service areas that are crowded on holidays and idle for much of the "
            "year.",
            "DC fast charging above 120 kW is the fastest-growing segment as 800-volt "
            "vehicle platforms spread, while battery swapping remains concentrated in "
            "taxi, ride-hailing and heavy-truck fleets where downtime is costly.",
            "Operators are shifting from land-grab expansion to profitability: they are "
            "adding storage and photovoltaic capacity to charging sites, taking part in "
            "demand response programmes and selling software and operations services to "
            "property owners and fleets.",
        ),
        summary_zh=(
            "中国拥有全球规模最大的充电网络，其增长如今更多取决于充电桩的布局与利用率，而非数量。人口密集的城市充电站与高速公路服务区之间的利用率差异悬殊，后者在节假日一桩难求，而在一年中的大部分时间则处于闲置状态。",
            "随着800伏高压车型平台的普及，120千瓦以上的直流快充是增长最快的细分市场；换电模式则仍主要集中在出租车、网约车和重卡车队等停运成本较高的领域。",
            "运营商正从跑马圈地式扩张转向追求盈利：在充电站配建储能和光伏设施，参与需求响应，并向物业业主和车队提供软件及运营服务。",
        ),
        meta_en="China NEV charging infrastructure market in CNY, 2026-2032: AC, DC fast "
        "charging and battery swapping by application, operator type and region.",
        meta_zh="中国新能源汽车充电基础设施市场（人民币计）2026年至2032年预测：交流慢充、直流快充和换电，按应用场景、运营商类型和地区细分。",
        publisher="huaxin-industry-research",
        categories=("ev-charging", "electric-vehicles"),
        published_on=date(2026, 4, 22),
        pages=168,
        formats=ReportFormat.PDF_EXCEL,
        base_year=2025,
        forecast=(2026, 2032),
        statistics=statistics(base=(2025, "CNY 186.4 billion"), estimated=(2026, "CNY 221.7 billion"),
                              forecast=(2032, "CNY 609.81 billion"), cagr="18.45%"),
        licences=licences("USD", single_user=3690, multi_user=5490, enterprise=7990),
        dimensions=(
            node("Charger Type", "充电桩类型",
                 node("AC Chargers", "交流充电桩"),
                 node("DC Fast Chargers", "直流快充桩",
                      node("Up to 120 kW", "120千瓦及以下"),
                      node("Above 120 kW", "120千瓦以上")),
                 node("Battery Swapping Stations", "换电站")),
            node("Application", "应用场景",
                 node("Public Charging", "公共充电",
                      node("Urban Charging Hubs", "城市充电站"),
                      node("Highway Service Areas", "高速公路服务区")),
                 node("Private & Residential", "私人及住宅"),
                 node("Fleet & Logistics", "车队与物流")),
            node("Operator Type", "运营商类型",
                 node("State-Owned Utilities", "国有电网企业"),
                 node("Independent Charging Operators", "独立充电运营商"),
                 node("Automakers", "汽车制造商")),
            node("Region", "地区",
                 node("East China", "华东"), node("South China", "华南"),
                 node("North China", "华北"), node("Central China", "华中"),
                 node("Southwest China", "西南"),
                 node("Northeast & Northwest China", "东北及西北")),
        ),
        companies=(
            node("TELD New Energy", "特来电"),
            node("Star Charge", "星星充电"),
            node("State Grid Corporation of China", "国家电网"),
            node("YKC", "云快充"),
            node("NIO Power", "蔚来能源"),
        ),
        figures=26,
        tables=318,
    ),
    DemoReport(
        product_code="2007390",
        title_en="China Industrial Internet Market by Layer, Application, Industry, Enterprise "
        "Size - Forecast 2026-2032",
        title_zh="中国工业互联网市场：按层级、应用、行业和企业规模划分-2026年至2032年市场预测",
        market=Node("China Industrial Internet", "中国工业互联网"),
        summary_en=(
            "The industrial internet connects machines, production lines and supply chains "
            "to shared data platforms. In China it is a national priority: policy has "
            "funded identification and resolution infrastructure, private 5G networks in "
            "factories and cross-industry platforms that serve hundreds of thousands of "
            "manufacturers.",
            "Large manufacturers are moving from isolated pilots to plant-wide deployments "
            "that link equipment monitoring, scheduling and quality inspection. Small and "
            "medium manufacturers adopt more cautiously, mostly through subsidised cloud "
            "applications for equipment management and order tracking.",
            "Platform providers are consolidating around a handful of cross-industry "
            "leaders and many industry-specific specialists, and industrial AI models for "
            "process optimisation are becoming the main battleground for differentiation.",
            "Security is rising up the agenda as more operational technology is connected, "
            "and classified protection requirements now influence architecture decisions "
            "in energy, raw materials and equipment manufacturing.",
        ),
        summary_zh=(
            "工业互联网将设备、产线和供应链连接到共享的数据平台。在中国，工业互联网是国家重点发展方向：政策资金支持了标识解析体系、工厂内5G专网建设，以及服务数十万家制造企业的跨行业跨领域平台。",
            "大型制造企业正从单点试点走向全厂部署，将设备监测、生产排程和质量检测打通。中小制造企业的采用则更为谨慎，主要通过获得补贴的云端设备管理和订单跟踪应用起步。",
            "平台服务商正逐步形成少数跨行业龙头与众多行业专精型企业并存的格局，面向工艺优化的工业人工智能大模型正成为差异化竞争的主战场。",
            "随着越来越多的运营技术接入网络，安全问题日益受到重视，分类分级防护要求正在影响能源、原材料和装备制造等行业的架构决策。",
        ),
        meta_en="China industrial internet market worth CNY 1.35 trillion in 2025: network, "
        "platform and security layers, applications and industries, forecast to 2032.",
        meta_zh="2025年中国工业互联网市场规模达1.35万亿元人民币：网络、平台与安全层级、应用及行业细分，预测至2032年。",
        publisher="pacific-rim-analytics",
        categories=("industrial-internet", "software"),
        published_on=date(2025, 12, 1),
        pages=152,
        formats=ReportFormat.PDF_EXCEL,
        base_year=2025,
        forecast=(2026, 2032),
        statistics=statistics(base=(2025, "CNY 1.35 trillion"), estimated=(2026, "CNY 1.52 trillion"),
                              forecast=(2032, "CNY 2.84 trillion"), cagr="11.20%"),
        licences=licences("USD", single_user=3200, multi_user=4800, enterprise=6400),
        dimensions=(
            node("Layer", "层级",
                 node("Network", "网络"), node("Platform", "平台"), node("Security", "安全"),
                 node("Identification & Resolution", "标识解析")),
            node("Application", "应用",
                 node("Equipment Monitoring & Predictive Maintenance", "设备监测与预测性维护"),
                 node("Production Optimization", "生产优化"),
                 node("Supply Chain Collaboration", "供应链协同"),
                 node("Quality Management", "质量管理")),
            node("Industry", "行业",
                 node("Equipment Manufacturing", "装备制造"), node("Electronics", "电子"),
                 node("Raw Materials", "原材料"), node("Consumer Goods", "消费品"),
                 node("Energy & Utilities", "能源与公用事业")),
            node("Enterprise Size", "企业规模",
                 node("Large Enterprises", "大型企业"),
                 node("Small & Medium Enterprises", "中小企业")),
        ),
        companies=(
            node("Haier COSMOPlat", "海尔卡奥斯"),
            node("Huawei Technologies", "华为"),
            node("Alibaba Cloud", "阿里云"),
            node("Rootcloud", "树根互联"),
            node("Foxconn Industrial Internet", "工业富联"),
        ),
        figures=24,
        tables=286,
    ),
    DemoReport(
        product_code="1990518",
        title_en="Lithium-Ion Battery Recycling Market by Chemistry, Process, Source - Global "
        "Forecast 2026-2032",
        title_zh="锂离子电池回收市场：按电池化学体系、工艺和来源划分-2026年至2032年全球市场预测",
        market=Node("Lithium-Ion Battery Recycling", "锂离子电池回收"),
        summary_en=(
            "The first large wave of electric-vehicle batteries is reaching end of life, "
            "and production scrap from gigafactories already supplies most recyclers "
            "today. Recovering lithium, nickel, cobalt and manganese has become a question "
            "of supply security as much as of waste management.",
            "Hydrometallurgical processes dominate new capacity because they recover "
            "lithium at high yields and with lower energy use than smelting, while direct "
            "recycling of cathode material is moving from laboratory to pilot lines, "
            "promising better economics for lithium iron phosphate batteries.",
            "Regulation is a decisive driver: recycled-content targets and battery "
            "passports in the European Union, extended producer responsibility rules in "
            "China and incentives for domestic material processing in the United States "
            "all favour regional recycling capacity close to battery production.",
        ),
        summary_zh=(
            "第一批大规模退役的电动汽车电池正在到来，而目前大多数回收企业的原料仍主要来自超级工厂的生产废料。回收锂、镍、钴和锰已不仅是废弃物管理问题，更关乎原材料供应安全。",
            "湿法冶金工艺在新增产能中占据主导地位，因为其锂回收率高、能耗低于火法冶炼；正极材料直接回收技术正从实验室走向中试线，有望改善磷酸铁锂电池回收的经济性。",
            "法规是决定性的驱动因素：欧盟的再生材料含量目标和电池护照、中国的生产者责任延伸制度以及美国对本土材料加工的激励措施，都有利于在电池生产地附近布局区域性回收产能。",
        ),
        meta_en="Lithium-ion battery recycling market forecast 2026-2032 by chemistry (LFP, NMC, "
        "NCA, LCO), process and battery source.",
        meta_zh="锂离子电池回收市场2026年至2032年预测：按电池化学体系（磷酸铁锂、镍钴锰、镍钴铝、钴酸锂）、工艺和来源细分。",
        publisher="greyline-research-partners",
        categories=("energy-storage", "specialty-chemicals"),
        published_on=date(2026, 6, 30),
        pages=190,
        formats=ReportFormat.PDF_EXCEL,
        base_year=2025,
        forecast=(2026, 2032),
        statistics=statistics(base=(2025, "USD 7.94 billion"), estimated=(2026, "USD 9.61 billion"),
                              forecast=(2032, "USD 29.04 billion"), cagr="20.35%"),
        licences=licences("USD", single_user=4490, multi_user=5990, enterprise=7990),
        dimensions=(
            node("Chemistry", "电池化学体系",
                 node("Lithium Iron Phosphate (LFP)", "磷酸铁锂（LFP）"),
                 node("Nickel Manganese Cobalt (NMC)", "镍钴锰（NMC）"),
                 node("Nickel Cobalt Aluminum (NCA)", "镍钴铝（NCA）"),
                 node("Lithium Cobalt Oxide (LCO)", "钴酸锂（LCO）")),
            node("Process", "工艺",
                 node("Hydrometallurgical", "湿法冶金"), node("Pyrometallurgical", "火法冶金"),
                 node("Direct Recycling", "直接回收")),
            node("Source", "来源",
                 node("Electric Vehicles", "电动汽车"), node("Consumer Electronics", "消费电子"),
                 node("Energy Storage Systems", "储能系统"), node("Industrial", "工业")),
            GLOBAL_REGIONS,
        ),
        companies=(
            node("Umicore", "优美科"),
            node("GEM Co., Ltd.", "格林美"),
            node("Brunp Recycling", "邦普循环"),
            node("Redwood Materials", "Redwood Materials"),
            node("Li-Cycle Holdings", "Li-Cycle"),
            node("Ascend Elements", "Ascend Elements"),
        ),
        figures=27,
        tables=344,
    ),
    DemoReport(
        product_code="2005271",
        title_en="Bio-based Polyamides Market by Type, Application, Form - Global Forecast "
        "2026-2032",
        title_zh="生物基聚酰胺市场：按类型、应用和形态划分-2026年至2032年全球市场预测",
        market=Node("Bio-based Polyamides", "生物基聚酰胺"),
        summary_en=(
            "Bio-based polyamides are made wholly or partly from renewable feedstocks such "
            "as castor oil and bio-derived diacids. Grades like PA 11 and PA 1010 combine "
            "lower carbon footprints with chemical resistance and flexibility that make "
            "them established choices for fuel lines, pneumatic tubing and sports goods.",
            "Automotive remains the largest application, but electronics and consumer "
            "goods are growing faster as brand owners set recycled and bio-based content "
            "targets. Textile fibres are an emerging outlet where bio-based PA 56 and "
            "PA 510 compete with conventional nylon 6.",
            "Feedstock concentration is the main risk: castor beans are grown mostly in "
            "India, which exposes supply and prices to monsoon variability. Producers are "
            "responding with long-term sourcing programmes and by developing alternative "
            "fermentation-based monomers.",
        ),
        summary_zh=(
            "生物基聚酰胺全部或部分以蓖麻油和生物基二元酸等可再生原料制成。PA 11和PA 1010等牌号兼具较低的碳足迹以及良好的耐化学性和柔韧性，已成为燃油管路、气动管材和运动用品的成熟选择。",
            "汽车仍是最大的应用领域，但随着品牌商设定再生及生物基含量目标，电子电气和消费品领域增长更快。纺织纤维是新兴的应用方向，生物基PA 56和PA 510正与传统尼龙6展开竞争。",
            "原料集中是主要风险：蓖麻主要产自印度，供应和价格易受季风变化影响。生产商正通过长期采购计划以及开发基于发酵工艺的替代单体加以应对。",
        ),
        meta_en="Bio-based polyamides market (PA 11, PA 610, PA 1010, PA 410) forecast "
        "2026-2032 by application and form.",
        meta_zh="生物基聚酰胺（PA 11、PA 610、PA 1010、PA 410）市场2026年至2032年预测：按应用和形态细分。",
        publisher="aldgate-chemical-economics",
        categories=("polymers-plastics",),
        published_on=date(2026, 5, 14),
        pages=136,
        formats=ReportFormat.PDF,
        base_year=2025,
        forecast=(2026, 2032),
        statistics=statistics(base=(2025, "USD 812.4 million"), estimated=(2026, "USD 874.6 million"),
                              forecast=(2032, "USD 1.38 billion"), cagr="7.86%"),
        licences=licences("USD", single_user=3750, enterprise=5250),
        dimensions=(
            node("Type", "类型",
                 node("PA 11", "PA 11"), node("PA 610", "PA 610"), node("PA 1010", "PA 1010"),
                 node("PA 410", "PA 410"), node("Others", "其他")),
            node("Application", "应用",
                 node("Automotive", "汽车",
                      node("Fuel Lines", "燃油管路"),
                      node("Under-the-Hood Components", "发动机舱部件")),
                 node("Electrical & Electronics", "电子电气"), node("Textiles", "纺织"),
                 node("Consumer Goods", "消费品"), node("Industrial", "工业")),
            node("Form", "形态",
                 node("Pellets", "颗粒"), node("Fibers", "纤维"), node("Powders", "粉末")),
            GLOBAL_REGIONS,
        ),
        companies=(
            node("Arkema S.A.", "阿科玛"),
            node("Evonik Industries AG", "赢创工业"),
            node("BASF SE", "巴斯夫"),
            node("Toray Industries, Inc.", "东丽"),
            node("Cathay Biotech Inc.", "凯赛生物"),
        ),
        figures=20,
        tables=248,
    ),
    DemoReport(
        product_code="1984067",
        title_en="Europe Plant-Based Dairy Alternatives Market by Product, Distribution "
        "Channel, Country - Forecast 2026-2032",
        title_zh="欧洲植物基乳制品替代品市场：按产品、分销渠道和国家划分-2026年至2032年市场预测",
        market=Node("Europe Plant-Based Dairy Alternatives", "欧洲植物基乳制品替代品"),
        summary_en=(
            "Plant-based milk is now a mainstream grocery item in much of Europe, with oat "
            "drinks overtaking soy and almond in several countries. Growth has slowed from "
            "the double-digit rates of the early 2020s as household budgets tightened, but "
            "the category keeps gaining share of total dairy spending.",
            "Retailers' private labels have captured a large share of volume by closing "
            "the price gap with cow's milk, pushing branded producers toward barista "
            "formulations, fortified products and foodservice partnerships with coffee "
            "chains.",
            "Cheese and yogurt alternatives are the next frontier but remain held back by "
            "taste and texture. Fermentation-derived proteins and hybrid products are "
            "expected to narrow that gap, and reduced VAT rates on plant-based drinks in "
            "some markets would improve price competitiveness further.",
        ),
        summary_zh=(
            "在欧洲大部分地区，植物奶已成为主流日用品，燕麦饮品在多个国家的销量已超过豆奶和杏仁奶。随着家庭预算收紧，增速已从本世纪20年代初的两位数回落，但该品类在乳制品总支出中的份额仍在持续提升。",
            "零售商自有品牌通过缩小与牛奶的价格差距，获得了相当大的销量份额，迫使品牌生产商转向咖啡师专用配方、营养强化产品以及与连锁咖啡店的餐饮渠道合作。",
            "奶酪和酸奶替代品是下一个增长领域，但仍受制于口感和质地。发酵来源蛋白和混合型产品有望缩小这一差距；若部分市场下调植物基饮品增值税税率，其价格竞争力将进一步提升。",
        ),
        meta_en="Europe plant-based dairy alternatives market in EUR: milk, yogurt, cheese and "
        "ice cream by channel and country, forecast 2026-2032.",
        meta_zh="欧洲植物基乳制品替代品市场（欧元计）：植物奶、酸奶、奶酪和冰淇淋，按渠道和国家细分，预测期2026年至2032年。",
        publisher="continental-consumer-research",
        categories=("dairy-alternatives", "alternative-proteins"),
        published_on=date(2025, 10, 27),
        pages=160,
        formats=ReportFormat.PDF_EXCEL,
        base_year=2025,
        forecast=(2026, 2032),
        statistics=statistics(base=(2025, "EUR 7.95 billion"), estimated=(2026, "EUR 8.61 billion"),
                              forecast=(2032, "EUR 13.70 billion"), cagr="8.08%"),
        licences=licences("USD", single_user=3590, multi_user=4990, enterprise=6790),
        dimensions=(
            node("Product", "产品",
                 node("Plant-Based Milk", "植物奶",
                      node("Oat", "燕麦"), node("Soy", "大豆"), node("Almond", "杏仁"),
                      node("Pea", "豌豆")),
                 node("Plant-Based Yogurt", "植物基酸奶"),
                 node("Plant-Based Cheese", "植物基奶酪"),
                 node("Plant-Based Ice Cream", "植物基冰淇淋")),
            node("Distribution Channel", "分销渠道",
                 node("Supermarkets & Hypermarkets", "超市和大卖场"),
                 node("Convenience Stores", "便利店"), node("Online Retail", "线上零售"),
                 node("Foodservice", "餐饮服务")),
            node("Country", "国家",
                 node("Germany", "德国"), node("United Kingdom", "英国"), node("France", "法国"),
                 node("Italy", "意大利"), node("Spain", "西班牙"), node("Netherlands", "荷兰"),
                 node("Nordics", "北欧"), node("Rest of Europe", "欧洲其他地区")),
        ),
        companies=(
            node("Oatly Group AB", "Oatly"),
            node("Danone S.A. (Alpro)", "达能（Alpro）"),
            node("Upfield", "Upfield"),
            node("Ecotone", "Ecotone"),
            node("Arla Foods", "爱氏晨曦"),
        ),
        figures=21,
        tables=276,
    ),
    DemoReport(
        product_code="2009944",
        title_en="Automotive LiDAR Sensors Market by Technology, Range, Vehicle Type, "
        "Application - Global Forecast 2026-2032",
        title_zh="汽车激光雷达传感器市场：按技术、探测距离、车辆类型和应用划分-2026年至2032年全球市场预测",
        market=Node("Automotive LiDAR Sensors", "汽车激光雷达传感器"),
        summary_en=(
            "LiDAR has crossed from robotaxi prototypes into series-production passenger "
            "cars. Chinese automakers in particular fit long-range LiDAR to mid-priced "
            "models as part of urban navigation-on-autopilot features, which has driven "
            "unit prices down sharply and volumes up.",
            "Semi-solid-state designs based on rotating mirrors or MEMS scanners dominate "
            "current production, while flash and optical phased array architectures "
            "promise fully solid-state sensors that are smaller, cheaper and easier to "
            "integrate behind the windscreen or into headlamps.",
            "Suppliers face intense price competition and consolidation. Those winning "
            "programmes combine automotive-grade manufacturing scale with perception "
            "software, and several have diversified into robotics and industrial "
            "automation to balance the cyclical automotive business.",
            "Trade policy adds uncertainty: tariffs and restrictions on connected-vehicle "
            "components affect where sensors can be sourced for vehicles sold in North "
            "America and Europe.",
        ),
        summary_zh=(
            "激光雷达已从自动驾驶出租车原型车走向量产乘用车。尤其是中国汽车制造商，已在中等价位车型上配备远距激光雷达，以支持城市领航辅助驾驶功能，推动单价大幅下降、出货量快速增长。",
            "基于转镜或MEMS扫描的半固态方案主导着当前的量产，而泛光式和光学相控阵架构有望实现体积更小、成本更低、更易集成于挡风玻璃后或车灯内的纯固态传感器。",
            "供应商面临激烈的价格竞争和行业整合。赢得定点项目的企业兼具车规级制造规模和感知软件能力，其中多家已拓展至机器人和工业自动化领域，以平衡汽车业务的周期性。",
            "贸易政策增加了不确定性：关税以及对网联汽车零部件的限制，影响着在北美和欧洲销售的车辆可从何处采购传感器。",
        ),
        meta_en="Automotive LiDAR sensors market forecast 2026-2032 by technology (mechanical, "
        "MEMS, flash, OPA), range, vehicle type and application.",
        meta_zh="汽车激光雷达传感器市场2026年至2032年预测：按技术（机械式、MEMS、泛光式、光学相控阵）、探测距离、车辆类型和应用细分。",
        publisher="velocity-auto-intelligence",
        categories=("adas-autonomous-driving", "semiconductors"),
        published_on=date(2026, 8, 5),
        pages=204,
        formats=ReportFormat.PDF_EXCEL_PPT,
        base_year=2025,
        forecast=(2026, 2032),
        statistics=statistics(base=(2025, "USD 2.14 billion"), estimated=(2026, "USD 2.71 billion"),
                              forecast=(2032, "USD 11.80 billion"), cagr="27.62%"),
        licences=licences("USD", single_user=4150, multi_user=5650, enterprise=7450),
        dimensions=(
            node("Technology", "技术",
                 node("Mechanical", "机械式"),
                 node("Solid-State", "固态",
                      node("MEMS", "MEMS"), node("Flash", "泛光式"),
                      node("Optical Phased Array", "光学相控阵"))),
            node("Range", "探测距离",
                 node("Short Range", "短距"), node("Medium Range", "中距"),
                 node("Long Range", "远距")),
            node("Vehicle Type", "车辆类型",
                 node("Passenger Cars", "乘用车"), node("Commercial Vehicles", "商用车"),
                 node("Robotaxis", "自动驾驶出租车")),
            node("Application", "应用",
                 node("ADAS", "高级驾驶辅助系统"), node("Autonomous Driving", "自动驾驶")),
            GLOBAL_REGIONS,
        ),
        companies=(
            node("Hesai Group", "禾赛科技"),
            node("RoboSense", "速腾聚创"),
            node("Valeo", "法雷奥"),
            node("Luminar Technologies", "Luminar"),
            node("Innoviz Technologies", "Innoviz"),
            node("Seyond", "图达通"),
        ),
        figures=31,
        tables=402,
    ),
)
