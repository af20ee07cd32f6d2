"""Segmentation and table-of-contents outlines for demo reports, in both languages.

Reports of this kind share one TOC skeleton (preface, methodology, summary,
overview, insights, tariff and AI impact, one chapter per segmentation dimension,
competitive landscape, lists of figures and tables); `build_toc` fills it in from a
report's market name, segmentation and company list. Outlines are flat lists of
`OutlineLine(depth, en, zh)`, the shape `TocEntry` and `Segment` store.
"""

from typing import NamedTuple


class Node(NamedTuple):
    """A named thing in both languages, with optional children (a segment tree)."""

    en: str
    zh: str
    children: tuple["Node", ...] = ()


class OutlineLine(NamedTuple):
    depth: int
    en: str
    zh: str


def node(en: str, zh: str, *children: Node) -> Node:
    return Node(en, zh, tuple(children))


def _lines(nodes, depth: int, max_depth: int) -> list[OutlineLine]:
    lines = []
    for item in nodes:
        lines.append(OutlineLine(depth, item.en, item.zh))
        if depth < max_depth:
            lines += _lines(item.children, depth + 1, max_depth)
    return lines


def segmentation_lines(dimensions: list[Node]) -> list[OutlineLine]:
    """Dimensions at depth 1, their segments at depth 2 and sub-segments at depth 3."""
    return _lines(dimensions, 1, 3)


def _chapter(en: str, zh: str, *children: tuple[str, str] | Node) -> Node:
    return Node(en, zh, tuple(c if isinstance(c, Node) else Node(*c) for c in children))


PREFACE = _chapter(
    "Preface", "序言",
    ("Objectives of the Study", "研究目标"),
    ("Market Segmentation & Coverage", "市场细分与覆盖范围"),
    ("Years Considered for the Study", "研究涵盖年份"),
    ("Currency", "货币"),
    ("Language", "语言"),
    ("Stakeholders", "利益相关者"),
)
METHODOLOGY = _chapter(
    "Research Methodology", "研究方法",
    ("Define: Research Objective", "定义：研究目标"),
    ("Determine: Research Design", "确定：研究设计"),
    ("Collect: Data Source", "收集：数据来源"),
    ("Analyze: Data Interpretation", "分析：数据解读"),
    ("Formulate: Data Verification", "形成：数据验证"),
)
EXECUTIVE_SUMMARY = _chapter(
    "Executive Summary", "执行摘要",
    ("Introduction", "引言"),
    ("CXO Perspective", "高管视角"),
    ("Market Size & Growth Trends", "市场规模与增长趋势"),
    ("Market Share Analysis, {base}", "{base}年市场份额分析"),
    ("FPNV Positioning Matrix, {base}", "{base}年FPNV定位矩阵"),
    ("New Revenue Opportunities", "新的收入机会"),
)
MARKET_OVERVIEW = _chapter(
    "Market Overview", "市场概览",
    ("Introduction", "引言"),
    node(
        "Industry Ecosystem & Value Chain Analysis", "产业生态系统与价值链分析",
        node("Supply-Side Analysis", "供给侧分析"),
        node("Demand-Side Analysis", "需求侧分析"),
        node("Stakeholder Analysis", "利益相关者分析"),
    ),
    ("Porter's Five Forces Analysis", "波特五力分析"),
    ("PESTLE Analysis", "PESTLE分析"),
    ("Market Outlook", "市场展望"),
    ("Go-to-Market Strategy", "市场进入策略"),
)
MARKET_INSIGHTS = _chapter(
    "Market Insights", "市场洞察",
    ("Consumer Insights & End-User Perspective", "消费者洞察与最终用户视角"),
    ("Opportunity Mapping", "机会图谱"),
    ("Distribution Channel Analysis", "分销渠道分析"),
    ("Pricing Trend Analysis", "价格趋势分析"),
    ("Regulatory Compliance & Standards Framework", "法规合规与标准框架"),
    ("ESG & Sustainability Analysis", "ESG与可持续发展分析"),
    ("Disruption & Risk Scenarios", "颠覆与风险情景"),
)
TARIFFS = _chapter("Cumulative Impact of United States Tariffs 2025", "2025年美国关税的累积影响")
ARTIFICIAL_INTELLIGENCE = _chapter(
    "Cumulative Impact of Artificial Intelligence 2025", "2025年人工智能的累积影响"
)
GROUPS = (
    ("ASEAN", "东盟"),
    ("GCC", "海湾合作委员会"),
    ("European Union", "欧盟"),
    ("BRICS", "金砖国家"),
    ("G7", "七国集团"),
)
COUNTRIES = (
    ("United States", "美国"),
    ("Canada", "加拿大"),
    ("Brazil", "巴西"),
    ("United Kingdom", "英国"),
    ("Germany", "德国"),
    ("France", "法国"),
    ("China", "中国"),
    ("India", "印度"),
    ("Japan", "日本"),
    ("Australia", "澳大利亚"),
)
COMPETITIVE_ANALYSES = (
    ("Market Concentration Analysis, {base}", "{base}年市场集中度分析"),
    ("Recent Developments & Impact Analysis, {base}", "{base}年最新发展与影响分析"),
    ("Product Portfolio Analysis, {base}", "{base}年产品组合分析"),
    ("Benchmarking Analysis, {base}", "{base}年基准分析"),
)


