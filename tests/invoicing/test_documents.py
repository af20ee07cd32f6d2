"""What the PDFs say, read back with pdftotext, in English and Chinese."""

from dataclasses import replace
from decimal import Decimal

import pytest

from storefront.invoicing import documents, pdf, services
from storefront.invoicing.models import TaxExemption
from storefront.orders.models import PaymentMethod
from tests.invoicing.conftest import BUYER, CHINESE_BUYER, pay, pdf_text, place

pytestmark = pytest.mark.django_db


def squeezed(text: str) -> str:
    """pdftotext's layout puts runs of spaces between columns; compare words only."""
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("language", "buyer", "title", "receipt"),
    [
        ("en", BUYER, "Invoice", "This invoice is also your receipt."),
        ("zh-hans", CHINESE_BUYER, "发票", "本发票同时作为收据。"),
    ],
)
def test_invoice_pdf_names_seller_buyer_vat_id_po_and_order_in_the_orders_language(
    seller, language, buyer, title, receipt
):
    # given: a paid card order
    order = pay(place(language=language, buyer=buyer))

    # when
    invoice = services.issue_invoice(order_id=order.pk)
    text = squeezed(pdf_text(pdf.render(documents.invoice(invoice))))

    # then
    assert invoice.number.startswith(f"INV-{invoice.issued_at.year}-")
    for expected in (
        title, invoice.number, order.number, "Meridian Research Ltd", "1 Example Street",
        "GB987654321", buyer.company, buyer.full_name, buyer.vat_id, buyer.po_number,
        "USD 3,939.00", receipt,
    ):  # fmt: skip
        assert expected in text, expected


def test_pdf_of_an_english_order_shows_a_chinese_company_name(seller):
    # given: an English order whose buyer typed the company in Chinese
    order = pay(place(language="en", buyer=CHINESE_BUYER))

    # when
    text = pdf_text(pdf.render(documents.invoice(services.issue_invoice(order_id=order.pk))))

    # then: the name is there, in characters, not boxes
    assert "上海医学教育咨询有限公司" in text
    assert "Invoice" in text


def test_business_buyer_with_a_vat_id_in_another_country_is_invoiced_under_reverse_charge(seller):
    # given: a German company with a VAT id, a British seller charging 20 % VAT
    order = pay(place(buyer=BUYER))

    # when
    invoice = services.issue_invoice(order_id=order.pk)
    text = squeezed(pdf_text(pdf.render(documents.invoice(invoice))))

    # then: no tax, and the reason
    assert (invoice.tax_rate, invoice.tax_amount) == (Decimal("0"), Decimal("0"))
    assert invoice.tax_exemption == TaxExemption.REVERSE_CHARGE
    assert "VAT 0% USD 0.00" in text
    assert "Reverse charge: no VAT charged; the buyer accounts for it in their own country." in text


def test_buyer_in_the_sellers_country_pays_the_tax_rate_included_in_the_price(seller):
    # given: a British company (its VAT id in the seller's country)
    order = pay(place(buyer=replace(BUYER, country="United Kingdom", vat_id="GB123456789")))

    # when
    invoice = services.issue_invoice(order_id=order.pk)
    text = squeezed(pdf_text(pdf.render(documents.invoice(invoice))))

    # then: 20 % VAT inside USD 3,939.00 is USD 656.50 on a net USD 3,282.50
    assert (invoice.tax_rate, invoice.tax_amount) == (Decimal("20"), Decimal("656.50"))
    assert invoice.tax_exemption == TaxExemption.NONE
    assert "Net amount USD 3,282.50" in text
    assert "VAT 20% USD 656.50" in text
    assert "Reverse charge" not in text


def test_consumer_without_a_vat_id_pays_the_tax_rate(seller):
    order = pay(place(buyer=replace(BUYER, vat_id="")))
    invoice = services.issue_invoice(order_id=order.pk)
    assert (invoice.tax_rate, invoice.tax_exemption) == (Decimal("20"), TaxExemption.NONE)


def test_tax_of_a_currency_without_minor_units_is_whole(seller):
    order = pay(place(buyer=replace(BUYER, vat_id=""), price="500000",
                      currency="JPY"))  # fmt: skip
    invoice = services.issue_invoice(order_id=order.pk)
    text = squeezed(pdf_text(pdf.render(documents.invoice(invoice))))
    assert invoice.tax_amount == Decimal("83333")
    assert "Total JPY 500,000" in text


def test_proforma_pdf_gives_due_date_and_the_order_number_as_payment_reference(seller):
    # given: an invoice order, not paid
    order = place(language="zh-hans", buyer=CHINESE_BUYER, payment_method=PaymentMethod.INVOICE)

    # when
    text = squeezed(pdf_text(pdf.render(documents.proforma(order))))

    # then
    due = services.proforma_due_date(order)
    assert "形式发票" in text
    assert f"{due.year}年{due.month}月{due.day}日" in text
    assert f"Reference: {order.number}" in text
    assert "your order number" not in text
    assert "GB00 EXAM 0000 0000 0000 00" in text
    assert CHINESE_BUYER.po_number in text
