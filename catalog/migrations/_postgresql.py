"""For the catalog's migrations (Django's loader skips modules named with a leading "_"): raw
statements that only PostgreSQL runs, such as its own index types."""

from django.db import migrations


def postgresql_only(forward: list[str], backward: list[str]) -> migrations.RunPython:
    def run(statements: list[str]):  # type: ignore[no-untyped-def]
        def step(apps, schema_editor):  # type: ignore[no-untyped-def]
            if schema_editor.connection.vendor == "postgresql":
                for statement in statements:
                    schema_editor.execute(statement)

        return step

    return migrations.RunPython(run(forward), run(backward))
