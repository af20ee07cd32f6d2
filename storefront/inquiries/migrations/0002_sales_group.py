"""The "Sales" group: sees and answers inquiries, sees orders and marks invoice orders
paid, never edits the catalogue."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SALES_GROUP = "Sales"
SALES_PERMISSIONS = [
    # Inquiries: the queue, status / assignee / notes, replies, quotation orders.
    ("inquiries", "view_inquiry"),
    ("inquiries", "change_inquiry"),
    ("inquiries", "quote_inquiry"),
    ("inquiries", "view_inquiryreply"),
    ("inquiries", "add_inquiryreply"),
    # Orders: read only (marking invoices paid and refunds are separate permissions).
    ("orders", "view_order"),
    ("orders", "mark_invoice_paid"),
    ("orders", "view_orderline"),
    ("orders", "view_orderstatuschange"),
    ("payments", "view_checkoutsession"),
    ("payments", "view_paymentevent"),
    ("payments", "view_refund"),
]


def create_sales_group(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate); create
    # them now so a fresh database gets a complete group.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=SALES_GROUP)
    for app_label, codename in SALES_PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def remove_sales_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=SALES_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("inquiries", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("orders", "0002_order_delivery_failed_at_order_delivery_mailed_at"),
        ("payments", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_sales_group, remove_sales_group)]
