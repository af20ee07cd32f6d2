"""Alipay and WeChat Pay beside cards, where Stripe takes the order's currency.

The real SDK talks to the suite's Stripe-compatible server, which refuses a method
in a currency it does not take and a WeChat Pay session without its web client, as
Stripe does; webhooks are signed as Stripe signs them.
"""

import pytest
import stripe as stripe_sdk
from django.core.checks import run_checks
from django.test import override_settings

from reports.models import LicenseType
from storefront.orders.models import Order, OrderStatus
from storefront.payments import methods, services
from storefront.payments.models import CheckoutSession
from tests.payments.conftest import post_event

pytestmark = pytest.mark.django_db

WALLETS = ["card", "alipay", "wechat_pay"]


@pytest.fixture
def wallets(settings):
    settings.STRIPE_PAYMENT_METHODS = WALLETS
    settings.SHOP_CURRENCIES = ["USD", "EUR", "CNY", "JPY", "CHF", "MYR", "TWD"]


def yuan_order(card_order, **buyer):
    """A pending CNY order (licence at CNY 28,350.00) paid through Stripe Checkout."""
    return card_order(
        prices={LicenseType.SINGLE_USER: "28350.00"}, currency="CNY", language="zh-hans", **buyer
    )


def session_params(server):
    [request] = server.requests_to("POST", "/v1/checkout/sessions")
    return request.params


def deliver(client, server, event_type, session_id):
    return post_event(client, server, server.build_event(event_type, server.sessions[session_id]))


# --- Which methods, for which currency ----------------------------------------------


@pytest.mark.parametrize(
    ("currency", "offered"),
    [
        ("CNY", ["card", "alipay", "wechat_pay"]),
        ("usd", ["card", "alipay", "wechat_pay"]),
        ("CHF", ["card", "wechat_pay"]),  # WeChat Pay takes francs, Alipay does not
        ("MYR", ["card", "alipay"]),  # Alipay takes ringgit, WeChat Pay does not
        ("TWD", ["card"]),  # neither wallet presents New Taiwan dollars
    ],
)
def test_wallets_are_offered_only_in_the_currencies_stripe_takes_them_in(
    wallets, currency, offered
):
    assert methods.method_types(currency) == offered


def test_only_the_configured_methods_are_offered(settings):
    settings.STRIPE_PAYMENT_METHODS = ["card", "wechat_pay"]
    assert methods.method_types("CNY") == ["card", "wechat_pay"]
    settings.STRIPE_PAYMENT_METHODS = ["card"]
    assert methods.checkout_params("CNY") == {"payment_method_types": ["card"]}


def test_a_yuan_session_offers_both_wallets_with_the_web_client_and_chinese(
    wallets, stripe, card_order
):
    order, session_id, response = yuan_order(card_order)

    params = session_params(stripe)
    assert params["payment_method_types"] == ["card", "alipay", "wechat_pay"]
    assert params["payment_method_options"] == {"wechat_pay": {"client": "web"}}
    assert params["locale"] == "zh"
    session = stripe.sessions[session_id]
    assert session["payment_method_types"] == ["card", "alipay", "wechat_pay"]
    assert (session["amount_total"], session["currency"]) == (2_835_000, "cny")
    assert response.status_code == 302 and response["Location"] == session["url"]


def test_a_yen_order_offers_both_wallets_in_whole_yen(wallets, stripe, card_order):
    order, session_id, _ = card_order(prices={LicenseType.SINGLE_USER: "528000"}, currency="JPY")
    assert stripe.sessions[session_id]["payment_method_types"] == WALLETS
    assert stripe.sessions[session_id]["amount_total"] == 528_000


@pytest.mark.parametrize(
    ("language", "country", "locale"),
    [("en", "CN", "en"), ("zh-hans", "CN", "zh"), ("zh-hant", "TW", "zh-TW"),
     ("zh-hant", "HK", "zh-HK"), ("zh-hant", "", "zh-TW")],
)
def test_checkout_speaks_the_buyers_chinese(language, country, locale):
    assert services.checkout_locale(Order(language=language, country=country)) == locale


# --- Paying with a wallet -----------------------------------------------------------


def test_wechat_pay_in_yuan_pays_the_order_and_records_the_method(
    wallets, client, stripe, card_order
):
    order, session_id, _ = yuan_order(card_order)

    stripe.pay(session_id, method="wechat_pay", send_webhook=False)
    response = deliver(client, stripe, "checkout.session.completed", session_id)

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status in (OrderStatus.PAID, OrderStatus.DELIVERED)
    assert str(order.total) == "28350.00" and order.currency == "CNY"
    assert CheckoutSession.objects.get(session_id=session_id).method_type == "wechat_pay"
    paid = order.status_changes.filter(to_status=OrderStatus.PAID).get()
    assert "wechat_pay" in paid.note


def test_a_delayed_wechat_pay_payment_waits_then_pays(wallets, client, stripe, card_order):
    order, session_id, _ = yuan_order(card_order)

    stripe.pay(session_id, method="wechat_pay", async_payment=True, send_webhook=False)
    deliver(client, stripe, "checkout.session.completed", session_id)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING  # complete, but not paid yet

    stripe.succeed_async(session_id, send_webhook=False)
    deliver(client, stripe, "checkout.session.async_payment_succeeded", session_id)
    order.refresh_from_db()
    assert order.status in (OrderStatus.PAID, OrderStatus.DELIVERED)
    assert CheckoutSession.objects.get(session_id=session_id).method_type == "wechat_pay"


