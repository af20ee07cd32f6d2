"""Synthetic published reports for scale work, inserted in bulk.

`seed_catalog(count)` adds `count` new reports each time it runs (it never updates
or deletes): product codes continue after the highest existing "SYN-" code. Each
report has English and Chinese title and short summary, a publisher, one or two
categories, three market sizes and a CAGR, two or three licence options, and its
denormalised search text and "price from" filled as `refresh_listing` would fill
them. No PDFs.

Rows go in with `bulk_create`, one transaction per batch, so a large run can be
interrupted without leaving a half-written report behind.
"""

import math
import random
import time
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime, time as clock_time, timedelta
from decimal import Decimal

from django.db import reset_queries, transaction
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.text import slugify

from reports import formatting, services
from reports.demo import builder, data, vocabulary
from reports.models import (
    KeyStatistic,
    KeyStatisticKind,
    LicenseOption,
    LicenseType,
    Report,
    ReportFormat,
    ReportStatus,
)
from reports.search_index import without_search_index
from reports.services import build_search_text
from reports.vocabulary import rebuild_search_words

CODE_PREFIX = "SYN-"
CODE_DIGITS = 7
DEFAULT_BATCH_SIZE = 2000
CENTS = Decimal("0.01")

# Licence types after single user, with the price multiple they usually carry.
EXTRA_LICENCES = [
    (LicenseType.MULTI_USER, Decimal("1.3")),
    (LicenseType.SITE, Decimal("1.6")),
    (LicenseType.ENTERPRISE, Decimal("2.0")),
]
# Rough units per US dollar, so that a market's size is believable in its currency.
CURRENCY_FACTORS = {"USD": 1, "EUR": 1, "CNY": 7, "JPY": 150}


@dataclass
class CatalogResult:
    created: int
    first_code: str
    last_code: str
    seconds: float


def next_code_number() -> int:
    """One more than the highest SYN- number in use (codes are zero-padded)."""
    highest = (
        Report.objects.filter(product_code__startswith=CODE_PREFIX)
        .order_by(Length("product_code").desc(), "-product_code")
        .values_list("product_code", flat=True)
        .first()
    )
    if not highest:
        return 1
    digits = highest[len(CODE_PREFIX):]
    return int(digits) + 1 if digits.isdigit() else 1


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENTS)


def _rounded_amount(amount: Decimal) -> Decimal:
    """Rounded to two decimals of its English unit ("USD 4.37 billion"), as listings state it."""
    for unit in (Decimal(10) ** 12, Decimal(10) ** 9, Decimal(10) ** 6):
        if amount >= unit:
            return _money((amount / unit).quantize(CENTS) * unit)
    return _money(amount)


def _join_zh(words: list[str]) -> str:
    return words[0] if len(words) == 1 else "、".join(words[:-1]) + "和" + words[-1]


