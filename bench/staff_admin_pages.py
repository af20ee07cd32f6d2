"""Server time of the sales desk's admin pages, in-process through Django's test client.

Measures, signed in as a member of the Sales group with DEBUG off, the inquiry list, the
change page of an inquiry with a thread (replies and internal notes), the order list, the
change page of an invoice order with its status history and a bank payment (where the
model exists), the quote list and a quote (where the quotes app exists), and the admin
index with its role dashboards (as the Sales user and as a superuser). Each page: p50
and p95 of ``--requests`` requests after a warm-up, the queries of one more request and
the ratio to the floor of ``editor_admin_pages.py`` (the admin's password-change page)
measured in the same run. The query counts are then taken again after the inquiries,
orders and quotes are topped up to ``--second-size`` rows (the page sizes stay the same).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/storefront_bench_staff \\
        .venv/bin/python bench/staff_admin_pages.py [--requests 15] [--rows 200] \\
        [--second-size 2000] [--reuse-db]

Unless ``--reuse-db`` is given, the database is migrated and seeded as for
``editor_admin_pages.py`` (``seed_demo --no-pdfs`` plus ``seed_catalog --reports 200``);
the inquiries, orders and quotes of the run are added either way (up to ``--rows`` of
each, by reference, so a second run adds none). The database name must contain "bench".
Pages whose model or admin does not exist in the checked-out code are reported as
skipped.
"""

import argparse
import logging
import os
import statistics
import sys
import warnings
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from editor_admin_pages import FLOOR, measure, setup  # noqa: E402

PREFIX = "BENCH"


def fields_of(model, values):
    """The values whose field exists on ``model`` (the same script runs on older code)."""
    names = {field.name for field in model._meta.get_fields()}
    return {key: value for key, value in values.items() if key.split("__")[0] in names}


def model_or_none(app_label, model_name):
    from django.apps import apps

    try:
        return apps.get_model(app_label, model_name)
    except LookupError:
        return None


def make_inquiry(index, *, kind, report, sales):
    from django.utils import timezone

    from storefront.inquiries.models import Inquiry, InquiryStatus

    reference = f"{PREFIX}-I{index}"
    inquiry = Inquiry.objects.filter(reference=reference).first()
    if inquiry:
        return inquiry, False
    statuses = [InquiryStatus.NEW, InquiryStatus.OPEN, InquiryStatus.CLOSED]
    inquiry = Inquiry.objects.create(
        **fields_of(
            Inquiry,
            {
                "reference": reference,
                "kind": kind,
                "status": statuses[index % len(statuses)],
                "report": report,
                "report_title": str(report) if report else "",
                "name": f"Buyer {index}",
                "email": f"buyer{index}@example.com",
                "company": f"Company {index}",
                "job_title": "Analyst",
                "country": "Germany",
                "message": "Could you quote the report in EUR for two sites?",
                "consent_given_at": timezone.now(),
                "language": "zh-hans" if index % 3 == 0 else "en",
                "assignee": sales if index % 2 else None,
                "needs_attention": index % 7 == 0,
            },
        )
    )
    Inquiry.objects.filter(pk=inquiry.pk).update(
        created_at=timezone.now() - timedelta(hours=index % 24 * 30)
    )
    return inquiry, True


def add_thread(inquiry, sales, *, replies=3, notes=2):
    """A few sent replies and internal notes, interleaved as a sales desk writes them."""
    from django.utils import timezone

    from storefront.inquiries.models import InquiryReply

    Note = model_or_none("inquiries", "InquiryNote")
    now = timezone.now()
    for number in range(replies):
        InquiryReply.objects.create(
            **fields_of(
                InquiryReply,
                {
                    "inquiry": inquiry,
                    "author": sales,
                    "body": f"Reply {number + 1}: the report covers 2020-2030, by region.\n" * 4,
                    "status": "sent",
                    "sent_at": now,
                },
            )
        )
        if Note is not None and number < notes:
            Note.objects.create(inquiry=inquiry, author=sales, body=f"Note {number + 1}: call Tue.")


