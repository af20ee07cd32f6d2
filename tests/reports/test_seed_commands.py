"""seed_demo and seed_catalog: what they build, and that running them again is safe.

seed_demo generates some 2,000 PDF pages, so it runs once per module (the
`demo_catalogue` fixture) and its rows are removed when the module ends; the tests
that use it only read, or change things inside their own rolled-back transaction.
They all use the database, so pytest-django keeps them together and the fixture is
set up once.
"""

import io
import math
import re
from decimal import Decimal

import pikepdf
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import translation
from django.utils.text import slugify

from reports.demo import builder, data
from reports.demo.listing import (
    ListingParseError,
    parse_chinese_money,
    parse_english_money,
    parse_listing,
    read_listing,
)
from reports.models import (
    Category,
    KeyStatistic,
    KeyStatisticKind,
    LicenseOption,
    Publisher,
    Report,
    Segment,
    TocEntry,
)
from reports.services import normalise_search_text
from reports.storage import private_storage

LISTING = builder.DEMO_DIR / data.LISTING_1994249
TITLE_EN = (
    "Continuing Medical Education Market by Delivery Mode, Specialty, Target Audience, "
    "Provider - Global Forecast 2026-2032"
)
TITLE_ZH = "继续医学教育（CME）市场：按交付方式、专业、目标受众和提供者划分-2026年至2032年全球市场预测"


def _remove_demo_catalogue():
    codes = [demo.product_code for demo in builder.demo_reports()]
    Report.objects.filter(product_code__in=codes).delete()
    categories = Category.objects.filter(slug__in=[c.slug for c in data.CATEGORIES])
    # Categories protect their parents: children first.
    categories.filter(parent__isnull=False).delete()
    categories.delete()
    Publisher.objects.filter(slug__in=[p.slug for p in data.PUBLISHERS]).delete()


@pytest.fixture(scope="module")
def demo_catalogue(django_db_setup, django_db_blocker):
    """seed_demo run once for the module; its stdout is returned."""
    with django_db_blocker.unblock():
        out = io.StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        _remove_demo_catalogue()


@pytest.fixture
def cme(demo_catalogue, db):
    return Report.objects.get(product_code="1994249")


def _translations(instance) -> dict[str, object]:
    return {t.language_code: t for t in instance.translations.all()}


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= character <= "\u9fff" for character in text)


def _row_counts() -> dict[str, int]:
    models = [Report, KeyStatistic, LicenseOption, TocEntry, Segment, Category, Publisher]
    counts = {model.__name__: model.objects.count() for model in models}
    for model in (Report, TocEntry, Segment, Category):
        translation_model = model._parler_meta.root_model
        counts[translation_model.__name__] = translation_model.objects.count()
    counts["report categories"] = Report.categories.through.objects.count()
    return counts


# --- The reseller's page ----------------------------------------------------------


def test_listing_key_statistics_parse_to_numbers():
    listing = read_listing(LISTING)

    figures = {(s.kind, s.year): (s.amount, s.currency, s.percentage) for s in listing.statistics}
    assert figures == {
        (KeyStatisticKind.BASE_YEAR, 2025): (Decimal("9310000000"), "USD", None),
        (KeyStatisticKind.ESTIMATED_YEAR, 2026): (Decimal("10040000000"), "USD", None),
        (KeyStatisticKind.FORECAST_YEAR, 2032): (Decimal("17700000000"), "USD", None),
        (KeyStatisticKind.CAGR, None): (None, "", Decimal("9.61")),
    }


