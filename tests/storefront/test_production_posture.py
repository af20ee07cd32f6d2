"""Production posture: a clean `check --deploy`, CSP and Permissions-Policy on every page,
private pages never cached, admin sign-in throttled without locking staff out."""

import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from storefront.inquiries.models import Inquiry
from tests.delivery.test_delivery import paid_order
from tests.inquiries.conftest import form_data

ROOT = Path(__file__).resolve().parents[2]


def production_environment() -> dict:
    return {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "storefront.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "shop.example.com",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://shop.example.com",
        "DATABASE_URL": "postgres://shop:secret@db.internal:5432/shop",
        "REDIS_URL": "redis://redis.internal:6379/0",
        "STRIPE_SECRET_KEY": "sk_live_" + secrets.token_hex(12),
        "STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_hex(12),
        "SITE_URL": "https://shop.example.com",
        "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.com:587",
        "DEFAULT_FROM_EMAIL": "Meridian Research Store <orders@shop.example.com>",
        "SALES_EMAIL": "sales@shop.example.com",
        "SELLER_LEGAL_NAME": "Meridian Research Ltd",
        "SELLER_ADDRESS": "1 Example Street\nLondon EC1A 1AA\nUnited Kingdom",
        "SELLER_TAX_ID": "GB980780684",
    }


def test_production_settings_pass_check_deploy_without_a_warning():
    # given the settings a production start is given
    # when Django's deployment checks run on them
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT, env=production_environment(), capture_output=True, text=True,
    )
    # then there is nothing to warn about (HSTS, HTTPS redirect, cookies, key, hosts…)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout, result.stdout


@pytest.mark.django_db
@pytest.mark.parametrize("probe_url", ["/healthz", "/readyz"])
def test_health_probes_answer_plain_http_while_every_other_page_goes_to_https(
    settings, probe_url
):
    # given production's redirect to HTTPS
    settings.SECURE_SSL_REDIRECT = True
    client = Client()
    # when a load balancer probes over plain HTTP, and a buyer comes over plain HTTP
    probe = client.get(probe_url)
    page = client.get("/en/")
    # then the probe is answered and the buyer is sent to HTTPS
    assert probe.status_code == 200
    assert page.status_code == 301 and page["Location"] == "https://testserver/en/"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/en/", "/en/reports/", "/en/contact/", "/admin/login/"])
def test_pages_carry_a_strict_content_security_policy_and_a_permissions_policy(client, url):
    response = client.get(url)
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(ld\+)?json)[^>]*>", re.I), "inline script"),
    (re.compile(r"<style[\s>]", re.I), "style element"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: link"),
]


def test_no_template_has_what_the_content_security_policy_blocks():
    # Pages (the admin's included) run under script-src/style-src 'self': anything
    # inline would silently stop working.
    found = []
    for template in (ROOT / "templates").rglob("*.html"):
        if "emails" in template.parts:  # mail is not a page: no CSP there
            continue
        text = template.read_text()
        found += [f"{template.relative_to(ROOT)}: {what}" for pattern, what in INLINE if pattern.search(text)]
    assert found == []


@pytest.mark.django_db
def test_order_and_inquiry_pages_are_never_kept_by_a_browser_or_proxy(client, settings):
    # given an order (buyer's details, download links) and an inquiry
    order = paid_order()
    client.post("/en/contact/", form_data(report=""))
    inquiry = Inquiry.objects.get()
    # when the buyer's private pages are fetched
    responses = {
        "order": client.get(f"/en/orders/{order.public_token}/"),
        "payment success": client.get(f"/en/orders/{order.public_token}/paid/"),
        "inquiry thanks": client.get(inquiry.get_absolute_url()),
    }
    # then none may be stored
    for name, response in responses.items():
        assert response.status_code in (200, 302), name
        cache_control = response["Cache-Control"]
        assert "private" in cache_control and "no-store" in cache_control, name


@pytest.fixture
def staff_member(db):
    return get_user_model().objects.create_user(
        "editor", "editor@example.com", "correct horse battery", is_staff=True, is_superuser=True
    )


def sign_in(client, password):
    return client.post("/admin/login/?next=/admin/", {"username": "editor", "password": password})


def signed_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def test_forty_wrong_admin_passwords_lock_out_the_guesser_not_the_staff_member(staff_member):
    # given an attacker guessing a staff member's password from one address
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    answers = [sign_in(attacker, f"guess {number}") for number in range(40)]
    assert not any(signed_in(answer) for answer in answers)
    # when the attacker then tries the right password
    late_hit = sign_in(attacker, "correct horse battery")
    # then it is refused with the lockout page
    assert late_hit.status_code == 429
    assert not signed_in(late_hit)
    assert "Too many failed sign-ins" in late_hit.content.decode()
    # and the staff member, from their own address, signs in as usual
    assert signed_in(sign_in(Client(REMOTE_ADDR="198.51.100.5"), "correct horse battery"))
    # and the lockout ends after the cool-off
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert signed_in(sign_in(attacker, "correct horse battery"))