def make_order(index, *, option, sales):
    """An invoice order with one line, a status history and, where the model exists, a
    part payment by bank transfer."""
    from django.utils import timezone

    from storefront.orders.models import Order, OrderLine, OrderStatusChange

    number = f"{PREFIX}-O{index}"
    order = Order.objects.filter(number=number).first()
    if order:
        return order
    statuses = ["awaiting_invoice", "paid", "pending"]
    order = Order.objects.create(
        **fields_of(
            Order,
            {
                "number": number,
                "public_token": f"bench-order-{index}",
                "email": f"buyer{index}@example.com",
                "full_name": f"Buyer {index}",
                "company": f"Company {index}",
                "country": "DE",
                "billing_line1": "Friedrichstraße 1",
                "billing_postcode": "10117",
                "billing_city": "Berlin",
                "vat_id": "DE136695976",
                "po_number": f"PO-{index}",
                "language": "zh-hans" if index % 3 == 0 else "en",
                "currency": option.currency,
                "total": option.price,
                "payment_method": "invoice",
                "status": statuses[index % len(statuses)],
                "needs_attention": index % 11 == 0,
                "terms_accepted_at": timezone.now(),
            },
        )
    )
    OrderLine.objects.create(
        **fields_of(
            OrderLine,
            {
                "order": order,
                "report": option.report,
                "license_option": option,
                "product_code": option.report.product_code,
                "title": str(option.report)[:300],
                "license_type": option.license_type,
                "unit_price": option.price,
                "currency": option.currency,
            },
        )
    )
    for source, target in [("", "pending"), ("pending", "awaiting_invoice")]:
        OrderStatusChange.objects.create(
            **fields_of(
                OrderStatusChange,
                {
                    "order": order,
                    "from_status": source,
                    "to_status": target,
                    "source": "bench",
                    "note": "pro-forma sent",
                    "actor": sales,
                },
            )
        )
    BankPayment = model_or_none("orders", "BankPayment")
    if BankPayment is not None:
        BankPayment.objects.create(
            order=order,
            amount=(option.price / 2).quantize(Decimal("0.01")) or Decimal("1"),
            currency=option.currency,
            received_on=timezone.localdate(),
            reference=f"SEPA {index}",
            recorded_by=sales,
        )
    return order


def make_quote(inquiry, sales):
    """A draft quote from a quotation inquiry (the quotes app's own service), or None."""
    Quote = model_or_none("quotes", "Quote")
    if Quote is None:
        return None
    quote = Quote.objects.filter(inquiry=inquiry).first()
    if quote:
        return quote
    from django.db import transaction

    from storefront.quotes import services

    with transaction.atomic():
        quote = services.create_quote_from_inquiry(inquiry_id=inquiry.pk, actor=sales)
    Quote.objects.filter(pk=quote.pk).update(
        **fields_of(Quote, {"vat_id": "DE136695976", "po_number": "PO-4711"})
    )
    return quote


def populate(rows, sales):
    """Up to ``rows`` inquiries (every other one a quotation request with a quote) and
    ``rows`` orders; the first inquiry and order carry the thread and the history."""
    from reports.models import LicenseOption
    from storefront.inquiries.models import InquiryKind

    options = list(
        LicenseOption.objects.select_related("report").order_by("report_id", "price")[:rows]
    )
    if not options:
        sys.exit("no licence options: seed the catalogue first (run without --reuse-db)")
    for index in range(rows):
        option = options[index % len(options)]
        kind = InquiryKind.QUOTATION if index % 2 == 0 else InquiryKind.QUESTION
        inquiry, created = make_inquiry(index, kind=kind, report=option.report, sales=sales)
        if created and index < 10:
            add_thread(inquiry, sales)
        if kind == InquiryKind.QUOTATION:
            make_quote(inquiry, sales)
        make_order(index, option=option, sales=sales)


def sales_user():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    group = Group.objects.filter(name="Sales").first()
    if group is None:
        sys.exit("no Sales group: the data migrations make it (run without --reuse-db)")
    user, _created = get_user_model().objects.get_or_create(
        username="bench-sales",
        defaults={"is_staff": True, "first_name": "Mei", "last_name": "Sales"},
    )
    user.groups.add(group)
    return user


