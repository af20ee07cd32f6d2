"""The quote mailed to the buyer in their language, with its PDF and the link to accept."""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, override

from storefront.orders.mail import absolute_url, build_message
from storefront.quotes import documents, services
from storefront.quotes.models import Quote, QuoteStatus


def accept_url(quote: Quote) -> str:
    with override(quote.language):
        return absolute_url(reverse("quotes:accept", kwargs={"token": services.accept_token(quote)}))


@transaction.atomic
def send_quote_mail(*, quote_id: int) -> bool:
    """Mail a sent quote with its PDF; False (nothing sent) for a quote no longer sent
    (accepted meanwhile). Each call sends: staff resending a quote mean it."""
    quote = Quote.objects.select_for_update().get(pk=quote_id)
    if quote.status != QuoteStatus.SENT:
        return False
    url = accept_url(quote)
    filename, content = documents.render_pdf(quote, accept_url=url)
    lines = list(quote.lines.all())
    with override(quote.language):
        subject = gettext("Quote %(number)s from %(shop)s") % {
            "number": quote.number, "shop": settings.SHOP_NAME,
        }
    message = build_message(
        template="quote",
        subject=subject,
        to=[quote.email],
        language=quote.language,
        context={"quote": quote, "lines": lines, "total": quote.display_total(lines),
                 "accept_url": url},
    )
    message.attach(filename, content, "application/pdf")
    message.send()
    Quote.objects.filter(pk=quote.pk).update(mailed_at=timezone.now())
    return True
