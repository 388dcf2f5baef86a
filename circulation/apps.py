import datetime
from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate

# Circulation's tables whose changes show on their book (its queue's length): they bump the
# book's version (catalog.versions).
BOOK_VERSION_TABLES = ("circulation_hold",)


def _repair_triggers(using: str = "default", **kwargs: Any) -> None:
    """Put back SQLite's version triggers on circulation's tables after a migration that rebuilt
    one (the catalog puts back its own)."""
    from catalog import versions

    versions.ensure_triggers(connections[using], BOOK_VERSION_TABLES)


class CirculationConfig(AppConfig):
    name = "circulation"
    verbose_name = "Circulation"

    # Links on the API root (/api/) and the API docs' sections for this app's resources.
    api_links = {
        "patron-categories": "patron-category-list",
        "patrons": "patron-list",
        "loans": "loan-list",
        "fines": "fine-list",
        "holds": "hold-list",
        "me": "me",
    }
    _staff = (
        "Staff accounts need the model permission the admin asks for too: reading needs "
        "`view_…`, adding `add_…`, changing `change_…` (the Librarians group holds the "
        "desk's; Administrators and superusers hold all)."
    )
    _own = (
        "A patron (an account linked to a patron record) sees only their own; anyone else's "
        "is a 404 to them."
    )
    _retry = (
        "Send an `Idempotency-Key` header to make a POST safe to retry: a retry with the same "
        "key and body gets the first answer and changes nothing again."
    )
    api_sections = [
        {
            "name": "patron-categories",
            "description": (
                "Patron categories and their lending defaults (loan period, limits, hold "
                f"pickup window). Staff only. {_staff} Librarians may read them; "
                "Administrators add, change and delete them."
            ),
        },
        {
            "name": "patrons",
            "description": (
                "Patrons (library card holders). Staff list, search, register and change them. "
                f"{_staff} {_own} Registering with `username` creates the patron's login and "
                f"emails them a link to choose a password. {_retry}"
            ),
        },
        {
            "name": "circulation",
            "description": (
                "The desk: checkout (card number and barcode, as scanned) and check-in "
                f"(barcode). Staff only. {_staff} {_retry}"
            ),
        },
        {
            "name": "loans",
            "description": (
                f"Loans, with due dates and whether they are overdue. {_staff} {_own} Staff "
                f"renew any loan, a patron their own. {_retry}"
            ),
        },
        {
            "name": "holds",
            "description": (
                "Holds on books, each with its place in the book's queue. A patron places and "
                f"cancels their own; staff any patron's. {_staff} {_own} {_retry}"
            ),
        },
        {
            "name": "fines",
            "description": (
                "Fines for overdue loans, where the library charges them (`FINES_ENABLED`; "
                "off, every answer here is a 404 `fines_disabled`): the ledger of charges, "
                "payments and waivers, a payment towards a patron's fines (POST "
                "/patrons/{id}/payments/) and a charge waived. Staff with "
                f"circulation.view_fineentry and add_fineentry. {_own} {_retry}"
            ),
        },
        {
            "name": "me",
            "description": (
                "The signed-in patron's own record, loans and holds. Any signed-in account; "
                "one without a patron record gets 404 `no_patron_record`."
            ),
        },
    ]

    def ready(self) -> None:
        from catalog.extensions import BookExtension, register_book_extension

        post_migrate.connect(_repair_triggers, sender=self)
        from circulation import tasks
        from circulation.selectors.rows import BOOK_KEYS, book_circulation_add
        from circulation.serializers import book_circulation_fields
        from core.schedule import Periodic, schedule_register

        # Books gain their hold queue's length and, for a patron, whether they may hold them.
        register_book_extension(
            BookExtension(
                name="circulation",
                keys=BOOK_KEYS,
                add=book_circulation_add,
                schema_fields=book_circulation_fields,
            )
        )
        # The periodic work (core.schedule). Notices often, so a patron hears that their hold is
        # ready soon after the copy is checked in.
        schedule_register(
            Periodic("send_notices", tasks.send_notices, datetime.timedelta(minutes=15))
        )
        schedule_register(Periodic("expire_holds", tasks.expire_holds, datetime.timedelta(hours=1)))
        # Hourly, so a day's fines are charged soon after midnight; a run charges only what
        # a loan's fine grew by since the last.
        schedule_register(Periodic("accrue_fines", tasks.accrue_fines, datetime.timedelta(hours=1)))