def test_listing_titles_and_summaries_are_split_by_language():
    listing = read_listing(LISTING)

    assert listing.product_code == "1994249"
    assert listing.title_en == TITLE_EN
    assert listing.title_zh == TITLE_ZH
    assert listing.summary_en[0].startswith(
        "The Continuing Medical Education Market was valued at USD 9.31 billion in 2025"
    )
    assert listing.summary_en[-1].startswith("In conclusion, the future of professional")
    assert listing.summary_zh[0].startswith("2025 年继续医学教育（CME）市场价值为 93.1 亿美元")
    paragraphs = listing.summary_en + listing.summary_zh
    assert not [p for p in paragraphs if p.startswith(("|", "※"))]


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("USD 9.31 billion", "9310000000", "USD"),
        ("USD 48.7 million", "48700000", "USD"),
        ("CNY 1.35 trillion", "1350000000000", "CNY"),
        ("EUR 1,250", "1250", "EUR"),
    ],
)
def test_english_money_parses_exactly(text, amount, currency):
    assert parse_english_money(text) == (Decimal(amount), currency)


def test_chinese_money_parses_ten_thousand_units():
    assert parse_chinese_money("93.1亿美元") == (Decimal("9310000000"), "USD")
    assert parse_chinese_money("4870万美元") == (Decimal("48700000"), "USD")
    assert parse_chinese_money("1.35万亿元人民币") == (Decimal("1350000000000"), "CNY")


def test_listing_whose_two_tables_disagree_is_refused():
    text = LISTING.read_text(encoding="utf-8").replace("| 177亿美元 |", "| 178亿美元 |")
    with pytest.raises(ListingParseError, match="disagree"):
        parse_listing(text)


def test_demo_figures_are_consistent_with_their_cagr():
    # A listing's CAGR runs from the base year to the forecast year.
    for demo in builder.demo_reports():
        base = demo.statistic(KeyStatisticKind.BASE_YEAR)
        forecast = demo.statistic(KeyStatisticKind.FORECAST_YEAR)
        cagr = float(demo.statistic(KeyStatisticKind.CAGR).percentage) / 100
        expected = float(base.amount) * (1 + cagr) ** (forecast.year - base.year)
        assert math.isclose(float(forecast.amount), expected, rel_tol=0.005), demo.product_code
        assert base.currency == forecast.currency


# --- seed_demo ------------------------------------------------------------------


def test_1994249_titles_summaries_and_listing_fields(cme):
    translations = _translations(cme)

    assert translations["en"].title == TITLE_EN
    assert translations["zh-hans"].title == TITLE_ZH
    summary_en = translations["en"].summary
    assert summary_en.startswith(
        "<p>The Continuing Medical Education Market was valued at USD 9.31 billion"
    )
    assert summary_en.count("<p>") == len(read_listing(LISTING).summary_en)
    assert "继续医学教育" in translations["zh-hans"].summary
    for summary in (summary_en, translations["zh-hans"].summary):
        assert "※" not in summary and "|" not in summary
    assert translations["en"].meta_description and translations["zh-hans"].meta_description

    assert cme.slug == slugify(TITLE_EN)
    assert cme.publisher.name == "360iResearch"
    assert (cme.pages, cme.formats, cme.delivery_days) == (196, "pdf_excel", 0)
    assert (cme.base_year, cme.forecast_start_year, cme.forecast_end_year) == (2025, 2026, 2032)
    assert cme.published_on.isoformat() == "2026-10-20"
    # The first listing of the demo catalogue is also its newest.
    assert Report.objects.published().order_by("-published_on").first() == cme
    assert Report.objects.published().filter(pk=cme.pk).exists()
    category = cme.categories.get()
    assert category.slug == "medical-education"
    assert _translations(category)["zh-hans"].name == "医学教育"
    assert _translations(category.parent)["en"].name == "Healthcare"


def test_1994249_key_statistics_are_numbers_worded_per_language(cme):
    statistics = list(cme.key_statistics.all())

    assert [(s.kind, s.year, s.amount, s.currency, s.percentage) for s in statistics] == [
        ("base_year", 2025, Decimal("9310000000.00"), "USD", None),
        ("estimated_year", 2026, Decimal("10040000000.00"), "USD", None),
        ("forecast_year", 2032, Decimal("17700000000.00"), "USD", None),
        ("cagr", None, None, "", Decimal("9.61")),
    ]
    assert statistics[0].display_value() == "USD 9.31 billion"
    with translation.override("zh-hans"):
        assert [s.display_value() for s in statistics] == [
            "93.1亿美元", "100.4亿美元", "177亿美元", "9.61%"
        ]


