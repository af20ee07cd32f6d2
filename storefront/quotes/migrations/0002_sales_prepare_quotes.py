"""The Sales group prepares, edits and sends quotes (a quote starts from an inquiry, so no
add permission; none is ever deleted)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# A quote's lines are edited on its page with the quote's own permission (see
# QuoteLineInline); Sales never delete anything.
SALES_PERMISSIONS = [
    ("quotes", "view_quote"),
    ("quotes", "change_quote"),
]


def let_sales_quote(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate).
    app_config = apps.get_app_config("quotes")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Sales").first()
    if group is None:
        return
    for app_label, codename in SALES_PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def forget(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name="Sales"):
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="quotes",
                codename__in=[codename for _label, codename in SALES_PERMISSIONS],
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("quotes", "0001_quotes"),
        ("inquiries", "0002_sales_group"),
    ]

    operations = [migrations.RunPython(let_sales_quote, forget)]
