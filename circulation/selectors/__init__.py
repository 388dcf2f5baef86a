"""Every circulation read the views need, and the consistency check of copies' statuses.

Queue positions and the status check are here; the rows the API and the pages read live in the
modules beside this one, by concept.
"""

from __future__ import annotations

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from catalog.models import Copy, CopyStatus
from circulation.models import Hold, HoldStatus, Loan


def waiting_position() -> Coalesce:
    """A waiting hold's place in its book's queue (1 = next), as an annotation; None for a hold
    that is not waiting. The rank among the book's waiting holds, so it never has gaps."""
    ahead = (
        Hold.objects.filter(
            book=OuterRef("book"), status=HoldStatus.WAITING, sequence__lte=OuterRef("sequence")
        )
        .order_by()
        .values("book")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(ahead), Value(0))


def holds_with_positions(holds: QuerySet[Hold]) -> QuerySet[Hold]:
    return holds.annotate(queue_position=waiting_position())


def status_disagreements() -> list[str]:
    """Every copy whose status disagrees with its loans and holds: on loan ⇔ one open loan;
    on the hold shelf ⇔ one ready hold for it, of its own book. Empty when all agree."""
    problems: list[str] = []
    open_loans = Count("loans", filter=Q(loans__checked_in_at__isnull=True), distinct=True)
    ready_holds = Count("holds", filter=Q(holds__status=HoldStatus.READY), distinct=True)
    copies = Copy.objects.annotate(open_loans=open_loans, ready_holds=ready_holds)
    for copy in copies.filter(
        Q(status=CopyStatus.ON_LOAN) & ~Q(open_loans=1)
        | ~Q(status=CopyStatus.ON_LOAN) & Q(open_loans__gt=0)
        | Q(status=CopyStatus.ON_HOLD_SHELF) & ~Q(ready_holds=1)
        | ~Q(status=CopyStatus.ON_HOLD_SHELF) & Q(ready_holds__gt=0)
    ):
        problems.append(
            f"copy {copy.barcode}: status {copy.status}, {copy.open_loans} open loan(s), "
            f"{copy.ready_holds} ready hold(s)"
        )
    for hold in Hold.objects.filter(status=HoldStatus.READY).exclude(copy__book=F("book")):
        problems.append(f"hold {hold.pk}: ready with a copy of another book")
    for loan in Loan.objects.filter(checked_in_at__isnull=True, copy__loan_type="reference"):
        problems.append(f"loan {loan.pk}: a reference copy is on loan")
    return problems