class _ReportFactory:
    """Draws one synthetic report's values from a seeded random generator."""

    def __init__(self, rng: random.Random, publishers, leaf_categories, today: date):
        self.rng = rng
        self.publishers = publishers
        self.leaf_categories = leaf_categories
        self.today = today

    def make(self, code: str):
        rng = self.rng
        category_slug = rng.choice(list(vocabulary.PRODUCTS_BY_CATEGORY))
        product_en, product_zh = rng.choice(vocabulary.PRODUCTS_BY_CATEGORY[category_slug])
        if rng.random() < 0.35:
            qualifier_en, qualifier_zh = rng.choice(vocabulary.QUALIFIERS)
            product_en, product_zh = f"{qualifier_en} {product_en}", f"{qualifier_zh}{product_zh}"
        prefix_en, prefix_zh, scope_en, scope_zh = rng.choice(vocabulary.SCOPES)
        dimensions = rng.sample(vocabulary.DIMENSIONS, k=rng.randint(2, 4))
        base_year = rng.choice((2024, 2025, 2025))
        start, end = base_year + 1, base_year + rng.choice((6, 7))
        market_en, market_zh = f"{prefix_en}{product_en}", f"{prefix_zh}{product_zh}"

        title_en = (f"{market_en} Market by {', '.join(d[0] for d in dimensions)} - "
                    f"{scope_en} {start}-{end}")
        title_zh = (f"{market_zh}市场：按{_join_zh([d[1] for d in dimensions])}划分-"
                    f"{start}年至{end}年{scope_zh}")

        currency = vocabulary.SCOPE_CURRENCIES.get(prefix_en, "USD")
        # Log-uniform between USD 10 million and 300 billion, in the market's currency.
        size_in_usd = 10 ** rng.uniform(7, math.log10(3e11))
        base = _rounded_amount(Decimal(size_in_usd * CURRENCY_FACTORS[currency]))
        cagr = Decimal(str(round(rng.uniform(2.5, 28.0), 2)))
        rate = 1 + cagr / 100
        wobble = Decimal(str(round(rng.uniform(-0.02, 0.02), 3)))
        estimated = _rounded_amount(base * (rate + wobble))
        forecast = _rounded_amount(base * rate ** (end - base_year))

        statistics = [
            (KeyStatisticKind.BASE_YEAR, base_year, base),
            (KeyStatisticKind.ESTIMATED_YEAR, start, estimated),
            (KeyStatisticKind.FORECAST_YEAR, end, forecast),
        ]

        def opening(language):
            def money(amount):
                return formatting.format_money_amount(amount, currency, language)

            if formatting.is_chinese(language):
                return (f"{base_year}年{market_zh}市场规模为{money(base)}，预计{start}年将达到"
                        f"{money(estimated)}，{end}年将达到{money(forecast)}，"
                        f"复合年增长率为{cagr}%。")
            return (f"The {market_en} Market was valued at {money(base)} in {base_year} and is "
                    f"projected to reach {money(estimated)} in {start} and {money(forecast)} by "
                    f"{end}, a CAGR of {cagr}%.")

        coverage_en = (f"The report segments the market by "
                       f"{', '.join(d[0].lower() for d in dimensions)} and profiles the leading "
                       f"suppliers.")
        coverage_zh = f"本报告按{_join_zh([d[1] for d in dimensions])}对市场进行细分，并介绍主要供应商。"
        summary_en = [opening("en"), coverage_en]
        summary_zh = [opening("zh-hans"), coverage_zh]

        single_user = Decimal(rng.randrange(2450, 5500, 50))
        licences = [(LicenseType.SINGLE_USER, single_user)]
        for license_type, multiple in rng.sample(EXTRA_LICENCES, k=rng.randint(1, 2)):
            licences.append((license_type, _money(single_user * multiple).to_integral_value()))

        published_on = self.today - timedelta(days=rng.randint(1, 3 * 365))
        category_slugs = [category_slug]
        if rng.random() < 0.3:
            other = rng.choice(self.leaf_categories)
            if other != category_slug:
                category_slugs.append(other)
        return {
            "code": code,
            "title_en": title_en[:300],
            "title_zh": title_zh[:300],
            "summary_en": summary_en,
            "summary_zh": summary_zh,
            "publisher": rng.choice(self.publishers),
            "categories": category_slugs,
            "published_on": published_on,
            "publish_at": datetime.combine(published_on, clock_time(8, 0), tzinfo=UTC),
            "pages": rng.randint(80, 320),
            "formats": rng.choice(ReportFormat.values),
            "base_year": base_year,
            "forecast": (start, end),
            "statistics": statistics,
            "currency": currency,
            "cagr": cagr,
            "licences": licences,
        }


