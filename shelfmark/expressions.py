"""Query expressions the apps share."""

from __future__ import annotations

from typing import Any

from django.db.models import Subquery, TextField


class JsonArray(Subquery):
    """A subquery's one column (``.values("name")``) as one JSON array, as text ("[]" for no
    rows): a list read in the statement of its parent row instead of a statement of its own.
    Dates come back as ISO strings."""

    output_field = TextField()

    def __init__(self, queryset: Any, column: str, **extra: Any) -> None:
        self.column = column
        super().__init__(queryset.order_by(), **extra)

    def as_sql(
        self, compiler: Any, connection: Any, template: str | None = None, **extra: Any
    ) -> tuple[str, tuple[Any, ...]]:
        column = connection.ops.quote_name(self.column)
        if connection.vendor == "postgresql":
            aggregate = f"COALESCE(json_agg({column})::text, '[]')"
        else:  # SQLite's JSON functions are built in
            aggregate = f"json_group_array({column})"
        # Names from code, quoted: nothing from a request is in this text.
        template = "(SELECT " + aggregate + ' FROM (%(subquery)s) AS "json_array_rows")'  # noqa: S608
        return super().as_sql(compiler, connection, template=template, **extra)
