"""orders/0006: the free-text country of existing orders becomes an ISO code, and
nothing a buyer typed is lost."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("orders", "0005_order_email_upper_idx")]
AFTER = [("orders", "0006_order_billing_address")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_latest():
    yield
    # Leave the schema as the rest of the suite expects it, whatever came after 0005.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_existing_country_texts_become_codes_and_the_text_is_kept(back_to_latest):
    # given orders saved before the country list, with what buyers typed
    old_apps = migrate(BEFORE)
    Order = old_apps.get_model("orders", "Order")
    typed = ["United Kingdom", "UK", " china ", "中国", "Deutschland", "DE", "x", "英国"]
    for index, country in enumerate(typed):
        order = Order.objects.create(
            number=f"MR-OLD-{index}", public_token=f"token-{index}", email="a@example.com",
            full_name="Ann Lee", company="Acme", country=country, language="en",
            currency="USD", total=100, payment_method="invoice", status="awaiting_invoice",
            terms_accepted_at=timezone.now(),
        )
        # Rows pointing at the order: PostgreSQL refuses to alter a table with pending
        # foreign-key checks, so the migration must not leave any behind.
        old_apps.get_model("orders", "OrderLine").objects.create(
            order=order, product_code="1994249", title="CME", license_type="single_user",
            unit_price=100, currency="USD",
        )

    # when the migration runs
    new_apps = migrate(AFTER)

    # then known names (English, Chinese, codes, aliases) are codes; the rest is blank
    # for staff to fill in, and every typed text is kept
    Order = new_apps.get_model("orders", "Order")
    rows = dict(Order.objects.values_list("number", "country"))
    kept = dict(Order.objects.values_list("number", "country_as_typed"))
    assert [rows[f"MR-OLD-{index}"] for index in range(len(typed))] == [
        "GB", "GB", "CN", "CN", "", "DE", "", "GB",
    ]
    assert [kept[f"MR-OLD-{index}"] for index in range(len(typed))] == typed

    # and the way back restores the text
    migrate(BEFORE)
    restored = old_apps.get_model("orders", "Order").objects.values_list("country", flat=True)
    assert set(restored) == set(typed)