def _insert_batch(values: list[dict], categories) -> None:
    translation_model = Report._parler_meta.root_model
    category_link = Report.categories.through
    reports = []
    for item in values:
        price_from = min(price for _, price in item["licences"])
        reports.append(Report(
            product_code=item["code"],
            slug=slugify(item["title_en"])[:200].strip("-"),
            publisher=item["publisher"],
            status=ReportStatus.PUBLISHED,
            publish_at=item["publish_at"],
            published_on=item["published_on"],
            pages=item["pages"],
            formats=item["formats"],
            delivery_days=0,
            base_year=item["base_year"],
            forecast_start_year=item["forecast"][0],
            forecast_end_year=item["forecast"][1],
            search_text=build_search_text(
                product_code=item["code"],
                publisher_name=item["publisher"].name,
                texts=[item["title_en"], " ".join(item["summary_en"]),
                       item["title_zh"], " ".join(item["summary_zh"])],
            ),
            price_from=price_from,
            price_currency="USD",
        ))
    with transaction.atomic():
        # Primary keys come back from the insert on PostgreSQL and SQLite >= 3.35.
        reports = Report.objects.bulk_create(reports)
        translations, links, statistics, licences = [], [], [], []
        for report, item in zip(reports, values):
            for language, title, summary in (
                ("en", item["title_en"], item["summary_en"]),
                ("zh-hans", item["title_zh"], item["summary_zh"]),
            ):
                translations.append(translation_model(
                    master_id=report.pk, language_code=language, title=title,
                    summary=builder.summary_html(summary),
                    meta_description=summary[0][:builder.META_DESCRIPTION_LENGTH],
                ))
            links += [category_link(report_id=report.pk, category_id=categories[slug].pk)
                      for slug in item["categories"]]
            for position, (kind, year, amount) in enumerate(item["statistics"]):
                statistics.append(KeyStatistic(report_id=report.pk, position=position, kind=kind,
                                               year=year, amount=amount,
                                               currency=item["currency"]))
            statistics.append(KeyStatistic(report_id=report.pk, position=3,
                                           kind=KeyStatisticKind.CAGR,
                                           percentage=item["cagr"]))
            licences += [LicenseOption(report_id=report.pk, license_type=license_type,
                                       price=price, currency="USD")
                         for license_type, price in item["licences"]]
        translation_model.objects.bulk_create(translations)
        category_link.objects.bulk_create(links)
        KeyStatistic.objects.bulk_create(statistics)
        LicenseOption.objects.bulk_create(licences)


BULK_INDEX_THRESHOLD = 5000


def seed_catalog(count: int, *, seed: int | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
                 progress=None) -> CatalogResult:
    """Insert `count` new synthetic published reports; returns what was created.

    The same `seed` gives the same titles, figures and prices (dates are relative
    to today). Categories and publishers of the demo catalogue are created if missing.
    """
    started = time.perf_counter()
    summary = builder.SeedSummary()
    with transaction.atomic():
        categories = builder.ensure_categories(summary)
        publishers = list(builder.ensure_publishers(summary).values())
    leaves = [spec.slug for spec in data.CATEGORIES if spec.parent]
    factory = _ReportFactory(random.Random(seed), publishers, leaves, timezone.localdate())

    first_number = next_code_number()
    codes = [f"{CODE_PREFIX}{number:0{CODE_DIGITS}d}"
             for number in range(first_number, first_number + count)]
    # Small runs keep the index (tests); large loads rebuild it once at the end.
    index_guard = without_search_index() if count >= BULK_INDEX_THRESHOLD else nullcontext()
    with index_guard:
        for offset in range(0, count, batch_size):
            batch = [factory.make(code) for code in codes[offset:offset + batch_size]]
            _insert_batch(batch, categories)
            # With DEBUG on, Django keeps every statement; a 100k run would hold ~0.5 GB.
            reset_queries()
            if progress:
                progress(offset + len(batch), count)
    # Bulk inserts skip refresh_listing, which keeps the vocabulary on save.
    rebuild_search_words()
    services.catalogue_changed()
    return CatalogResult(
        created=count,
        first_code=codes[0] if codes else "",
        last_code=codes[-1] if codes else "",
        seconds=time.perf_counter() - started,
    )
