"""For apps' migrations (Django's loader skips modules named with a leading "_"): give the
project's staff groups (made by circulation's migration 0002, "Librarians" and
"Administrators") permissions on an app's new models, and take them back on the way down."""

from collections.abc import Sequence

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant_to_groups(
    app_label: str, codenames: Sequence[str], groups: Sequence[str]
) -> migrations.RunPython:
    def permissions(apps):  # type: ignore[no-untyped-def]
        return apps.get_model("auth", "Permission").objects.filter(
            content_type__app_label=app_label, codename__in=list(codenames)
        )

    def grant(apps, schema_editor):  # type: ignore[no-untyped-def]
        # Permissions are made after all migrations; these need them now.
        config = apps.get_app_config(app_label)
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None
        for group in apps.get_model("auth", "Group").objects.filter(name__in=list(groups)):
            group.permissions.add(*permissions(apps))

    def revoke(apps, schema_editor):  # type: ignore[no-untyped-def]
        for group in apps.get_model("auth", "Group").objects.filter(name__in=list(groups)):
            group.permissions.remove(*permissions(apps))

    return migrations.RunPython(grant, revoke)
