"""Every page works under the Content-Security-Policy: Chromium reports no violation on
the shop's pages nor in the admin (sign-in, lists, forms with language tabs, feed import)."""

from importlib import import_module

import pytest
from django.apps import apps
from django.contrib.auth.models import User

from storefront.pages.models import CompanyPage, PageKind
from tests.factories import make_report

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "admin-pass-2026"


def watch_for_violations(page) -> list[str]:
    violations = []
    page.on(
        "console",
        lambda message: violations.append(message.text)
        if "Content Security Policy" in message.text
        else None,
    )
    return violations


def test_shop_and_admin_pages_run_without_a_csp_violation(page, live_server):
    # given a catalogue and a superuser
    report = make_report(product_code="1994249")
    # The company pages come from a data migration, which an earlier test's flush removed.
    import_module("storefront.pages.migrations.0002_default_pages").create_pages(apps, None)
    terms = CompanyPage.objects.get(kind=PageKind.TERMS)
    User.objects.create_superuser("root", "root@example.com", PASSWORD)
    violations = watch_for_violations(page)
    base = live_server.url
    # when a buyer browses and starts a checkout
    for path in ("/en/", "/en/reports/?q=market", report.get_absolute_url(), "/zh-hans/",
                 "/en/contact/", "/en/licence-terms/", "/en/terms-of-sale/", "/zh-hans/imprint/"):
        page.goto(f"{base}{path}")
    page.goto(f"{base}{report.get_absolute_url()}")
    page.locator("form[action$='/cart/add/'] button").first.click()
    page.goto(f"{base}/en/checkout/")
    # and staff sign in and open lists, a form with language tabs and the feed import
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    for path in ("/admin/", "/admin/reports/report/", "/admin/reports/report/add/",
                 f"/admin/reports/report/{report.pk}/change/?language=zh-hans",
                 "/admin/reports/report/import/", "/admin/orders/order/",
                 "/admin/inquiries/inquiry/", "/admin/pages/companypage/",
                 f"/admin/pages/companypage/{terms.pk}/change/?language=zh-hans"):
        response = page.goto(f"{base}{path}")
        assert response.status < 400, path
    # then the browser refused nothing
    assert violations == []
    assert page.js_errors == []
