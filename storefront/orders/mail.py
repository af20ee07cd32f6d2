"""Mail to buyers about their orders, in the order's language."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext, override

from storefront.orders.models import Order
from storefront.orders.signals import proforma_mail_prepared


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def build_message(*, template: str, subject: str, to: list[str], context: dict, language: str):
    """A text + HTML mail rendered from templates/emails/<template>.{txt,html}."""
    with override(language):
        context = {"shop_name": settings.SHOP_NAME, "sales_email": settings.SALES_EMAIL, **context}
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=to,
        reply_to=[settings.SALES_EMAIL],
    )
    message.attach_alternative(html, "text/html")
    return message


@transaction.atomic
def send_proforma_invoice(*, order_id: int) -> bool:
    """Mail the buyer a pro-forma invoice with payment instructions, once.

    The order number is the payment reference. Subscribers of proforma_mail_prepared
    attach their documents (the pro-forma PDF) in this transaction, so what they
    record is kept only when the mail went out. Returns False when it was sent
    before (a retried or duplicated task).
    """
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.proforma_sent_at is not None:
        return False
    with override(order.language):
        subject = gettext("Pro-forma invoice for order %(number)s") % {"number": order.number}
    message = build_message(
        template="proforma_invoice",
        subject=subject,
        to=[order.email],
        language=order.language,
        context={
            "order": order,
            "lines": list(order.lines.all()),
            "order_url": absolute_url(order.get_absolute_url()),
            "payment_instructions": order.payment_instructions,
        },
    )
    proforma_mail_prepared.send(sender=Order, order=order, message=message)
    message.send()
    order.proforma_sent_at = timezone.now()
    order.save(update_fields=["proforma_sent_at", "updated_at"])
    return True