def test_1994249_licences_and_listing_denormalisation(cme):
    prices = {(o.license_type, o.currency): o.price for o in cme.license_options.all()}

    # Each licence priced by the editors in USD, EUR, CNY and TWD (shown where sold).
    assert prices == {
        ("single_user", "USD"): Decimal("3939.00"),
        ("multi_user", "USD"): Decimal("4249.00"),
        ("enterprise", "USD"): Decimal("5759.00"),
        ("single_user", "EUR"): Decimal("3650.00"),
        ("multi_user", "EUR"): Decimal("3950.00"),
        ("enterprise", "EUR"): Decimal("5350.00"),
        ("single_user", "CNY"): Decimal("28300.00"),
        ("multi_user", "CNY"): Decimal("30500.00"),
        ("enterprise", "CNY"): Decimal("41400.00"),
        ("single_user", "TWD"): Decimal("126000.00"),
        ("multi_user", "TWD"): Decimal("135500.00"),
        ("enterprise", "TWD"): Decimal("183500.00"),
    }
    assert (cme.price_from, cme.price_currency) == (Decimal("3939.00"), "USD")
    for fragment in ("1994249", "360iresearch", "continuing medical education", "继续医学教育"):
        assert fragment in cme.search_text


def test_1994249_toc_in_both_languages(cme):
    entries = list(cme.toc_entries.prefetch_related("translations"))

    assert 60 <= len(entries) <= 120
    assert {entry.depth for entry in entries} == {1, 2, 3}
    assert [entry.position for entry in entries] == list(range(len(entries)))
    titles = [(_translations(e)["en"].title, _translations(e)["zh-hans"].title) for e in entries]
    chapters = [titles[i][0] for i, entry in enumerate(entries) if entry.depth == 1]
    assert chapters[:7] == [
        "Preface",
        "Research Methodology",
        "Executive Summary",
        "Market Overview",
        "Market Insights",
        "Cumulative Impact of United States Tariffs 2025",
        "Cumulative Impact of Artificial Intelligence 2025",
    ]
    for dimension in ("Delivery Mode", "Specialty", "Target Audience", "Provider", "Region",
                      "Group", "Country"):
        assert f"Continuing Medical Education Market, by {dimension}" in chapters
    assert chapters[-3].startswith("Competitive Landscape")
    assert chapters[-2].startswith("List of Figures")
    assert ("Continuing Medical Education Market, by Delivery Mode",
            "继续医学教育市场，按交付方式划分") in titles
    assert ("Virtual Simulations", "虚拟模拟") in titles
    assert all(en and zh for en, zh in titles)
    # Every Chinese title is Chinese, bar company names kept in their own spelling.
    assert sum(not _has_chinese(zh) for _, zh in titles) <= 2


def test_1994249_segmentation_in_both_languages(cme):
    segments = list(cme.segments.prefetch_related("translations"))
    names = [(s.depth, _translations(s)["en"].name, _translations(s)["zh-hans"].name)
             for s in segments]

    assert [en for depth, en, _ in names if depth == 1] == [
        "Delivery Mode", "Specialty", "Target Audience", "Provider", "Region"
    ]
    delivery = names[: names.index((1, "Specialty", "专业"))]
    assert delivery == [
        (1, "Delivery Mode", "交付方式"),
        (2, "In-Person", "线下"),
        (3, "Conferences", "会议"), (3, "Seminars", "研讨会"),
        (3, "Symposia", "专题讨论会"), (3, "Workshops", "实操工作坊"),
        (2, "Online", "线上"),
        (3, "E-Learning Courses", "数字化学习课程"), (3, "Virtual Simulations", "虚拟模拟"),
        (3, "Webinars", "网络研讨会"),
    ]
    assert (2, "Professional Societies & Associations", "专业学会与协会") in names
    assert (3, "Latin America", "拉丁美洲") in names
    specialties = names[names.index((1, "Specialty", "专业")) + 1:
                        names.index((1, "Target Audience", "目标受众"))]
    assert len(specialties) == 10 and {depth for depth, _, _ in specialties} == {2}


