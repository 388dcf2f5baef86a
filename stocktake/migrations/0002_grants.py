"""The Librarians and Administrators groups (made by circulation's migration 0002) run
stocktakes: view, start (add) and scan and close (change) them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = ["view_stocktake", "add_stocktake", "change_stocktake"]
GROUPS = ["Librarians", "Administrators"]


def grant(apps, schema_editor):
    # Permissions are made after all migrations; these need them now.
    config = apps.get_app_config("stocktake")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="stocktake", codename__in=CODENAMES
    )
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUPS):
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="stocktake", codename__in=CODENAMES
    )
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUPS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("stocktake", "0001_initial"),
        ("circulation", "0002_events_immutable_and_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
