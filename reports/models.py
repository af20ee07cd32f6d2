"""The catalogue: reports, their publishers, categories, figures and licences."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from parler.managers import TranslatableManager, TranslatableQuerySet
from parler.models import TranslatableModel, TranslatedFields

from reports import currencies, formatting
from reports.storage import private_storage

currency_code_validator = RegexValidator(
    r"^[A-Z]{3}$", _("Enter a three-letter ISO currency code, such as USD.")
)


NEEDS_PROMISED_DAYS = _(
    "A report delivered on order needs a promised delivery time of at least one business day."
)


class Publisher(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    website = models.URLField(_("website"), blank=True)

    class Meta:
        verbose_name = _("publisher")
        verbose_name_plural = _("publishers")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Category(TranslatableModel):
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    translations = TranslatedFields(
        name=models.CharField(_("name"), max_length=200),
    )

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "slug"]

    def __str__(self):
        return self.safe_translation_getter("name", any_language=True) or self.slug


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class ReportFormat(models.TextChoices):
    PDF = "pdf", _("PDF")
    PDF_EXCEL = "pdf_excel", _("PDF & Excel")
    PDF_EXCEL_PPT = "pdf_excel_ppt", _("PDF, Excel & PowerPoint")


class DeliveryMode(models.TextChoices):
    DOWNLOAD = "download", _("Immediate download (needs the master PDF)")
    ON_ORDER = "on_order", _("Delivered on order, within the promised business days")


def is_visible(status: str, publish_at, now=None) -> bool:
    """Whether buyers may see a report in this status with this publish time (the
    rule of ReportQuerySet.published(), for a row already read)."""
    now = now or timezone.now()
    if status == ReportStatus.PUBLISHED:
        return publish_at is None or publish_at <= now
    if status == ReportStatus.SCHEDULED:
        return publish_at is not None and publish_at <= now
    return False


class ReportQuerySet(TranslatableQuerySet):
    def purchasable(self):
        """Reports that can be delivered once paid: a master PDF, or delivered on order."""
        return self.exclude(master_pdf="", delivery_mode=DeliveryMode.DOWNLOAD)

    def published(self, now=None):
        """Reports a buyer may see: published, or scheduled and due."""
        now = now or timezone.now()
        return self.filter(
            Q(status=ReportStatus.PUBLISHED, publish_at__lte=now)
            | Q(status=ReportStatus.PUBLISHED, publish_at__isnull=True)
            | Q(status=ReportStatus.SCHEDULED, publish_at__lte=now)
        )

    def translation_behind_english(self, language_code: str):
        """Reports translated into ``language_code`` whose English text changed since
        that translation was last updated or reviewed (see ``Report.translation_is_behind``)."""
        translations = self.model._parler_meta.root_model.objects
        english = translations.filter(
            master=OuterRef("pk"), language_code=settings.PARLER_DEFAULT_LANGUAGE_CODE
        )
        behind = translations.filter(
            Q(text_changed_at__isnull=True) | Q(text_changed_at__lt=OuterRef("english_changed_at")),
            Q(reviewed_at__isnull=True) | Q(reviewed_at__lt=OuterRef("english_changed_at")),
            master=OuterRef("pk"),
            language_code=language_code,
        )
        return (
            self.alias(english_changed_at=Subquery(english.values("text_changed_at")[:1]))
            .filter(english_changed_at__isnull=False)
            .filter(Exists(behind))
        )


class ReportManager(TranslatableManager.from_queryset(ReportQuerySet)):
    pass


class Report(TranslatableModel):
    product_code = models.CharField(
        _("product code"),
        max_length=32,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9-]+$", _("Use letters, digits and hyphens."))],
    )
    slug = models.SlugField(_("slug"), max_length=200, allow_unicode=False)
    publisher = models.ForeignKey(
        Publisher, verbose_name=_("publisher"), on_delete=models.PROTECT, related_name="reports"
    )
    categories = models.ManyToManyField(
        Category, verbose_name=_("categories"), related_name="reports", blank=True
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    publish_at = models.DateTimeField(
        _("publish at"),
        null=True,
        blank=True,
        help_text=_("A published or scheduled report is visible from this time on."),
    )
    published_on = models.DateField(_("publication date"))
    pages = models.PositiveIntegerField(_("pages"), default=0)
    formats = models.CharField(
        _("formats"), max_length=16, choices=ReportFormat.choices, default=ReportFormat.PDF
    )
    # How a paid order is fulfilled. "Download" needs the master PDF before the report
    # may be listed; "on order" may be sold without it, with a promised time, and the
    # waiting orders are delivered when the master is uploaded (storefront.delivery).
    delivery_mode = models.CharField(
        _("delivery"),
        max_length=16,
        choices=DeliveryMode.choices,
        default=DeliveryMode.DOWNLOAD,
        help_text=_(
            "A report without its master PDF can only be sold as “delivered on order”, "
            "with a promised time; orders paid meanwhile are delivered automatically "
            "when the master is uploaded."
        ),
    )
    delivery_days = models.PositiveSmallIntegerField(
        _("promised delivery (business days)"),
        default=0,
        validators=[MaxValueValidator(60)],
        help_text=_(
            "For a report delivered on order: business days (Monday to Friday) from "
            "payment to delivery, at least 1."
        ),
    )
    base_year = models.PositiveSmallIntegerField(
        _("base year"), null=True, blank=True, validators=[MinValueValidator(1900)]
    )
    forecast_start_year = models.PositiveSmallIntegerField(
        _("forecast from"), null=True, blank=True, validators=[MinValueValidator(1900)]
    )
    forecast_end_year = models.PositiveSmallIntegerField(
        _("forecast to"), null=True, blank=True, validators=[MinValueValidator(1900)]
    )
    master_pdf = models.FileField(
        _("master PDF"), storage=private_storage, upload_to="masters/", blank=True
    )
    sample_pdf = models.FileField(
        _("sample PDF"), storage=private_storage, upload_to="samples/", blank=True
    )
    # Denormalised for the catalogue list: kept by reports.services.refresh_listing().
    search_text = models.TextField(_("search text"), blank=True, editable=False)
    price_from = models.DecimalField(
        _("price from"), max_digits=12, decimal_places=2, null=True, blank=True, editable=False
    )
    price_currency = models.CharField(
        _("price currency"), max_length=3, blank=True, editable=False
    )
    # Raised by every edit of what the product page shows (reports/product_page.py):
    # a prepared page of an older revision is rebuilt before it is shown.
    page_revision = models.PositiveIntegerField(_("page revision"), default=0, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    translations = TranslatedFields(
        title=models.CharField(_("title"), max_length=300),
        summary=models.TextField(
            _("summary"), blank=True, help_text=_("HTML; unsafe markup is removed.")
        ),
        meta_description=models.CharField(_("meta description"), max_length=300, blank=True),
        # Kept by reports.signals whoever writes the row (admin, feed import, shell):
        # together they tell whether a translation is behind the English text.
        text_changed_at=models.DateTimeField(
            _("text changed"),
            null=True,
            blank=True,
            editable=False,
            help_text=_(
                "When the title, summary or meta description of this language last changed."
            ),
        ),
        reviewed_at=models.DateTimeField(
            _("reviewed against English"),
            null=True,
            blank=True,
            editable=False,
            help_text=_("When an editor last confirmed this translation matches the English text."),
        ),
        # A draft made by converting another language's text (traditional Chinese from
        # simplified, with OpenCC): kept from buyers until an editor reviews it.
        machine_converted=models.BooleanField(
            _("machine-converted draft"),
            default=False,
            editable=False,
            help_text=_("Converted by software from another language; not shown to buyers "
                        "until an editor marks it reviewed."),
        ),
    )

    objects = ReportManager()

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-published_on", "-id"]
        indexes = [
            models.Index(fields=["status", "publish_at"], name="report_visibility_idx"),
            models.Index(fields=["-published_on", "-id"], name="report_newest_idx"),
            models.Index(fields=["price_from", "id"], name="report_price_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(forecast_start_year__isnull=True)
                | Q(forecast_end_year__isnull=True)
                | Q(forecast_start_year__lte=models.F("forecast_end_year")),
                name="report_forecast_years_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(delivery_mode=DeliveryMode.ON_ORDER) | Q(delivery_days__gte=1),
                name="report_on_order_promises_days",
            ),
        ]

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # What the master was when loaded: reports.signals announces a new one after save.
        instance._loaded_master_name = instance.__dict__.get("master_pdf") or ""
        # And the sample: a new or removed one re-renders its page images ("look inside").
        instance._loaded_sample_name = instance.__dict__.get("sample_pdf") or ""
        return instance

    def __str__(self):
        title = self.safe_translation_getter("title", any_language=True) or ""
        return f"{self.product_code} {title}".strip()

    def get_absolute_url(self):
        return reverse(
            "reports:detail", kwargs={"product_code": self.product_code, "slug": self.slug}
        )

    def is_visible(self, now=None) -> bool:
        return is_visible(self.status, self.publish_at, now)

    def clean(self):
        super().clean()
        if self.delivery_mode == DeliveryMode.ON_ORDER and not self.delivery_days:
            raise ValidationError({"delivery_days": NEEDS_PROMISED_DAYS})

    @property
    def has_master(self) -> bool:
        return bool(self.master_pdf)

    @property
    def is_purchasable(self) -> bool:
        """Whether a paid order can be delivered: now (a master) or later (on order)."""
        return self.has_master or self.delivery_mode == DeliveryMode.ON_ORDER

    @property
    def delivered_on_order(self) -> bool:
        """Sold without its master yet: delivered within ``delivery_days`` business days."""
        return not self.has_master and self.delivery_mode == DeliveryMode.ON_ORDER

    def save_translations(self, *args, **kwargs):
        # Translations saved together are one edit and share one time, so English and
        # Chinese written in either order (a feed import) do not look out of step.
        self._text_edit_time = timezone.now()
        try:
            super().save_translations(*args, **kwargs)
        finally:
            del self._text_edit_time

    def translation_is_behind(self, language_code: str) -> bool:
        """True when the English text changed after this translation was last updated
        or reviewed. Reads ``self.translations.all()``: prefetch "translations" in lists.

        A text never changed since the times were first kept (None) counts as old.
        """
        english_code = settings.PARLER_DEFAULT_LANGUAGE_CODE
        if language_code == english_code:
            return False
        translations = {item.language_code: item for item in self.translations.all()}
        english, translation = translations.get(english_code), translations.get(language_code)
        if english is None or translation is None or english.text_changed_at is None:
            return False
        caught_up = [
            moment
            for moment in (translation.text_changed_at, translation.reviewed_at)
            if moment is not None
        ]
        return not caught_up or english.text_changed_at > max(caught_up)

    @property
    def forecast_period(self) -> str:
        if self.forecast_start_year and self.forecast_end_year:
            return f"{self.forecast_start_year}-{self.forecast_end_year}"
        return ""

    @property
    def display_price_from(self) -> str:
        if self.price_from is None:
            return ""
        return formatting.format_price(self.price_from, self.price_currency)

    @property
    def shown_language(self) -> str | None:
        """The language the page text comes from: the active one, or its fallback."""
        try:
            translation = self._get_translated_model(
                language_code=get_language(), use_fallback=True, auto_create=False
            )
        except self._parler_meta.root_model.DoesNotExist:
            return None
        return translation.language_code


class KeyStatisticKind(models.TextChoices):
    BASE_YEAR = "base_year", _("Base year market size")
    ESTIMATED_YEAR = "estimated_year", _("Estimated year market size")
    FORECAST_YEAR = "forecast_year", _("Forecast year market size")
    CAGR = "cagr", _("Compound annual growth rate")


class KeyStatistic(models.Model):
    """A key figure stored as numbers; it is worded per language when shown."""

    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="key_statistics"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=20, choices=KeyStatisticKind.choices)
    year = models.PositiveSmallIntegerField(
        _("year"), null=True, blank=True, validators=[MinValueValidator(1900)]
    )
    amount = models.DecimalField(
        _("amount"),
        max_digits=20,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("In whole currency units, e.g. 9310000000 for USD 9.31 billion."),
    )
    currency = models.CharField(
        _("currency"), max_length=3, blank=True, validators=[currency_code_validator]
    )
    percentage = models.DecimalField(
        _("percentage"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("-100")), MaxValueValidator(Decimal("1000"))],
    )

    class Meta:
        verbose_name = _("key statistic")
        verbose_name_plural = _("key statistics")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "kind"], name="keystatistic_one_per_kind"),
            models.CheckConstraint(
                condition=(
                    Q(kind=KeyStatisticKind.CAGR, percentage__isnull=False, amount__isnull=True)
                    | (
                        ~Q(kind=KeyStatisticKind.CAGR)
                        & Q(amount__isnull=False, year__isnull=False, percentage__isnull=True)
                        & ~Q(currency="")
                    )
                ),
                name="keystatistic_value_matches_kind",
            ),
        ]

    def __str__(self):
        return f"{self.label()}: {self.display_value()}"

    def clean(self):
        super().clean()
        # A market size is reported, not sold: any real ISO 4217 currency will do.
        try:
            currencies.validate_iso_currency(self.currency)
        except ValidationError as error:
            raise ValidationError({"currency": error}) from None

    def label(self) -> str:
        return formatting.key_statistic_label(self.kind, self.year)

    def display_value(self) -> str:
        if self.kind == KeyStatisticKind.CAGR:
            return formatting.format_percentage(self.percentage)
        return formatting.format_money_amount(self.amount, self.currency)


class OutlineEntry(TranslatableModel):
    """One line of an outline (TOC or segmentation): a position and a depth."""

    position = models.PositiveIntegerField(_("position"), default=0)
    depth = models.PositiveSmallIntegerField(
        _("depth"), default=1, validators=[MinValueValidator(1), MaxValueValidator(4)]
    )

    class Meta:
        abstract = True
        ordering = ["position", "id"]


class TocEntry(OutlineEntry):
    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="toc_entries"
    )
    translations = TranslatedFields(title=models.CharField(_("title"), max_length=300))

    class Meta(OutlineEntry.Meta):
        verbose_name = _("table of contents entry")
        verbose_name_plural = _("table of contents")

    def __str__(self):
        return self.safe_translation_getter("title", any_language=True) or ""


class Segment(OutlineEntry):
    """A line of the report's segmentation: a dimension (depth 1) or a segment in it."""

    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="segments"
    )
    translations = TranslatedFields(name=models.CharField(_("name"), max_length=200))

    class Meta(OutlineEntry.Meta):
        verbose_name = _("segment")
        verbose_name_plural = _("segmentation")

    def __str__(self):
        return self.safe_translation_getter("name", any_language=True) or ""


