"""The quote mail and its PDF, in the buyer's language."""

import pytest
from django.core import mail

from storefront.quotes import mail as quote_mail
from storefront.quotes.models import Quote
from tests.invoicing.conftest import pdf_text, seller  # noqa: F401 (fixture)
from tests.quotes.conftest import make_quote, sent

pytestmark = pytest.mark.django_db

SUBJECTS = {
    "en": "Quote {number} from Meridian Research Store",
    "zh-hans": "Meridian Research Store 的报价单 {number}",
    "zh-hant": "Meridian Research Store 的報價單 {number}",
}
ACCEPT = {
    "en": "Accept the quote and pay by card or bank transfer",
    "zh-hans": "接受报价并以银行卡或银行转账付款",
    "zh-hant": "接受報價並以銀行卡或銀行轉賬付款",
}


@pytest.mark.parametrize("language", ["en", "zh-hans", "zh-hant"])
def test_the_quote_is_mailed_in_the_buyers_language_with_its_pdf(
    language, seller, django_capture_on_commit_callbacks,  # noqa: F811
):
    quote = make_quote(language=language)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sent(quote)
    message = mail.outbox[-1]
    assert message.to == ["ann.lee@example.com"]
    assert message.subject == SUBJECTS[language].format(number=quote.number)
    assert ACCEPT[language] in message.body
    accept_url = quote_mail.accept_url(quote)
    assert accept_url in message.body
    assert f"/{language}/quotes/" in accept_url
    filename, content, mimetype = message.attachments[0]
    assert (filename, mimetype) == (f"{quote.number}.pdf", "application/pdf")
    text = pdf_text(content)
    assert quote.number in text
    assert "EUR 4,954.10" in text
    assert "Analyst briefing, 2 hours" in text
    assert Quote.objects.get(pk=quote.pk).mailed_at is not None


def test_the_pdf_reads_in_english_and_chinese(seller):  # noqa: F811
    from storefront.quotes import documents

    english = make_quote(language="en")
    chinese = make_quote(language="zh-hans")
    text_en = pdf_text(documents.render_pdf(english, accept_url="http://x/q/")[1])
    text_zh = pdf_text(documents.render_pdf(chinese, accept_url="http://x/q/")[1])
    assert "Quote" in text_en and "Valid until" in text_en and "PO-4711" in text_en
    assert "List EUR 4,949.00, discount EUR 494.90" in text_en
    assert "Meridian Research Ltd" in text_en
    assert "报价单" in text_zh and "有效期至" in text_zh
    assert "继续医学教育市场" in text_zh
