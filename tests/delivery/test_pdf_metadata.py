"""What a PDF viewer's "document properties" say about the files a buyer receives:
the licensed copy and the invoice name who made them and when, read back with
pdfinfo (Debian poppler-utils) as a buyer's viewer would."""

import io
import re
import subprocess
from datetime import date, datetime, timezone

import pytest
from reportlab.pdfgen.canvas import Canvas

from storefront.delivery.stamping import LicenceStamp, stamp_licence
from storefront.invoicing import documents, pdf, services
from tests.invoicing.conftest import pay, place

STAMP = dict(
    licensee="Ann Lee",
    company="Acme Medical Ltd",
    licence_type="Multi-user (up to 5)",
    order_number="MR-261124-ABC123",
    licence_id="L-0A1B2C3D4E5F",
    issued_on=date(2026, 11, 24),
    issuer="Meridian Research Store",
    author="360iResearch",
)


def pdfinfo(data: bytes) -> dict[str, str]:
    result = subprocess.run(
        ["pdfinfo", "-isodates", "-"], input=data, capture_output=True, check=True
    )
    fields = {}
    for line in result.stdout.decode().splitlines():
        name, _, value = line.partition(":")
        fields[name.strip()] = value.strip()
    return fields


def anonymous_master() -> bytes:
    """A master as reportlab writes it when told nothing: author "anonymous", and
    in invariant mode dated 1 January 2000."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1)
    canvas.drawString(72, 720, "Market text")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def created_today(info: dict[str, str]) -> bool:
    created = datetime.fromisoformat(info["CreationDate"].replace("Z", "+00:00"))
    return abs((datetime.now(timezone.utc) - created).total_seconds()) < 300


def test_stamped_copy_names_the_shop_the_publisher_and_the_day_it_was_made():
    # given: a master without a real author or date
    master = anonymous_master()
    assert pdfinfo(master)["Author"] == "anonymous"

    # when
    output = io.BytesIO()
    stamp_licence(io.BytesIO(master), output, LicenceStamp(**STAMP))
    info = pdfinfo(output.getvalue())

    # then
    assert info["Author"] == "360iResearch"
    assert info["Creator"] == "Meridian Research Store licence stamp"
    assert re.fullmatch(r"pikepdf [\d.]+ \(qpdf [\d.]+\)", info["Producer"])
    assert created_today(info)
    assert info["ModDate"] == info["CreationDate"]
    assert "under this licence: Multi-user (up to 5);" in info["Subject"]


def test_stamped_copy_keeps_the_masters_own_author():
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.setAuthor("Global Market Insights")
    canvas.showPage()
    canvas.save()

    output = io.BytesIO()
    stamp_licence(io.BytesIO(buffer.getvalue()), output, LicenceStamp(**STAMP))

    assert pdfinfo(output.getvalue())["Author"] == "Global Market Insights"


@pytest.mark.django_db
def test_invoice_pdf_names_the_seller_and_shop_and_is_dated_now(settings):
    # given
    settings.SELLER_LEGAL_NAME = "Meridian Research Ltd"
    settings.SHOP_NAME = "Meridian Research Store"
    order = pay(place())

    # when
    invoice = services.issue_invoice(order_id=order.pk)
    info = pdfinfo(pdf.render(documents.invoice(invoice)))

    # then
    assert info["Author"] == "Meridian Research Ltd"
    assert info["Creator"] == "Meridian Research Store"
    assert info["Producer"].startswith("ReportLab ")
    assert info["Title"] == info["Subject"] != ""
    assert created_today(info)
