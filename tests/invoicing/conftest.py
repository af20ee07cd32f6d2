import subprocess
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.translation import override

from reports.models import LicenseOption, LicenseType
from storefront.orders import services as order_services
from storefront.orders.cart import CartLine
from storefront.orders.models import Order, PaymentMethod
from tests.factories import make_report, minimal_pdf
from tests.payments.conftest import card_order, stripe  # noqa: F401 (fixtures)

BUYER = order_services.Buyer(
    email="ann.lee@example.com",
    full_name="Ann Lee",
    company="Acme Medical GmbH",
    country="Germany",
    vat_id="DE123456789",
    po_number="PO-4711",
)
CHINESE_BUYER = order_services.Buyer(
    email="li.wei@example.cn",
    full_name="李伟",
    company="上海医学教育咨询有限公司",
    country="China",
    vat_id="91310000MA1FL4XQ2K",
    po_number="采购-7781",
)


def place(*, language="en", buyer=BUYER, payment_method=PaymentMethod.CARD, lines=1,
          price="3939", currency="USD", with_master=False) -> Order:
    """An order of `lines` reports, placed as checkout places it (nothing paid yet)."""
    stamp = f"{timezone.now():%H%M%S%f}"
    reports = [
        make_report(
            product_code=f"I{stamp}{number}",
            title_en=f"Continuing Medical Education Market {number}",
            title_zh=f"继续医学教育(CME)市场 {number}",
            licence_prices={LicenseType.SINGLE_USER: price},
            licence_currency=currency,
            master_pdf=minimal_pdf() if with_master else None,
        )
        for number in range(lines)
    ]
    with override(language):
        options = [
            LicenseOption.objects.select_related("report").get(report=report) for report in reports
        ]
        return order_services.place_order(
            lines=[CartLine(option=option) for option in options], buyer=buyer,
            language=language, payment_method=payment_method,
        )  # fmt: skip


def pay(order: Order) -> Order:
    order_services.mark_order_paid(order_id=order.pk, source="test", amount=order.total,
                                   currency=order.currency)  # fmt: skip
    return Order.objects.get(pk=order.pk)


def pdf_text(data: bytes) -> str:
    """The text as poppler's pdftotext extracts it (make test installs poppler-utils)."""
    assert data.startswith(b"%PDF-")
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-layout", "-", "-"], input=data, capture_output=True,
        check=True,
    )  # fmt: skip
    return result.stdout.decode("utf-8")


@pytest.fixture
def seller(settings):
    settings.SELLER_LEGAL_NAME = "Meridian Research Ltd"
    settings.SELLER_ADDRESS = "1 Example Street\nLondon EC1A 1AA\nUnited Kingdom"
    settings.SELLER_TAX_ID = "GB987654321"
    settings.SELLER_COUNTRY = "GB"
    settings.INVOICE_TAX_RATE = Decimal("20")
    settings.INVOICE_TAX_LABEL = "VAT"
    settings.INVOICE_PAYMENT_INSTRUCTIONS = (
        "Bank transfer to: Meridian Research Ltd\nIBAN: GB00 EXAM 0000 0000 0000 00\n"
        "Reference: your order number"
    )
    return settings
