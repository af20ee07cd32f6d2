"""The quote as a PDF, in the buyer's language, drawn like the shop's invoices."""

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import override

from storefront.invoicing import pdf
from storefront.invoicing.documents import Document, Line, seller_of_record
from storefront.quotes.models import Quote


def _date(value) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def quote_document(quote: Quote, *, accept_url: str) -> Document:
    lines = list(quote.lines.all())
    with override(quote.language):
        facts = [
            (_("Quote number"), quote.number),
            (_("Date"), _date(quote.sent_at or quote.created_at)),
            (_("Valid until"), _date(quote.valid_until)),
        ]
        if quote.po_number:
            facts.append((_("PO number"), quote.po_number))
        buyer = [quote.company, quote.full_name, quote.country.name]
        if quote.vat_id:
            buyer.append(_("VAT / tax ID: %(vat_id)s") % {"vat_id": quote.vat_id})
        buyer.append(quote.email)
        rows = []
        for line in lines:
            details = []
            if line.product_code:
                details.append(
                    _("Code %(code)s, %(licence)s")
                    % {"code": line.product_code, "licence": line.get_license_type_display()}
                )
            if line.discount_minor:
                details.append(
                    _("List %(price)s, discount %(discount)s")
                    % {"price": line.display(line.price), "discount": line.display(line.discount_minor)}
                )
            rows.append(
                Line(
                    description=line.description,
                    detail="; ".join(details),
                    amount=line.display(line.net_price),
                )
            )
        notes = [note for note in [quote.note.strip()] if note]
        notes.append(
            _(
                "Accept this quote online by %(date)s and pay by card or bank transfer: "
                "%(url)s"
            )
            % {"date": _date(quote.valid_until), "url": accept_url}
        )
        return Document(
            language=quote.language,
            filename=f"{quote.number}.pdf",
            title=_("Quote"),
            facts=facts,
            seller=seller_of_record(),
            buyer=[row for row in buyer if row],
            buyer_heading=_("Prepared for"),
            lines=rows,
            totals=[(_("Total"), quote.display_total(lines))],
            notes=notes,
        )


def render_pdf(quote: Quote, *, accept_url: str) -> tuple[str, bytes]:
    document = quote_document(quote, accept_url=accept_url)
    return document.filename, pdf.render(document)
