"""Reads of the fines ledger: balances, and the ledger's rows for the API and the pages."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, cast

from django.db.models import F, Q, QuerySet, Sum

from circulation.models import FineEntry, FineKind
from shelfmark.rows import Row, RowShape, renamed

CENT = Decimal("0.01")


# What a patron was charged, and what was paid or waived of it: the balance is the difference.
_OWED = {
    "charged": Sum("amount", filter=Q(kind=FineKind.CHARGE), default=Decimal(0)),
    "settled": Sum("amount", filter=~Q(kind=FineKind.CHARGE), default=Decimal(0)),
}


def patron_balance(patron_id: int) -> Decimal:
    """What the patron owes: the charges, less the payments and waivers (one query)."""
    entries = FineEntry.objects.filter(patron_id=patron_id)
    sums = entries.aggregate(**_OWED)
    return (sums["charged"] - sums["settled"]).quantize(CENT)


def balances(patron_ids: Sequence[int]) -> dict[int, Decimal]:
    """What each of these patrons owes (0 for those with no entries): one grouped query."""
    entries = FineEntry.objects.filter(patron_id__in=list(patron_ids))
    # The sums are annotations made from a dict, which the type checker cannot follow.
    sums = cast(
        Iterable[dict[str, Any]],
        entries.values("patron_id").annotate(**_OWED).order_by(),
    )
    return {row["patron_id"]: (row["charged"] - row["settled"]).quantize(CENT) for row in sums}


def _outstanding(rows: list[Row], *, viewer: Any = None) -> list[Row]:
    """Each charge's part not waived yet (``waivable``), in one grouped query."""
    charges = [row["id"] for row in rows if row["kind"] == FineKind.CHARGE]
    waived = dict(
        FineEntry.objects.filter(charge_id__in=charges)
        .values("charge_id")
        .annotate(total=Sum("amount"))
        .values_list("charge_id", "total")
        .order_by()
    )
    for row in rows:
        left = row["amount"] - waived.get(row["id"], Decimal(0))
        waivable = left if row["kind"] == FineKind.CHARGE and left > 0 else Decimal(0)
        # Money as text ("2.50"), as the schema's decimals say: a float would lose cents.
        row["waivable"] = str(waivable.quantize(CENT))
        row["amount"] = str(row["amount"])
    return renamed(patron_id="patron", loan_id="loan", charge_id="charge")(rows)


FINE_ROWS = RowShape(
    columns=(
        "id",
        "patron_id",
        "patron_name",
        "loan_id",
        "book_title",
        "kind",
        "amount",
        "charge_id",
        "note",
        "created_by_name",
        "created_at",
    ),
    annotations=lambda: {
        "patron_name": F("patron__name"),
        "book_title": F("loan__copy__book__title"),
        "created_by_name": F("created_by__username"),
    },
    represent=_outstanding,
)


def fines_visible_to(user: Any) -> QuerySet[FineEntry]:
    """Staff see every entry; a patron their own; anyone else none."""
    if user.is_staff:
        return FineEntry.objects.all()
    return (
        FineEntry.objects.filter(patron__user=user)
        if user.is_authenticated
        else FineEntry.objects.none()
    )


def patron_fines(patron_id: int) -> list[Row]:
    """A patron's ledger, the newest first (the desk's and My account's pages)."""
    return FINE_ROWS.present(
        FINE_ROWS.rows(FineEntry.objects.filter(patron_id=patron_id).order_by("-id"))
    )
