"""Stamped copies and mails for a buyer who reads traditional Chinese."""

import pytest
from django.core import mail

from storefront.delivery.licence_stamp import WORDING, LicenceStamp
from storefront.orders.models import PaymentMethod
from reports.chinese import to_traditional
from tests.delivery.test_stamping import (  # noqa: F401 (fixtures)
    LI_WEI,
    flat,
    mixed_master,
    page_texts,
    stamp_to_bytes,
)
from tests.invoicing.conftest import CHINESE_BUYER, place, seller  # noqa: F401 (fixture)


@pytest.mark.parametrize("language", ["zh-hant", "zh-TW", "zh_hk"])
def test_taiwan_and_hong_kong_codes_get_the_traditional_stamp(language):
    assert LicenceStamp(**LI_WEI, language=language).language == "zh-hant"


def test_the_traditional_wording_is_the_simplified_one_as_taiwan_writes_it():
    for key, simplified in WORDING["zh-hans"].items():
        traditional = WORDING["zh-hant"][key]
        if isinstance(simplified, tuple):
            assert list(traditional) == [to_traditional(text) for text in simplified], key
        else:
            assert traditional == to_traditional(simplified), key


def test_a_traditional_stamp_on_every_page_and_its_cover(mixed_master, pdftotext):
    data, result = stamp_to_bytes(mixed_master, LicenceStamp(**LI_WEI, language="zh-hant"))

    texts = [flat(text) for text in page_texts(pdftotext, data)]
    for text in texts[1:]:
        assert "授權給 李伟（上海医学教育咨询有限公司）" in text
        assert "許可編號 L-9F8E7D6C5B4A" in text
    for fact in ("授權副本", "被許可人", "許可編號", "2026年11月24日", "使用條款"):
        assert fact in texts[0], fact


@pytest.mark.django_db
def test_a_traditional_order_gets_its_proforma_in_traditional_chinese(
    seller, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        place(language="zh-hant", buyer=CHINESE_BUYER, payment_method=PaymentMethod.INVOICE)

    [message] = mail.outbox
    assert "訂單" in message.subject or "發票" in message.subject, message.subject
    assert "订单" not in message.subject and "发票" not in message.subject