def _short(chapter: Node, keep: int) -> Node:
    return Node(chapter.en, chapter.zh, tuple(Node(c.en, c.zh) for c in chapter.children[:keep]))


def build_toc(
    *,
    market: Node,
    dimensions: list[Node],
    companies: list[Node],
    base_year: int,
    figures: int,
    tables: int,
    detailed: bool,
) -> list[OutlineLine]:
    """The TOC of a report on `market`: 60-120 lines when detailed, about 30-50 when not.

    Each segmentation dimension becomes a chapter "<Market> Market, by <Dimension>"
    (Chinese "<市场>，按<维度>划分") with its segments below it; a detailed TOC also
    has sub-segments, chapters by country group and by country, and fuller front
    matter.
    """
    market_en, market_zh = f"{market.en} Market", f"{market.zh}市场"
    front = [PREFACE, METHODOLOGY, EXECUTIVE_SUMMARY, MARKET_OVERVIEW, MARKET_INSIGHTS]
    if not detailed:
        front = [_short(PREFACE, 0), _short(METHODOLOGY, 0), _short(EXECUTIVE_SUMMARY, 3),
                 _short(MARKET_OVERVIEW, 3), _short(MARKET_INSIGHTS, 3)]
    chapters = [*front, TARIFFS, ARTIFICIAL_INTELLIGENCE]
    for dimension in dimensions:
        segments = dimension.children if detailed else tuple(
            Node(s.en, s.zh) for s in dimension.children
        )
        chapters.append(Node(f"{market_en}, by {dimension.en}",
                             f"{market_zh}，按{dimension.zh}划分", segments))
    if detailed:
        chapters.append(_chapter(f"{market_en}, by Group", f"{market_zh}，按国家集团划分",
                                 *GROUPS))
        chapters.append(_chapter(f"{market_en}, by Country", f"{market_zh}，按国家划分",
                                 *COUNTRIES))
    analyses = COMPETITIVE_ANALYSES if detailed else COMPETITIVE_ANALYSES[:2]
    chapters.append(Node("Competitive Landscape", "竞争格局",
                         tuple(Node(*pair) for pair in analyses) + tuple(companies)))
    chapters.append(Node(f"List of Figures [Total: {figures}]", f"图表目录［共{figures}幅］"))
    chapters.append(Node(f"List of Tables [Total: {tables}]", f"表格目录［共{tables}张］"))

    lines = _lines(chapters, 1, 3)
    return [
        OutlineLine(line.depth, line.en.format(base=base_year), line.zh.format(base=base_year))
        for line in lines
    ]
