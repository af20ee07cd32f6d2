"""Sales see invoices and credit notes (read only), as they see orders."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SALES_GROUP = "Sales"
PERMISSIONS = [("invoicing", "view_invoice"), ("invoicing", "view_creditnote")]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate).
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group = apps.get_model("auth", "Group").objects.filter(name=SALES_GROUP).first()
    if group is None:
        return
    Permission = apps.get_model("auth", "Permission")
    for app_label, codename in PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def revoke(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name=SALES_GROUP).first()
    if group is not None:
        group.permissions.remove(
            *apps.get_model("auth", "Permission").objects.filter(
                content_type__app_label="invoicing", codename__in=[c for _a, c in PERMISSIONS]
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0001_initial"),
        ("inquiries", "0002_sales_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
