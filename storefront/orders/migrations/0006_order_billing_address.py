"""Billing address fields; the free-text country becomes an ISO 3166-1 code.

Each existing country text is kept in country_as_typed; names the shop can match
(in English or Chinese, codes, common aliases such as "UK") become the code, the
rest leave the code blank for staff to fill in from the kept text.
"""

import django_countries.fields
from django.db import migrations, models


def country_text_to_code(apps, schema_editor):
    from storefront.orders.countries import country_code

    Order = apps.get_model("orders", "Order")
    for order in Order.objects.only("pk", "country").iterator():
        typed = order.country
        Order.objects.filter(pk=order.pk).update(
            country_as_typed=typed, country=country_code(typed) or ""
        )


def country_code_to_text(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    for order in Order.objects.only("pk", "country", "country_as_typed").iterator():
        Order.objects.filter(pk=order.pk).update(
            country=order.country_as_typed or order.country
        )


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0005_order_email_upper_idx'),
    ]

    operations = [
        migrations.AddField(
            model_name='order',
            name='billing_city',
            field=models.CharField(blank=True, max_length=100, verbose_name='city'),
        ),
        migrations.AddField(
            model_name='order',
            name='billing_line1',
            field=models.CharField(blank=True, max_length=200, verbose_name='billing address'),
        ),
        migrations.AddField(
            model_name='order',
            name='billing_line2',
            field=models.CharField(blank=True, max_length=200, verbose_name='billing address, line 2'),
        ),
        migrations.AddField(
            model_name='order',
            name='billing_postcode',
            field=models.CharField(blank=True, max_length=20, verbose_name='postcode'),
        ),
        migrations.AddField(
            model_name='order',
            name='country_as_typed',
            field=models.CharField(blank=True, max_length=100, verbose_name='country as typed (before the country list)'),
        ),
        migrations.RunPython(country_text_to_code, country_code_to_text, elidable=False),
        migrations.AlterField(
            model_name='order',
            name='country',
            field=django_countries.fields.CountryField(blank=True, max_length=2, verbose_name='country'),
        ),
    ]