def test_1994249_master_and_sample_pdfs_in_private_storage(cme):
    storage = private_storage()

    assert cme.master_pdf.name.startswith("masters/1994249-")
    assert cme.sample_pdf.name.startswith("samples/1994249-")
    assert cme.master_pdf.storage is storage
    for name in (cme.master_pdf.name, cme.sample_pdf.name):
        path = storage.path(name)
        assert path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    with pikepdf.open(storage.path(cme.master_pdf.name)) as master:
        assert len(master.pages) == cme.pages == 196
        assert "Continuing Medical Education" in str(master.docinfo["/Title"])
    with pikepdf.open(storage.path(cme.sample_pdf.name)) as sample:
        assert len(sample.pages) == 8


def test_every_demo_report_is_complete(demo_catalogue, db):
    reports = Report.objects.prefetch_related(
        "translations", "key_statistics", "license_options", "categories"
    ).order_by("product_code")
    storage = private_storage()

    assert reports.count() == len(data.OTHER_REPORTS) + 1 >= 11
    assert len({report.publisher_id for report in reports}) >= 8
    assert len({report.published_on for report in reports}) == reports.count()
    worded = []
    for report in reports:
        translations = _translations(report)
        # The flagship ships in traditional Chinese too; the others fall back to simplified.
        expected = {"en", "zh-hans", "zh-hant"} if report.product_code == "1994249" else {
            "en", "zh-hans"
        }
        assert set(translations) == expected, report.product_code
        for language in ("en", "zh-hans"):
            assert 3 <= translations[language].summary.count("<p>") <= 30
            assert translations[language].meta_description
        statistics = list(report.key_statistics.all())
        assert [s.kind for s in statistics] == ["base_year", "estimated_year", "forecast_year",
                                                "cagr"]
        usd = [o for o in report.license_options.all() if o.currency == "USD"]
        assert 2 <= len(usd) <= 4
        assert report.price_from == min(o.price for o in usd)
        assert report.categories.all()
        assert report.toc_entries.count() >= 20 and report.segments.count() >= 8
        assert report.is_visible()
        with pikepdf.open(storage.path(report.master_pdf.name)) as master:
            assert len(master.pages) == report.pages
        assert storage.exists(report.sample_pdf.name)
        with translation.override("zh-hans"):
            worded += [s.display_value() for s in statistics]

    currencies = {s.currency for s in KeyStatistic.objects.exclude(currency="")}
    assert {"USD", "EUR", "CNY", "JPY"} <= currencies
    # Chinese wording in 万, 亿 and 万亿 all occur in the demo.
    assert any(v.endswith("万美元") for v in worded)
    assert any("亿" in v and "万亿" not in v for v in worded)
    assert any("万亿元人民币" in v for v in worded)


def test_seed_demo_summary_reports_what_it_created(demo_catalogue, db):
    assert "reports: 11 created" in demo_catalogue
    assert "TOC entries: " in demo_catalogue and "segments: " in demo_catalogue
    # Fresh storage gets 22 new files; files left by an earlier setup are reused.
    generated, kept = map(int, re.search(
        r"PDFs: (\d+) generated .*, (\d+) unchanged", demo_catalogue).groups())
    assert generated + kept == 22


def test_seed_demo_twice_changes_nothing(demo_catalogue, db):
    storage = private_storage()
    before_counts = _row_counts()
    before_files = {
        code: (master, sample, storage.get_modified_time(master))
        for code, master, sample in Report.objects.values_list(
            "product_code", "master_pdf", "sample_pdf")
    }
    before_toc_ids = list(TocEntry.objects.order_by("id").values_list("id", flat=True))

    out = io.StringIO()
    call_command("seed_demo", stdout=out)

    assert _row_counts() == before_counts
    assert list(TocEntry.objects.order_by("id").values_list("id", flat=True)) == before_toc_ids
    after_files = {
        code: (master, sample, storage.get_modified_time(master))
        for code, master, sample in Report.objects.values_list(
            "product_code", "master_pdf", "sample_pdf")
    }
    assert after_files == before_files
    assert "PDFs: 0 generated" in out.getvalue()
    assert "created" not in out.getvalue() and "updated" not in out.getvalue()


