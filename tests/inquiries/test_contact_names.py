"""The contact form's name and company go through the same NameField as checkout's."""

import pytest
from django.core import mail

from storefront.inquiries.models import Inquiry
from tests.inquiries.conftest import form_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("field", ["name", "company"])
@pytest.mark.parametrize(
    "value, message",
    [
        ("\u200b\u00ad\ufeff", "at least one letter or digit"),
        ("https://spam.example", "not a web address"),
    ],
)
def test_contact_form_refuses_invisible_and_web_address_names(
    client, report, field, value, message
):
    # when a visitor sends the form with such a name, then nothing is saved or mailed
    response = client.post("/en/contact/", form_data(**{field: value}))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Inquiry.objects.count() == 0 and mail.outbox == []


def test_contact_form_stores_names_normalised(client, report):
    response = client.post(
        "/en/contact/", form_data(name="\u200bAnn\u00ad Lee", company="Acme\ufeff  Medical")
    )

    assert response.status_code == 302
    inquiry = Inquiry.objects.get()
    assert (inquiry.name, inquiry.company) == ("Ann Lee", "Acme Medical")
