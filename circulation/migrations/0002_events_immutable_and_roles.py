"""Circulation events cannot be changed or deleted (PostgreSQL trigger), and the library's roles
as groups with permissions.

Roles: anonymous visitors read the catalog (no group needed); "Patrons" see and act on only their
own record, loans and holds (the API scopes that; the group holds no model permissions);
"Librarians" run the desk and keep the catalog (view, add and change on circulation, all on the
catalog); "Administrators" also manage categories, rules, the calendar, users and tokens.
Give a staff account the Librarians group to make it a desk account.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

IMMUTABLE = """
CREATE OR REPLACE FUNCTION circulation_event_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'circulation events are a permanent record: ' || TG_OP || ' is not allowed',
        ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER circulation_event_immutable
    BEFORE UPDATE OR DELETE ON circulation_circulationevent
    FOR EACH ROW EXECUTE FUNCTION circulation_event_immutable();
"""
MUTABLE = """
DROP TRIGGER IF EXISTS circulation_event_immutable ON circulation_circulationevent;
DROP FUNCTION IF EXISTS circulation_event_immutable();
"""

CIRCULATION_DESK = [
    "view_patroncategory",
    "view_patron", "add_patron", "change_patron",
    "view_loan", "add_loan", "change_loan",
    "view_hold", "add_hold", "change_hold",
    "view_circulationevent",
    "view_circulationrule", "view_closedweekday", "view_closeddate",
]
ROLES = {
    "Patrons": {},
    "Librarians": {
        "catalog": ["add_", "change_", "delete_", "view_"],
        "circulation": CIRCULATION_DESK,
    },
    "Administrators": {
        "catalog": ["add_", "change_", "delete_", "view_"],
        "circulation": ["add_", "change_", "delete_", "view_"],
        "accounts": ["add_", "change_", "delete_", "view_", "issue_token_for_others"],
        "auth": ["add_", "change_", "delete_", "view_"],
    },
}


def roles(apps, schema_editor):
    # Permissions are made after all migrations; these need them now.
    for config in apps.get_app_configs():
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grants in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codenames in grants.items():
            for permission in Permission.objects.filter(content_type__app_label=app_label):
                if any(
                    permission.codename == c or (c.endswith("_") and permission.codename.startswith(c))
                    for c in codenames
                ):
                    group.permissions.add(permission)


def no_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


def run_on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("circulation", "0001_initial"),
        ("accounts", "0003_apitoken_created_by_issue_for_others"),
        ("catalog", "0006_copy_loan_type"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(run_on_postgresql(IMMUTABLE), run_on_postgresql(MUTABLE)),
        migrations.RunPython(roles, no_roles),
    ]
