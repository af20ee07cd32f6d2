"""The "Editors" group: creates, translates, schedules and archives listings.

Editors never delete a report (an archived report keeps order history and its
links intact) and see nothing outside the catalogue.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS_GROUP = "Editors"
# Reports, categories and publishers: everything but delete.
CATALOGUE_MODELS = ["report", "category", "publisher"]
# The rows edited inline on a report: an editor removes them as part of an edit.
INLINE_MODELS = ["keystatistic", "licenseoption", "tocentry", "segment"]
EDITOR_PERMISSIONS = [
    *(f"{action}_{model}" for model in CATALOGUE_MODELS for action in ("add", "change", "view")),
    *(
        f"{action}_{model}"
        for model in INLINE_MODELS
        for action in ("add", "change", "delete", "view")
    ),
]


def create_editors_group(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate); create
    # them now so a fresh database gets a complete group.
    app_config = apps.get_app_config("reports")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=EDITORS_GROUP)
    for codename in EDITOR_PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label="reports", codename=codename)
        )


def remove_editors_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=EDITORS_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_keystatistic_one_per_kind"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_editors_group, remove_editors_group)]
