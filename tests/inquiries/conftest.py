import pytest

from tests.factories import make_report, minimal_pdf

PRODUCT_CODE = "1994249"
TITLE_EN = "Continuing Medical Education Market - Global Forecast 2026-2032"
TITLE_ZH = "继续医学教育市场 - 2026-2032年全球预测"


class FailingSMTPBackend:
    """A mail backend whose server refuses every message, as a broken SMTP relay would."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        from smtplib import SMTPSenderRefused

        raise SMTPSenderRefused(451, b"4.3.0 Try again later", "orders@localhost")


@pytest.fixture
def report():
    return make_report(
        product_code=PRODUCT_CODE, title_en=TITLE_EN, title_zh=TITLE_ZH,
        sample_pdf=minimal_pdf("Sample pages"), master_pdf=minimal_pdf("The whole report"),
    )


def form_data(**overrides) -> dict:
    """What a buyer types into the contact form."""
    data = {
        "kind": "question",
        "report": PRODUCT_CODE,
        "source": f"/en/reports/{PRODUCT_CODE}/continuing-medical-education-market/",
        "name": "Ann Lee",
        "email": "ann.lee@example.com",
        "company": "Acme Medical",
        "job_title": "Head of Strategy",
        "country": "United Kingdom",
        "phone": "+44 20 7946 0958",
        "message": "Does the report cover accredited online CME providers in Japan?",
        "consent": "on",
        "website": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}