def test_a_failed_alipay_payment_cancels_the_pending_order(wallets, client, stripe, card_order):
    order, session_id, _ = yuan_order(card_order)

    stripe.pay(session_id, method="alipay", async_payment=True, send_webhook=False)
    deliver(client, stripe, "checkout.session.completed", session_id)
    stripe.fail_async(session_id, send_webhook=False)
    response = deliver(client, stripe, "checkout.session.async_payment_failed", session_id)

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert CheckoutSession.objects.get(session_id=session_id).method_type == "alipay"
    assert not order.status_changes.filter(to_status=OrderStatus.PAID).exists()


def test_an_expired_yuan_session_cancels_the_order(wallets, client, stripe, card_order):
    order, session_id, _ = yuan_order(card_order)

    stripe.expire(session_id, send_webhook=False)
    response = deliver(client, stripe, "checkout.session.expired", session_id)

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


def test_a_card_payment_in_a_wallet_currency_is_recorded_as_card(
    wallets, client, stripe, card_order
):
    order, session_id, _ = yuan_order(card_order)
    stripe.pay(session_id, send_webhook=False)
    deliver(client, stripe, "checkout.session.completed", session_id)
    assert CheckoutSession.objects.get(session_id=session_id).method_type == "card"


# --- What the buyer sees --------------------------------------------------------------


def test_checkout_names_the_wallets_for_a_yuan_cart_in_chinese(wallets, client, stripe):
    from tests.factories import make_report

    report = make_report(licence_prices={LicenseType.SINGLE_USER: "28350"}, licence_currency="CNY")
    client.post("/zh-hans/cart/add/", {"license_option": report.license_options.get().pk})

    page = client.get("/zh-hans/checkout/").content.decode()

    assert "在 Stripe 安全页面支付：银行卡、支付宝或微信支付" in page


def test_checkout_names_no_wallet_where_only_cards_are_taken(wallets, client, stripe):
    from tests.factories import make_report

    report = make_report(licence_prices={LicenseType.SINGLE_USER: "99000"}, licence_currency="TWD")
    client.post("/en/cart/add/", {"license_option": report.license_options.get().pk})

    page = client.get("/en/checkout/").content.decode()

    assert "Pay now by card" in page
    assert "Alipay" not in page and "WeChat Pay" not in page


def test_the_hosted_page_offers_a_button_per_wallet(wallets, client, stripe, card_order):
    import urllib.request

    order, session_id, _ = yuan_order(card_order)
    with urllib.request.urlopen(stripe.checkout_url(session_id)) as answer:
        page = answer.read().decode()
    assert 'value="alipay">Pay with Alipay' in page
    assert 'value="wechat_pay">Pay with WeChat Pay' in page


# --- The Stripe-compatible server refuses what Stripe refuses --------------------------


def sdk(server):
    return stripe_sdk.StripeClient(
        server.api_key, base_addresses={"api": server.url}, max_network_retries=0
    )


def session_request_params(currency, types, **extra):
    return {
        "mode": "payment",
        "success_url": "https://shop.example/ok",
        "cancel_url": "https://shop.example/cart",
        "line_items": [{"quantity": 1, "price_data": {
            "currency": currency, "unit_amount": 100000, "product_data": {"name": "Report"}}}],
        "payment_method_types": types,
        **extra,
    }


def test_stripe_refuses_alipay_in_a_currency_alipay_does_not_take(stripe_server):
    with pytest.raises(stripe_sdk.InvalidRequestError) as refused:
        sdk(stripe_server).v1.checkout.sessions.create(
            params=session_request_params("twd", ["card", "alipay"])
        )
    assert refused.value.param == "payment_method_types[1]"
    assert "twd" in str(refused.value)


def test_stripe_refuses_wechat_pay_without_its_client(stripe_server):
    with pytest.raises(stripe_sdk.InvalidRequestError) as refused:
        sdk(stripe_server).v1.checkout.sessions.create(
            params=session_request_params("cny", ["card", "wechat_pay"])
        )
    assert refused.value.param == "payment_method_options[wechat_pay][client]"


def test_a_session_cannot_be_paid_with_a_method_it_does_not_offer(stripe_server):
    session = sdk(stripe_server).v1.checkout.sessions.create(
        params=session_request_params("cny", ["card"])
    )
    with pytest.raises(ValueError, match="does not offer wechat_pay"):
        stripe_server.pay(session.id, method="wechat_pay", send_webhook=False)


# --- Settings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("configured", "ids"),
    [(["card", "alipay", "wechat_pay"], set()), (["card", "paypal"], {"payments.E003"}),
     (["alipay", "wechat_pay"], {"payments.E004"})],
)
def test_the_configured_methods_are_checked_at_start(configured, ids):
    with override_settings(STRIPE_PAYMENT_METHODS=configured):
        found = {message.id for message in run_checks() if message.id in ("payments.E003", "payments.E004")}
    assert found == ids
