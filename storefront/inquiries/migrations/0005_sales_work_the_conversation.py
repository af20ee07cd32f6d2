"""Sales write internal notes, keep the reply templates and file buyers' e-mail answers."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SALES_GROUP = "Sales"
SALES_PERMISSIONS = [
    ("inquiries", "view_inquirynote"),
    ("inquiries", "add_inquirynote"),
    ("inquiries", "view_replytemplate"),
    ("inquiries", "add_replytemplate"),
    ("inquiries", "change_replytemplate"),
    ("inquiries", "view_inboundmessage"),
    ("inquiries", "change_inboundmessage"),
]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=SALES_GROUP):
        for app_label, codename in SALES_PERMISSIONS:
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    codenames = [codename for _app, codename in SALES_PERMISSIONS]
    for group in Group.objects.filter(name=SALES_GROUP):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="inquiries", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [("inquiries", "0004_conversation")]

    operations = [migrations.RunPython(grant, revoke)]