class LicenseType(models.TextChoices):
    SINGLE_USER = "single_user", _("Single user")
    MULTI_USER = "multi_user", _("Multi-user (up to 5)")
    SITE = "site", _("Site licence")
    ENTERPRISE = "enterprise", _("Enterprise licence")

    @property
    def named_seats(self) -> int:
        """How many named people the licence covers, each with their own stamped copy
        (0: the licence is not for named people: one buyer, a site, a company)."""
        return NAMED_SEATS.get(self, 0)


# The "N" of a multi-user licence; order lines keep their own snapshot of it.
NAMED_SEATS = {LicenseType.MULTI_USER: 5}


LICENSE_TERMS = {
    LicenseType.SINGLE_USER: _("One named person may read and print the report."),
    LicenseType.MULTI_USER: _("Up to five named people in one team may share the report."),
    LicenseType.SITE: _("Everyone at one company location may use the report."),
    LicenseType.ENTERPRISE: _(
        "Everyone in the company and its subsidiaries, worldwide, may use the report."
    ),
}


class LicenseOption(models.Model):
    """A licence's price in one currency; a licence sold in three currencies has three
    rows (reports/pricing.py says which one a buyer sees and is charged)."""

    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="license_options"
    )
    license_type = models.CharField(_("licence type"), max_length=20, choices=LicenseType.choices)
    # Two decimals (as OrderLine.unit_price and Order.total) are enough for every currency
    # Stripe charges: its three-decimal currencies (BHD, JOD, KWD, OMR, TND) must be sent in
    # multiples of 10 minor units, i.e. with two decimals, and clean() refuses a price finer
    # than its currency (JPY 1234.50).
    price = models.DecimalField(
        _("price"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    currency = models.CharField(
        _("currency"),
        max_length=3,
        default="USD",
        validators=[currency_code_validator],
        help_text=_("Add a row per currency the licence is sold in; prices are never converted."),
    )

    class Meta:
        verbose_name = _("licence option")
        verbose_name_plural = _("licence options")
        ordering = ["price", "id"]
        constraints = [
            # A licence is priced once in each currency the editors sell it in.
            models.UniqueConstraint(
                fields=["report", "license_type", "currency"],
                name="licenseoption_one_per_type_currency",
            ),
            models.CheckConstraint(condition=Q(price__gt=0), name="licenseoption_price_positive"),
        ]

    def __str__(self):
        return f"{self.get_license_type_display()} {self.display_price()}"

    def clean(self):
        """Only a currency the shop sells, and a price no finer than that currency."""
        super().clean()
        price_places = self._meta.get_field("price").decimal_places
        try:
            currencies.validate_sold_currency(self.currency)
            # A price the field itself refuses (too many decimals) is reported once, by it.
            if (
                isinstance(self.price, Decimal)
                and self.price.is_finite()
                and currencies.has_at_most_places(self.price, price_places)
            ):
                currencies.validate_price_fits(self.price, self.currency)
        except ValidationError as error:
            field = "currency" if error.code == "currency_not_sold" else "price"
            raise ValidationError({field: error}) from None

    def display_price(self) -> str:
        return formatting.format_price(self.price, self.currency)

    @property
    def terms(self) -> str:
        return LICENSE_TERMS.get(self.license_type, "")


class SearchWordScript(models.TextChoices):
    LATIN = "latin", _("Latin letters")
    # Simplified: search folds traditional characters to simplified ones.
    CJK = "cjk", _("Chinese characters")


class SearchWord(models.Model):
    """A word of the published catalogue's titles and categories, for "did you mean".

    Kept by reports.vocabulary: rebuilt by ``manage.py rebuild_search_words`` (and after
    bulk loads), added to when a published report is saved.
    """

    script = models.CharField(_("script"), max_length=8, choices=SearchWordScript.choices)
    word = models.CharField(_("word"), max_length=64)
    # How many published titles and category names use it: the likelier suggestion wins.
    frequency = models.PositiveIntegerField(_("frequency"), default=1)

    class Meta:
        verbose_name = _("search word")
        verbose_name_plural = _("search words")
        ordering = ["script", "word"]
        constraints = [
            models.UniqueConstraint(fields=["script", "word"], name="searchword_unique_per_script")
        ]

    def __str__(self):
        return self.word


class SamplePage(models.Model):
    """One rendered page of a report's sample PDF ("look inside"), stamped "Sample".

    The image lives in the private storage under ``image``; the page is public all the
    same, served by reports.views.sample_page_image under an address that carries
    ``digest`` (a hash of the image), so browsers may keep it for a year. Rows and
    files are written and removed by reports.sample_pages only.
    """

    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="sample_pages"
    )
    number = models.PositiveSmallIntegerField(_("page number"))
    image = models.CharField(_("image file"), max_length=255)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    digest = models.CharField(_("digest"), max_length=16)

    class Meta:
        verbose_name = _("sample page")
        verbose_name_plural = _("sample pages")
        ordering = ["report", "number"]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="samplepage_one_per_number"),
        ]

    def __str__(self):
        return f"{self.report_id} p.{self.number}"

    def get_absolute_url(self):
        return reverse(
            "sample_page",
            kwargs={
                "product_code": self.report.product_code,
                "number": self.number,
                "digest": self.digest,
            },
        )


class PreparedPage(models.Model):
    """A report's product page in one language, rendered when the listing is saved.

    Written and read by reports/product_page.py only: the HTML holds slots for what
    changes per request (prices in the buyer's currency, related reports).
    """

    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="prepared_pages"
    )
    language_code = models.CharField(_("language"), max_length=15)
    # The report's page_revision, and the templates, translations and settings it was
    # built with: either differing, it is built again.
    revision = models.PositiveIntegerField(_("revision"))
    fingerprint = models.CharField(_("fingerprint"), max_length=32)
    title = models.TextField(_("title"))
    description = models.TextField(_("description"), blank=True)
    html = models.TextField(_("HTML"))
    head = models.JSONField(_("head"))
    data = models.JSONField(_("data"))

    class Meta:
        verbose_name = _("prepared product page")
        verbose_name_plural = _("prepared product pages")
        constraints = [
            models.UniqueConstraint(
                fields=["report", "language_code"], name="preparedpage_one_per_language"
            ),
        ]

    def __str__(self):
        return f"{self.report_id} {self.language_code}"
