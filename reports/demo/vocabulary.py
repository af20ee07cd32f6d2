"""Words synthetic report titles are built from, in English and Chinese.

Products are grouped by the demo category they belong in, so a synthetic report
lands in a plausible category. Chinese titles are real Chinese text, so Chinese
substring search ("输液泵", "储能") can be tested at scale.
"""

PRODUCTS_BY_CATEGORY = {
    "medical-education": [
        ("Medical Simulation Training", "医学模拟培训"),
        ("Nursing Education Software", "护理教育软件"),
        ("Surgical Skills Training", "外科技能培训"),
        ("Healthcare E-Learning", "医疗在线学习"),
        ("Clinical Decision Support Training", "临床决策支持培训"),
        ("Anatomy Visualization Software", "解剖可视化软件"),
    ],
    "medical-devices": [
        ("Infusion Pumps", "输液泵"),
        ("Patient Monitoring Systems", "病人监护系统"),
        ("Surgical Robots", "手术机器人"),
        ("Orthopedic Implants", "骨科植入物"),
        ("Continuous Glucose Monitors", "连续血糖监测仪"),
        ("Hearing Aids", "助听器"),
        ("Ultrasound Systems", "超声诊断系统"),
        ("Dialysis Equipment", "透析设备"),
        ("Endoscopes", "内窥镜"),
    ],
    "pharmaceuticals": [
        ("Biosimilars", "生物类似药"),
        ("Oncology Drugs", "肿瘤药物"),
        ("Vaccine Adjuvants", "疫苗佐剂"),
        ("Contract Drug Manufacturing", "药品合同生产"),
        ("Active Pharmaceutical Ingredients", "原料药"),
        ("Cell and Gene Therapy", "细胞与基因治疗"),
    ],
    "elderly-care": [
        ("Home Healthcare Services", "居家医疗服务"),
        ("Fall Detection Systems", "跌倒检测系统"),
        ("Assisted Living Facilities", "辅助生活设施"),
        ("Mobility Aids", "助行器具"),
        ("Remote Patient Monitoring", "远程病人监护"),
    ],
    "software": [
        ("Cybersecurity Software", "网络安全软件"),
        ("Customer Relationship Management Software", "客户关系管理软件"),
        ("Enterprise Resource Planning Software", "企业资源计划软件"),
        ("Data Analytics Platforms", "数据分析平台"),
        ("Observability Tools", "可观测性工具"),
        ("Identity and Access Management", "身份与访问管理"),
        ("Digital Twin Software", "数字孪生软件"),
    ],
    "robotics-automation": [
        ("Collaborative Robots", "协作机器人"),
        ("Autonomous Mobile Robots", "自主移动机器人"),
        ("Machine Vision Systems", "机器视觉系统"),
        ("Industrial Robots", "工业机器人"),
        ("Warehouse Automation", "仓储自动化"),
        ("Service Robots", "服务机器人"),
    ],
    "industrial-internet": [
        ("Industrial IoT Platforms", "工业物联网平台"),
        ("Predictive Maintenance Solutions", "预测性维护解决方案"),
        ("Edge Computing Gateways", "边缘计算网关"),
        ("Manufacturing Execution Systems", "制造执行系统"),
        ("Private 5G Networks", "5G专网"),
    ],
    "semiconductors": [
        ("Power Semiconductors", "功率半导体"),
        ("Silicon Carbide Wafers", "碳化硅晶圆"),
        ("Image Sensors", "图像传感器"),
        ("Memory Chips", "存储芯片"),
        ("Advanced Packaging", "先进封装"),
        ("Photonic Integrated Circuits", "光子集成电路"),
    ],
    "energy-storage": [
        ("Lithium-Ion Batteries", "锂离子电池"),
        ("Battery Energy Storage Systems", "电池储能系统"),
        ("Sodium-Ion Batteries", "钠离子电池"),
        ("Flow Batteries", "液流电池"),
        ("Solid-State Batteries", "固态电池"),
        ("Battery Management Systems", "电池管理系统"),
    ],
    "ev-charging": [
        ("EV Charging Stations", "电动汽车充电站"),
        ("Wireless EV Charging", "电动汽车无线充电"),
        ("Charging Management Software", "充电管理软件"),
        ("Battery Swapping", "换电服务"),
        ("Bidirectional Chargers", "双向充电桩"),
    ],
    "renewable-energy": [
        ("Solar Photovoltaic Modules", "太阳能光伏组件"),
        ("Offshore Wind Turbines", "海上风电机组"),
        ("Green Hydrogen", "绿色氢能"),
        ("Solar Inverters", "光伏逆变器"),
        ("Geothermal Power", "地热发电"),
        ("Biomass Power", "生物质发电"),
    ],
    "specialty-chemicals": [
        ("Water Treatment Chemicals", "水处理化学品"),
        ("Specialty Coatings", "特种涂料"),
        ("Industrial Enzymes", "工业酶"),
        ("Electronic Chemicals", "电子化学品"),
        ("Flame Retardants", "阻燃剂"),
        ("Adhesives and Sealants", "胶粘剂和密封剂"),
    ],
    "polymers-plastics": [
        ("Biodegradable Plastics", "可降解塑料"),
        ("Engineering Plastics", "工程塑料"),
        ("Recycled PET", "再生PET"),
        ("Polyurethane Foam", "聚氨酯泡沫"),
        ("Fluoropolymers", "含氟聚合物"),
        ("Thermoplastic Elastomers", "热塑性弹性体"),
    ],
    "dairy-alternatives": [
        ("Infant Formula", "婴幼儿配方奶粉"),
        ("Oat Milk", "燕麦奶"),
        ("Cheese", "奶酪"),
        ("Probiotic Yogurt", "益生菌酸奶"),
        ("Whey Protein", "乳清蛋白"),
    ],
    "alternative-proteins": [
        ("Plant-Based Meat", "植物肉"),
        ("Cultivated Meat", "细胞培养肉"),
        ("Insect Protein", "昆虫蛋白"),
        ("Mycoprotein", "真菌蛋白"),
        ("Pea Protein", "豌豆蛋白"),
    ],
    "adas-autonomous-driving": [
        ("Automotive Radar", "汽车雷达"),
        ("Driver Monitoring Systems", "驾驶员监测系统"),
        ("Autonomous Trucks", "自动驾驶卡车"),
        ("High-Definition Maps", "高精地图"),
        ("Automotive Cameras", "车载摄像头"),
    ],
    "electric-vehicles": [
        ("Electric Buses", "电动公交车"),
        ("Electric Motorcycles", "电动摩托车"),
        ("EV Traction Motors", "电动汽车驱动电机"),
        ("Onboard Chargers", "车载充电机"),
        ("EV Thermal Management Systems", "电动汽车热管理系统"),
    ],
}

