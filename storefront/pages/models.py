"""The seller's own pages (about, terms of sale, privacy, imprint), edited by staff."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from parler.models import TranslatableModel, TranslatedFields


class PageKind(models.TextChoices):
    ABOUT = "about", _("About us")
    TERMS = "terms", _("Terms of sale")
    PRIVACY = "privacy", _("Privacy notice")
    IMPRINT = "imprint", _("Imprint")


class CompanyPage(TranslatableModel):
    """One page per kind; the migrations create all four, so links never lead nowhere."""

    kind = models.CharField(_("page"), max_length=20, choices=PageKind.choices, unique=True)
    # The migrations' default text is a starting point, not legal advice.
    needs_review = models.BooleanField(
        _("needs the seller's review"),
        default=True,
        help_text=_(
            "Untick once the seller (and their lawyer) have checked this text in every "
            "language."
        ),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    translations = TranslatedFields(
        title=models.CharField(_("title"), max_length=200),
        body=models.TextField(
            _("text"),
            help_text=_(
                "HTML: paragraphs, headings (h2, h3), lists, tables, bold, italics and "
                "links; anything else is removed."
            ),
        ),
    )

    class Meta:
        verbose_name = _("company page")
        verbose_name_plural = _("company pages")
        ordering = ["kind"]

    def __str__(self):
        return self.get_kind_display()