def test_seed_demo_puts_back_edited_rows_in_place(cme):
    licence = cme.license_options.get(license_type="single_user", currency="USD")
    LicenseOption.objects.filter(pk=licence.pk).update(price=Decimal("1.00"))
    entry = cme.toc_entries.get(position=0)
    entry_translation = entry.translations.get(language_code="zh-hans")
    entry_translation.title = "edited"
    entry_translation.save()
    cme.segments.order_by("-position").first().delete()
    Report.objects.filter(pk=cme.pk).update(status="archived")

    call_command("seed_demo", stdout=io.StringIO())

    cme.refresh_from_db()
    assert cme.status == "published"
    assert cme.license_options.get(license_type="single_user", currency="USD").pk == licence.pk
    assert cme.license_options.get(pk=licence.pk).price == Decimal("3939.00")
    assert cme.price_from == Decimal("3939.00")
    assert entry.translations.get(language_code="zh-hans").title == "序言"
    assert cme.segments.count() == len(builder.segmentation_lines(
        list(builder.report_1994249().dimensions)))


# --- seed_catalog ---------------------------------------------------------------


@pytest.mark.django_db
def test_seed_catalog_adds_published_bilingual_reports_each_run():
    visible_before = Report.objects.published().count()

    call_command("seed_catalog", reports=50, seed=11, stdout=io.StringIO())

    reports = Report.objects.filter(product_code__startswith="SYN-").prefetch_related(
        "translations", "key_statistics", "license_options", "categories")
    assert reports.count() == 50
    assert Report.objects.published().count() == visible_before + 50
    for report in reports:
        translations = _translations(report)
        assert set(translations) == {"en", "zh-hans"}
        assert translations["en"].title and translations["en"].summary.startswith("<p>")
        assert _has_chinese(translations["zh-hans"].title)
        assert [s.kind for s in report.key_statistics.all()] == [
            "base_year", "estimated_year", "forecast_year", "cagr"]
        options = list(report.license_options.all())
        assert 2 <= len(options) <= 3
        assert (report.price_from, report.price_currency) == (
            min(o.price for o in options), "USD")
        assert 1 <= len(report.categories.all()) <= 2
        assert report.publisher_id
        assert normalise_search_text(translations["zh-hans"].title) in report.search_text
        assert report.master_pdf.name == ""

    # Chinese substring search finds a report by part of its Chinese title.
    zh_title = _translations(reports[0])["zh-hans"].title
    fragment = normalise_search_text(zh_title.split("市场")[0][-3:])
    assert Report.objects.filter(search_text__contains=fragment).exists()

    first_codes = set(reports.values_list("product_code", flat=True))
    call_command("seed_catalog", reports=50, seed=11, stdout=io.StringIO())

    codes = set(Report.objects.filter(product_code__startswith="SYN-")
                .values_list("product_code", flat=True))
    assert len(codes) == 100 and first_codes < codes
    assert max(codes) == "SYN-0000100"
    assert Report.objects.published().count() == visible_before + 100


@pytest.mark.django_db
def test_seed_catalog_seed_gives_the_same_reports():
    def titles():
        return list(
            Report._parler_meta.root_model.objects.filter(
                master__product_code__startswith="SYN-", language_code="zh-hans")
            .order_by("master__product_code").values_list("title", flat=True)
        )

    call_command("seed_catalog", reports=5, seed=3, stdout=io.StringIO())
    first = titles()
    call_command("seed_catalog", reports=5, seed=3, stdout=io.StringIO())

    assert titles() == first + first


@pytest.mark.django_db
def test_seed_catalog_refuses_nonsense_counts():
    before = Report.objects.count()
    with pytest.raises(CommandError):
        call_command("seed_catalog", reports=0, stdout=io.StringIO())
    assert Report.objects.count() == before