def pages_of(sales):
    """(name, path, who) for each page; path None when the page does not exist here."""
    from django.urls import NoReverseMatch, reverse

    from storefront.inquiries.models import Inquiry
    from storefront.orders.models import Order

    def admin_url(name, *args):
        try:
            return reverse(f"admin:{name}", args=args)
        except NoReverseMatch:
            return None

    inquiry = Inquiry.objects.get(reference=f"{PREFIX}-I0")
    order = Order.objects.get(number=f"{PREFIX}-O0")
    quote = make_quote(inquiry, sales)
    return [
        (FLOOR, reverse("admin:password_change"), "sales"),
        ("inquiry list", admin_url("inquiries_inquiry_changelist"), "sales"),
        ("inquiry change", admin_url("inquiries_inquiry_change", inquiry.pk), "sales"),
        ("order list", admin_url("orders_order_changelist"), "sales"),
        ("order change", admin_url("orders_order_change", order.pk), "sales"),
        ("quote list", admin_url("quotes_quote_changelist") if quote else None, "sales"),
        ("quote change", admin_url("quotes_quote_change", quote.pk) if quote else None, "sales"),
        ("admin index (Sales)", reverse("admin:index"), "sales"),
        ("admin index (superuser)", reverse("admin:index"), "superuser"),
    ]


def describe():
    """What the measured inquiry and order carry (it differs between checkouts)."""
    from storefront.inquiries.models import Inquiry
    from storefront.orders.models import Order

    inquiry = Inquiry.objects.get(reference=f"{PREFIX}-I0")
    order = Order.objects.get(number=f"{PREFIX}-O0")
    notes = inquiry.notes.count() if hasattr(inquiry, "notes") else "no"
    payments = order.bank_payments.count() if hasattr(order, "bank_payments") else "no"
    return (
        f"inquiry {inquiry.reference}: {inquiry.replies.count()} replies, {notes} notes; "
        f"order {order.number}: {order.lines.count()} line, "
        f"{order.status_changes.count()} status changes, {payments} bank payments"
    )


def p95(timings):
    if len(timings) < 2:
        return timings[0]
    return statistics.quantiles(timings, n=20, method="inclusive")[18]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--rows", type=int, default=200, help="inquiries and orders (each)")
    parser.add_argument(
        "--second-size", type=int, default=2000, help="rows for the second query count; 0: none"
    )
    parser.add_argument("--reports", type=int, default=200, help="seed_catalog --reports")
    parser.add_argument("--reuse-db", action="store_true")
    args = parser.parse_args()
    setup(reuse_db=args.reuse_db, reports=args.reports, debug=False)
    logging.disable(logging.INFO)  # one sign-in record per client, not part of the figures
    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from storefront.inquiries.models import Inquiry
    from storefront.orders.models import Order

    sales = sales_user()
    superuser, _created = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    populate(args.rows, sales)
    clients = {"sales": Client(), "superuser": Client()}
    clients["sales"].force_login(sales)
    clients["superuser"].force_login(superuser)
    pages = pages_of(sales)

    print(f"DEBUG: {settings.DEBUG}; inquiries {Inquiry.objects.count()}, "
          f"orders {Order.objects.count()}")  # fmt: skip
    print(describe())
    print(f"load average before: {os.getloadavg()}")
    results, skipped = {}, {}
    for name, path, who in pages:
        if path is None:
            skipped[name] = "not in this code"
            continue
        response = clients[who].get(path)
        if response.status_code != 200:
            skipped[name] = f"HTTP {response.status_code} for {who}"
            continue
        timings, count, response = measure(clients[who], path, args.requests)
        results[name] = {
            "p50": statistics.median(timings),
            "p95": p95(timings),
            "queries": count,
            "kb": len(response.content) / 1024,
        }
    print(f"load average after: {os.getloadavg()}")

    if args.second_size > args.rows:
        populate(args.second_size, sales)
        for name, path, who in pages:
            if name in results:
                _timings, count, _response = measure(clients[who], path, 0, warm_up=1)
                results[name]["queries 2"] = count
        print(f"second size: inquiries {Inquiry.objects.count()}, "
              f"orders {Order.objects.count()}")  # fmt: skip

    floor = results[FLOOR]
    print(
        f"{'page':33} {'p50 ms':>8} {'p95 ms':>8} {'p50×fl':>7} {'p95×fl':>7} "
        f"{'queries':>9} {'KB':>5}"
    )
    for name, row in results.items():
        queries = str(row["queries"])
        if "queries 2" in row:
            queries += f"→{row['queries 2']}"
        print(
            f"{name:33} {row['p50']:8.1f} {row['p95']:8.1f} {row['p50'] / floor['p50']:7.2f} "
            f"{row['p95'] / floor['p95']:7.2f} {queries:>9} {row['kb']:5.0f}"
        )
    for name, why in skipped.items():
        print(f"{name:33} skipped: {why}")


if __name__ == "__main__":
    main()
