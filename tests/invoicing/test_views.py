"""The buyer's document URLs and the staff's admin links."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from storefront.invoicing import services
from storefront.invoicing.models import CreditNote, Invoice
from storefront.orders import services as order_services
from storefront.orders.models import PaymentMethod
from storefront.payments.models import Refund
from tests.invoicing.conftest import CHINESE_BUYER, pay, pdf_text, place

pytestmark = pytest.mark.django_db

# Session, user and permissions included; counted once and kept fixed.
# The order page: its own rows and inlines (lines, history, sessions, events, refunds,
# seats, invoice, credit notes), whatever the number of documents.
ADMIN_QUERIES = {"order": 13, "invoices": 9, "credit_notes": 9}


def refunded(order, amount="1000.00", refund_id="re_test_1"):
    refund = Refund.objects.create(
        order=order, refund_id=refund_id, amount=Decimal(amount), currency=order.currency
    )
    order_services.record_refund(order_id=order.pk, refunded_total=Decimal(amount), source="test")
    return services.issue_credit_note(refund_id=refund.pk)


def assert_private_pdf(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_buyer_downloads_the_invoice_of_a_paid_order_in_its_language(client, seller):
    order = pay(place(language="zh-hans", buyer=CHINESE_BUYER))
    invoice = services.issue_invoice(order_id=order.pk)

    response = client.get(f"/zh-hans/orders/{order.public_token}/invoice/")

    assert_private_pdf(response)
    assert f'filename="{invoice.number}.pdf"' in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert "发票" in text and invoice.number in text and order.number in text


def test_invoice_is_issued_on_first_download_when_its_subscriber_never_ran(client, seller):
    order = pay(place())
    assert not Invoice.objects.filter(order=order).exists()

    response = client.get(f"/en/orders/{order.public_token}/invoice/")

    assert_private_pdf(response)
    assert Invoice.objects.get(order=order).number in pdf_text(response.content)


def test_unpaid_order_has_no_invoice_and_uses_no_number(client):
    order = place()
    response = client.get(f"/en/orders/{order.public_token}/invoice/")
    assert response.status_code == 404
    assert not Invoice.objects.exists()


def test_card_order_has_no_proforma(client):
    order = pay(place())
    assert client.get(f"/en/orders/{order.public_token}/proforma/").status_code == 404


def test_another_buyers_token_never_gives_their_documents(client, seller):
    # given: my order, and another buyer's paid, refunded order with all its documents
    mine = pay(place())
    theirs = pay(place(payment_method=PaymentMethod.INVOICE))
    their_credit_note = refunded(theirs)

    # then: guessed or altered tokens find nothing
    for token in ("x" * 32, theirs.public_token[:-1], theirs.public_token.upper(), "%00"):
        for kind in ("invoice", "proforma", f"credit-notes/{their_credit_note.number}"):
            assert client.get(f"/en/orders/{token}/{kind}/").status_code in (400, 404)
    # and my token never opens their credit note
    response = client.get(f"/en/orders/{mine.public_token}/credit-notes/{their_credit_note.number}/")
    assert response.status_code == 404
    assert client.get(
        f"/en/orders/{theirs.public_token}/credit-notes/{their_credit_note.number}/"
    ).status_code == 200


@pytest.mark.parametrize("number", ["CN-2026-999999", "' OR 1=1 --", "x" * 500, "😀"])
def test_unknown_credit_note_numbers_are_404(client, number):
    order = pay(place())
    assert client.get(f"/en/orders/{order.public_token}/credit-notes/{number}/").status_code == 404


def test_documents_only_answer_get(client):
    order = pay(place())
    assert client.post(f"/en/orders/{order.public_token}/invoice/").status_code == 405


@pytest.mark.parametrize("lines", [1, 4])
def test_document_pages_run_a_fixed_number_of_queries(
    client, seller, django_assert_num_queries, lines
):
    # given: a paid invoice order, refunded in part, with every document issued
    order = place(lines=lines, payment_method=PaymentMethod.INVOICE)
    invoice = services.issue_invoice(order_id=order.pk)
    order = pay(order)
    credit_note = refunded(order)
    base = f"/en/orders/{order.public_token}"

    # then: whatever the number of lines
    with django_assert_num_queries(3):  # order, its lines, the invoice
        assert client.get(f"{base}/invoice/").status_code == 200
    with django_assert_num_queries(3):  # order, its lines, the invoice
        assert client.get(f"{base}/proforma/").status_code == 200
    with django_assert_num_queries(3):  # order, its lines, the credit note with invoice, refund
        assert client.get(f"{base}/credit-notes/{credit_note.number}/").status_code == 200
    assert invoice.number


@pytest.mark.parametrize("lines", [1, 3])
def test_order_page_links_the_invoice_and_credit_notes(
    client, seller, django_assert_num_queries, lines
):
    # given: a paid order, refunded in part (not delivered: no copies, so no grants)
    order = pay(place(lines=lines))
    credit_note = refunded(order)

    # when
    with django_assert_num_queries(3):  # order, lines with their copies, credit notes
        response = client.get(f"/en/orders/{order.public_token}/")

    # then
    page = response.content.decode()
    assert f'href="/en/orders/{order.public_token}/invoice/">Invoice (PDF)</a>' in page
    assert f"/en/orders/{order.public_token}/credit-notes/{credit_note.number}/" in page
    assert "/proforma/" not in page


def test_order_page_of_an_invoice_order_links_the_proforma_in_chinese(client):
    order = place(language="zh-hans", payment_method=PaymentMethod.INVOICE)

    page = client.get(f"/zh-hans/orders/{order.public_token}/").content.decode()

    assert f'href="/zh-hans/orders/{order.public_token}/proforma/">形式发票（PDF）</a>' in page
    assert "/invoice/" not in page  # not paid yet


def test_sales_staff_open_the_documents_from_the_admin_order_page(client, seller):
    # given: a member of Sales, and a refunded order
    user = User.objects.create_user("sam", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Sales"))
    client.force_login(user)
    order = pay(place(payment_method=PaymentMethod.INVOICE))
    invoice = services.issue_invoice(order_id=order.pk)
    credit_note = refunded(order)

    # when
    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()

    # then: the order page links each PDF, and each opens
    for url in (
        f"/admin/invoicing/invoice/{invoice.pk}/pdf/",
        f"/admin/invoicing/invoice/{invoice.pk}/proforma/",
        f"/admin/invoicing/creditnote/{credit_note.pk}/pdf/",
    ):
        assert url in page
        assert_private_pdf(client.get(url))
    assert invoice.number in pdf_text(client.get(f"/admin/invoicing/invoice/{invoice.pk}/pdf/").content)
    assert order.public_token not in page  # Sales may not see what opens the buyer's page


def test_staff_without_the_view_permission_get_no_pdf(client):
    user = User.objects.create_user("eve", password="pw", is_staff=True)
    client.force_login(user)
    order = pay(place())
    invoice = services.issue_invoice(order_id=order.pk)
    assert client.get(f"/admin/invoicing/invoice/{invoice.pk}/pdf/").status_code == 403
    assert CreditNote.objects.count() == 0


def admin_query_counts(client, order) -> dict[str, int]:
    counts = {}
    for name, url in (
        ("order", f"/admin/orders/order/{order.pk}/change/"),
        ("invoices", "/admin/invoicing/invoice/"),
        ("credit_notes", "/admin/invoicing/creditnote/"),
    ):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts[name] = len(queries)
    return counts


def test_admin_order_page_and_document_lists_run_a_fixed_number_of_queries(admin_client, seller):
    # given: a refunded order with its invoice and one credit note
    order = pay(place())
    refunded(order, amount="100.00", refund_id="re_1")
    admin_query_counts(admin_client, order)  # warm the per-process caches (content types)
    one = admin_query_counts(admin_client, order)

    # when: more documents exist, of this order and others
    refunded(order, amount="300.00", refund_id="re_2")
    refunded(order, amount="600.00", refund_id="re_3")
    other = pay(place())
    refunded(other, amount="50.00", refund_id="re_4")

    # then
    assert admin_query_counts(admin_client, order) == one
    assert one == ADMIN_QUERIES


@pytest.mark.parametrize(
    "company",
    ["<para>Acme & <b>Sons</b></para>", "Ｍｅｒｉｄｉａｎ 株式会社 😀", "A" * 200, "O'Brien \"&\" Co"],
)
def test_hostile_buyer_text_is_printed_as_typed_never_a_500(client, seller, company):
    from dataclasses import replace

    from tests.invoicing.conftest import BUYER

    order = pay(place(buyer=replace(BUYER, company=company, po_number="<PO>&1")))

    response = client.get(f"/en/orders/{order.public_token}/invoice/")

    assert_private_pdf(response)
    text = pdf_text(response.content)
    assert "<PO>&1" in text
    if company.isascii():
        assert company[:60] in "".join(text.split("\n")) or "Sons" in text


def test_an_order_of_many_lines_runs_over_pages(client, seller):
    order = pay(place(lines=40))
    response = client.get(f"/en/orders/{order.public_token}/invoice/")
    assert_private_pdf(response)
    text = pdf_text(response.content)
    assert text.count("\f") >= 2  # two pages at least
    assert "Continuing Medical Education Market 39" in text and "USD 157,560.00" in text
