"""An ORM expression for the SQL a search backend writes about the book row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Expression, F, Field


class BookSQL(Expression):
    """Raw SQL about a book row: ``{book}`` in ``template`` is the book table's alias in
    whatever query the expression ends up in (the table is ``U0`` when a queryset becomes a
    subquery, as ``id__in=`` and facet counts make it), which plain ``RawSQL`` cannot know.
    The alias comes from the book's ``id`` column, resolved and relabelled by Django."""

    def __init__(self, template: str, params: list[Any], *, output_field: Field) -> None:
        super().__init__(output_field=output_field)
        self.template = template
        self.params = params
        self.book_id: Any = F("id")

    def get_source_expressions(self) -> list[Any]:
        return [self.book_id]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.book_id,) = exprs

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        alias = compiler.quote_name_unless_alias(self.book_id.alias)
        return "(" + self.template.format(book=alias) + ")", tuple(self.params)
