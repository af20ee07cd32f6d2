"""Buyers with orders, and what the sign-in mail carries."""

import re
import uuid


from reports.models import LicenseType
from storefront.delivery import services as delivery_services
from storefront.orders import services as order_services
from storefront.orders.cart import CartLine
from storefront.orders.models import Order, PaymentMethod
from tests.delivery.test_delivery import master_pdf
from tests.factories import make_report

CODE_IN_SUBJECT = re.compile(r"(\d{6})")
LINK_IN_BODY = re.compile(r"https?://[^/\s]+(/[a-z-]+/account/sign-in/[0-9a-f]{64}/)")


def bought(*, email, language="en", lines=1, deliver=True, title="Medical Education Market"):
    """An order bought with ``email``, paid and (by default) delivered; mail from it is eager."""
    reports = [
        make_report(
            product_code=f"L{uuid.uuid4().hex[:8]}",
            title_en=f"{title} {number}",
            master_pdf=master_pdf(2),
            licence_prices={LicenseType.SINGLE_USER: "3939"},
        )
        for number in range(lines)
    ]
    order = order_services.place_order(
        lines=[CartLine(report.license_options.get()) for report in reports],
        buyer=order_services.Buyer(email=email, full_name="Ann Lee", company="Acme", country="UK"),
        language=language,
        payment_method=PaymentMethod.CARD,
    )
    order_services.mark_order_paid(order_id=order.pk, source="test")
    if deliver:
        delivery_services.deliver_order(order_id=order.pk)
    return Order.objects.get(pk=order.pk)


def code_in(message) -> str:
    return CODE_IN_SUBJECT.search(message.subject).group(1)


def link_in(body: str) -> str:
    return LINK_IN_BODY.search(body).group(1)
