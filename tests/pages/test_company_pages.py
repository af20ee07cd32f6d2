"""Company pages (about, terms of sale, privacy, imprint): in both languages, edited by
sales staff in the admin, linked from every footer and from checkout; the footer names
the seller from settings, and a production start warns about a placeholder seller."""

import subprocess
import sys

import pytest
from django.contrib.auth.models import Group, User
from django.core.checks import run_checks
from django.db import connection
from django.test.utils import CaptureQueriesContext

from storefront.pages.models import CompanyPage, PageKind
from tests.factories import make_report
from tests.orders.test_checkout import add_to_cart, option
from tests.storefront.test_production_posture import ROOT, production_environment

pytestmark = pytest.mark.django_db

URLS = {
    PageKind.ABOUT: "about/",
    PageKind.TERMS: "terms-of-sale/",
    PageKind.PRIVACY: "privacy/",
    PageKind.IMPRINT: "imprint/",
}
TITLES = {
    "en": {"about": "About us", "terms": "Terms of sale", "privacy": "Privacy notice",
           "imprint": "Imprint"},
    "zh-hans": {"about": "关于我们", "terms": "销售条款", "privacy": "隐私声明", "imprint": "版本说明"},
}  # fmt: skip


def sales_user():
    user = User.objects.create_user("mei", "mei@example.com", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Sales"))
    return user


# --- The pages -----------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("kind", list(URLS))
def test_each_company_page_is_there_in_both_languages_with_a_fixed_query_count(
    client, language, kind
):
    # when a visitor opens the page
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/{language}/{URLS[kind]}")

    # then it is the default text of the migration, in that language, in two queries
    # (the page, its translations in this language and the fallback)
    page = response.content.decode()
    assert response.status_code == 200
    assert f"<h1>{TITLES[language][kind]}</h1>" in page
    assert "not yet available in your language" not in page
    assert len(queries) == 2


def test_terms_of_sale_cover_refunds_liability_and_governing_law(client):
    english = client.get("/en/terms-of-sale/").content.decode()
    chinese = client.get("/zh-hans/terms-of-sale/").content.decode()
    for heading in ("Refunds and cancellation", "Liability", "Governing law"):
        assert heading in english
    for heading in ("退款与取消", "责任", "适用法律与争议"):
        assert heading in chinese


def test_default_pages_are_flagged_for_the_sellers_review():
    assert set(CompanyPage.objects.values_list("kind", "needs_review")) == {
        (kind, True) for kind in URLS
    }


def test_a_page_without_a_chinese_text_shows_the_english_one_and_says_so(client):
    page = CompanyPage.objects.get(kind=PageKind.PRIVACY)
    page.translations.filter(language_code="zh-hans").delete()

    response = client.get("/zh-hans/privacy/")

    assert response.status_code == 200
    assert "<h1>Privacy notice</h1>" in response.content.decode()
    assert "此页面尚无您所用语言的版本" in response.content.decode()


def test_imprint_names_the_seller_from_settings(client, settings):
    settings.SELLER_LEGAL_NAME = "Meridian Research Ltd"
    settings.SELLER_ADDRESS = "1 Example Street\nLondon EC1A 1AA"
    settings.SELLER_TAX_ID = "GB980780684"
    settings.SALES_EMAIL = "sales@shop.example.com"

    page = client.get("/en/imprint/").content.decode()

    assert "Meridian Research Ltd" in page
    assert "1 Example Street\nLondon EC1A 1AA" in page
    assert "GB980780684" in page
    assert "mailto:sales@shop.example.com" in page


# --- Editing in the admin ---------------------------------------------------------


def test_sales_staff_edit_a_page_in_chinese_and_the_shop_shows_it_cleaned(client):
    # given a member of the Sales group
    client.force_login(sales_user())
    page = CompanyPage.objects.get(kind=PageKind.TERMS)
    url = f"/admin/pages/companypage/{page.pk}/change/?language=zh-hans"
    assert client.get(url).status_code == 200

    # when they save new Chinese terms, with markup that must never reach a page
    response = client.post(url, {
        "title": "销售条款（2027 年版）",
        "body": '<h2>退款</h2><p onclick="steal()">14 天内退款。</p><script>alert(1)</script>',
        "needs_review": "",
    })

    # then the shop shows the new text without the script or the handler
    assert response.status_code == 302
    shown = client.get("/zh-hans/terms-of-sale/").content.decode()
    assert "<h1>销售条款（2027 年版）</h1>" in shown
    assert "<h2>退款</h2><p>14 天内退款。</p>" in shown
    assert "alert(1)" not in shown and "onclick" not in shown
    # the English text is untouched, and the page no longer needs review
    assert "<h1>Terms of sale</h1>" in client.get("/en/terms-of-sale/").content.decode()
    page.refresh_from_db()
    assert page.needs_review is False
    # and what is stored is already clean, for any other reader of the table
    stored = page.translations.get(language_code="zh-hans").body
    assert "<script" not in stored and "onclick" not in stored


def test_the_admin_list_reminds_staff_of_pages_still_unreviewed(client):
    client.force_login(sales_user())
    CompanyPage.objects.filter(kind=PageKind.ABOUT).update(needs_review=False)

    page = client.get("/admin/pages/companypage/").content.decode()

    assert "3 pages still hold the default text" in page


def test_pages_are_neither_added_nor_deleted_in_the_admin(admin_client):
    page = CompanyPage.objects.get(kind=PageKind.ABOUT)
    assert admin_client.get("/admin/pages/companypage/add/").status_code == 403
    assert admin_client.get(f"/admin/pages/companypage/{page.pk}/delete/").status_code == 403


def test_staff_outside_sales_cannot_edit_pages(client):
    client.force_login(User.objects.create_user("ed", "ed@example.com", "pw", is_staff=True))
    page = CompanyPage.objects.get(kind=PageKind.ABOUT)
    assert client.get(f"/admin/pages/companypage/{page.pk}/change/").status_code == 403


# --- Links and the seller in the footer --------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_footer_links_the_company_pages(client, language):
    page = client.get(f"/{language}/reports/").content.decode()
    footer = page[page.index('<footer class="site-footer">'):]
    for path in URLS.values():
        assert f'href="/{language}/{path}"' in footer


def test_the_footer_names_the_seller_from_settings(client, settings):
    settings.SELLER_LEGAL_NAME = "Meridian Research Ltd"
    settings.SELLER_ADDRESS = "1 Example Street\nLondon EC1A 1AA"
    settings.SELLER_TAX_ID = "GB980780684"

    page = client.get("/en/reports/").content.decode()
    footer = page[page.index('<footer class="site-footer">'):]

    assert "Meridian Research Ltd · 1 Example Street, London EC1A 1AA" in footer
    assert "GB980780684" in footer


def test_checkout_links_the_terms_of_sale_next_to_the_terms_checkbox(client):
    add_to_cart(client, option(make_report()), "zh-hans")
    page = client.get("/zh-hans/checkout/").content.decode()
    label = page[page.index('<label for="id_accept_terms">'):]
    label = label[: label.index("</label>")]
    assert 'href="/zh-hans/terms-of-sale/"' in label
    assert 'href="/zh-hans/licence-terms/"' in label


# --- The system check ---------------------------------------------------------------


def warning_ids():
    return {message.id for message in run_checks() if message.id.startswith("pages.")}


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("SALES_EMAIL", "sales@localhost", "pages.W001"),
        ("DEFAULT_FROM_EMAIL", "Report Store <orders@localhost>", "pages.W001"),
        ("SELLER_LEGAL_NAME", "", "pages.W002"),
        ("SELLER_LEGAL_NAME", "   ", "pages.W002"),
    ],
)
def test_the_check_warns_of_a_placeholder_seller_when_debug_is_off(settings, name, value, expected):
    # given production-like settings with real addresses and a seller
    settings.DEBUG = False
    settings.SALES_EMAIL = "sales@shop.example.com"
    settings.DEFAULT_FROM_EMAIL = "Shop <orders@shop.example.com>"
    settings.SELLER_LEGAL_NAME = "Meridian Research Ltd"
    assert warning_ids() == set()

    # when one of them is a placeholder
    setattr(settings, name, value)

    # then the check warns
    assert warning_ids() == {expected}


def test_the_check_is_quiet_on_a_local_run_with_the_defaults(settings):
    settings.DEBUG = True
    settings.SALES_EMAIL = "sales@localhost"
    settings.SELLER_LEGAL_NAME = ""
    assert warning_ids() == set()


def test_a_production_start_without_the_seller_settings_warns():
    # given a production environment that forgot the shop's mail and seller settings
    environment = {
        name: value
        for name, value in production_environment().items()
        if name not in {"SALES_EMAIL", "DEFAULT_FROM_EMAIL", "SELLER_LEGAL_NAME"}
    }
    # when Django's checks run
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT, env=environment, capture_output=True, text=True,
    )
    # then they warn of each placeholder (warnings do not stop the start)
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "(pages.W001) SALES_EMAIL is sales@localhost" in output
    assert "(pages.W001) DEFAULT_FROM_EMAIL is orders@localhost" in output
    assert "(pages.W002) SELLER_LEGAL_NAME is not set" in output