QUALIFIERS = [
    ("Smart", "智能"),
    ("Portable", "便携式"),
    ("Automated", "自动化"),
    ("Next-Generation", "新一代"),
    ("Modular", "模块化"),
    ("Compact", "紧凑型"),
    ("Commercial", "商用"),
    ("Advanced", "先进"),
    ("Integrated", "集成式"),
    ("High-Performance", "高性能"),
    ("Sustainable", "可持续"),
    ("Connected", "互联"),
]

DIMENSIONS = [
    ("Product Type", "产品类型"),
    ("Component", "组件"),
    ("Technology", "技术"),
    ("Application", "应用"),
    ("End User", "最终用户"),
    ("Distribution Channel", "分销渠道"),
    ("Deployment Model", "部署模式"),
    ("Material", "材料"),
    ("Form", "形态"),
    ("Type", "类型"),
    ("Service", "服务"),
    ("Organization Size", "企业规模"),
    ("Capacity", "容量"),
    ("Price Range", "价格区间"),
    ("Sales Channel", "销售渠道"),
    ("Industry Vertical", "行业"),
    ("Grade", "等级"),
    ("Source", "来源"),
    ("Mode of Operation", "运行模式"),
]

# (English prefix, Chinese prefix, English scope, Chinese scope); global most often.
SCOPES = [
    ("", "", "Global Forecast", "全球市场预测"),
    ("", "", "Global Forecast", "全球市场预测"),
    ("", "", "Global Forecast", "全球市场预测"),
    ("China ", "中国", "Forecast", "市场预测"),
    ("Japan ", "日本", "Forecast", "市场预测"),
    ("United States ", "美国", "Forecast", "市场预测"),
    ("Europe ", "欧洲", "Forecast", "市场预测"),
    ("India ", "印度", "Forecast", "市场预测"),
    ("Southeast Asia ", "东南亚", "Forecast", "市场预测"),
]

# Market-size currency by scope prefix; global reports are in USD.
SCOPE_CURRENCIES = {"China ": "CNY", "Japan ": "JPY", "Europe ": "EUR", "India ": "USD"}
