"""The Sales group sees an order's named seats and their log (read only), as it sees
the order's lines."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SEAT_PERMISSIONS = ["view_seat", "view_seatchange"]


def let_sales_see_seats(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate).
    app_config = apps.get_app_config("orders")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Sales").first()
    if group is None:
        return
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="orders", codename__in=SEAT_PERMISSIONS)
    )


def forget(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name="Sales"):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="orders", codename__in=SEAT_PERMISSIONS)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0007_seats"),
        ("inquiries", "0002_sales_group"),
    ]

    operations = [migrations.RunPython(let_sales_see_seats, forget)]
