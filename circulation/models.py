"""Circulation data: patrons and their categories, the lending policy, loans, holds, and the
immutable record of every change.

The invariants that concurrent desks must not break are database constraints: one open loan per
copy, one active hold per patron and book, one ready hold per copy, queue numbers unique per
book. The services (circulation.services) take row locks so that requests meet these as clean
refusals rather than errors.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower, Now
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from catalog.models import Book, Copy, LoanType


class PatronCategory(models.Model):
    """A kind of patron (Adult, Child, Staff…) and its lending defaults."""

    name = models.CharField(max_length=100)
    loan_period_days = models.PositiveSmallIntegerField(default=21)
    max_loans = models.PositiveSmallIntegerField(default=5, help_text=_("Loans at once."))
    max_renewals = models.PositiveSmallIntegerField(default=2, help_text=_("Per loan."))
    max_holds = models.PositiveSmallIntegerField(default=5, help_text=_("Active holds at once."))
    hold_pickup_days = models.PositiveSmallIntegerField(
        default=7, help_text=_("Days a ready hold waits on the hold shelf.")
    )
    overdue_blocks = models.BooleanField(
        default=True, help_text=_("An overdue loan stops new loans and renewals.")
    )
    card_valid_months = models.PositiveSmallIntegerField(
        default=12, help_text=_("Months a card is extended by when it is renewed at the desk.")
    )
    # Fines (settings.FINES_ENABLED; circulation.services.fines): per open day a loan is late,
    # after the grace days, up to a maximum per loan; a balance from ``fines_block_at`` up
    # stops borrowing. Loan types can differ through CirculationRule.
    fine_per_day = models.DecimalField(
        max_digits=8, decimal_places=2, default=Decimal("0"), help_text=_("0: no fines.")
    )
    fine_grace_days = models.PositiveSmallIntegerField(
        default=0, help_text=_("Open days late that cost nothing; past them, every day counts.")
    )
    fine_max_per_loan = models.DecimalField(
        max_digits=8, decimal_places=2, null=True, blank=True, help_text=_("Empty: no maximum.")
    )
    fines_block_at = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Fines owed from which a patron may not borrow; empty: never."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("patron category")
        ordering = ["name", "id"]
        verbose_name_plural = _("patron categories")
        constraints = [
            models.UniqueConstraint(Lower("name"), name="patroncategory_name_unique_ci"),
            models.CheckConstraint(condition=~Q(name=""), name="patroncategory_name_not_blank"),
            models.CheckConstraint(
                condition=Q(loan_period_days__gte=1) & Q(hold_pickup_days__gte=1),
                name="patroncategory_periods_positive",
            ),
            models.CheckConstraint(
                condition=Q(card_valid_months__gte=1), name="patroncategory_card_months_positive"
            ),
            models.CheckConstraint(
                condition=Q(fine_per_day__gte=0)
                & (Q(fine_max_per_loan__isnull=True) | Q(fine_max_per_loan__gte=0))
                & (Q(fines_block_at__isnull=True) | Q(fines_block_at__gt=0)),
                name="patroncategory_fines_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["name", "id"], name="patroncategory_name_idx")]

    def __str__(self) -> str:
        return self.name


class Patron(models.Model):
    """Someone who borrows: identified at the desk by the barcode on their card."""

    card_number = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    category = models.ForeignKey(PatronCategory, on_delete=models.PROTECT, related_name="patrons")
    expires_on = models.DateField(
        null=True, blank=True, help_text=_("Empty: the card never expires.")
    )
    blocked = models.BooleanField(default=False)
    block_reason = models.CharField(max_length=255, blank=True)
    notes = models.TextField(blank=True)
    # The language of their notices and emails (one of settings.LANGUAGES, which the rule
    # checks; a constraint would need a migration for each language a library adds). Empty: the
    # library's own, LANGUAGE_CODE.
    language = models.CharField(max_length=10, blank=True)
    # The login a patron uses for self-service (their loans, holds, renewals).
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patron",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("patron")
        verbose_name_plural = _("patrons")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(card_number=""), name="patron_card_not_blank"),
            models.CheckConstraint(condition=~Q(name=""), name="patron_name_not_blank"),
            models.CheckConstraint(
                condition=Q(blocked=False) | ~Q(block_reason=""),
                name="patron_block_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["name", "id"], name="patron_name_idx"),
            models.Index(fields=["created_at", "id"], name="patron_created_idx"),
            models.Index(Lower("email"), name="patron_email_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.card_number})"


class CirculationRule(models.Model):
    """Overrides of a category's loan period and limits, for one loan type, one category, or
    both. The most specific rule that sets a value wins: category and loan type, then the
    category for every loan type, then the loan type for every category; then the category's
    own value (circulation.policy)."""

    category = models.ForeignKey(
        PatronCategory,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rules",
        help_text=_("Empty: every category."),
    )
    loan_type = models.CharField(
        max_length=20, choices=LoanType.choices, blank=True, help_text=_("Empty: every loan type.")
    )
    loan_period_days = models.PositiveSmallIntegerField(null=True, blank=True)
    max_loans = models.PositiveSmallIntegerField(null=True, blank=True)
    max_renewals = models.PositiveSmallIntegerField(null=True, blank=True)
    fine_per_day = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    fine_grace_days = models.PositiveSmallIntegerField(null=True, blank=True)
    fine_max_per_loan = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("circulation rule")
        verbose_name_plural = _("circulation rules")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "loan_type"],
                condition=Q(category__isnull=False),
                name="circulationrule_once_per_category_and_type",
            ),
            models.UniqueConstraint(
                fields=["loan_type"],
                condition=Q(category__isnull=True),
                name="circulationrule_once_per_type_for_all",
            ),
            models.CheckConstraint(
                condition=Q(loan_type="") | Q(loan_type__in=LoanType.values),
                name="circulationrule_loan_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(loan_period_days__isnull=True) | Q(loan_period_days__gte=1),
                name="circulationrule_period_positive",
            ),
            models.CheckConstraint(
                condition=(Q(fine_per_day__isnull=True) | Q(fine_per_day__gte=0))
                & (Q(fine_max_per_loan__isnull=True) | Q(fine_max_per_loan__gte=0)),
                name="circulationrule_fines_not_negative",
            ),
        ]

    def __str__(self) -> str:
        category = self.category.name if self.category else gettext("every category")
        loan_type = self.get_loan_type_display() or gettext("every loan type")
        return f"{category}, {loan_type}"


class ClosedWeekday(models.Model):
    """A day of the week the library is closed every week (0 = Monday … 6 = Sunday)."""

    weekday = models.PositiveSmallIntegerField(unique=True)

    class Meta:
        verbose_name = _("closed weekday")
        verbose_name_plural = _("closed weekdays")
        ordering = ["weekday"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="closedweekday_range")
        ]

    def __str__(self) -> str:
        return str(WEEKDAYS_ABBR[self.weekday])  # Django's own names: "Mon" … "Sun", translated


class ClosedDate(models.Model):
    """A date the library is closed (a holiday)."""

    date = models.DateField(unique=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("closed date")
        verbose_name_plural = _("closed dates")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.reason}".strip()


class Loan(models.Model):
    copy = models.ForeignKey(Copy, on_delete=models.PROTECT, related_name="loans")
    patron = models.ForeignKey(Patron, on_delete=models.PROTECT, related_name="loans")
    checked_out_at = models.DateTimeField()
    due_on = models.DateField()
    checked_in_at = models.DateTimeField(null=True, blank=True)
    renewals = models.PositiveSmallIntegerField(default=0)
    days_late = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Set at check-in: days after the due date.")
    )

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["-checked_out_at", "-id"]
        permissions = [
            # The desk's "Lend anyway" (circulation.services.checkout: OVERRIDES says which
            # refusals need it); the Librarians group does not have it.
            ("override_refusals", "Can lend anyway, overriding a refusal at checkout"),
            # Self-check kiosks log in over SIP2 (protocols.sip2) as a staff account with the
            # desk's permissions and this one, so a librarian's own account cannot serve a
            # kiosk by accident; no group has it.
            ("use_sip2", "May use SIP2 (self-check kiosks)"),
        ]
        constraints = [
            # The heart of circulation: a copy is lent to one patron at a time.
            models.UniqueConstraint(
                fields=["copy"],
                condition=Q(checked_in_at__isnull=True),
                name="loan_one_open_per_copy",
            ),
            models.CheckConstraint(
                condition=Q(checked_in_at__isnull=True) | Q(checked_in_at__gte=F("checked_out_at")),
                name="loan_checked_in_after_out",
            ),
            models.CheckConstraint(
                condition=Q(checked_in_at__isnull=True) | Q(days_late__isnull=False),
                name="loan_closed_has_days_late",
            ),
        ]
        indexes = [
            models.Index(fields=["patron", "checked_in_at"], name="loan_patron_idx"),
            models.Index(fields=["checked_out_at", "id"], name="loan_checked_out_idx"),
            models.Index(
                fields=["due_on", "id"],
                condition=Q(checked_in_at__isnull=True),
                name="loan_open_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(barcode)s to %(card)s") % {
            "barcode": self.copy.barcode,
            "card": self.patron.card_number,
        }


class HoldStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    READY = "ready", _("Ready on the hold shelf")
    COLLECTED = "collected", _("Collected")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


ACTIVE_HOLD_STATUSES = (HoldStatus.WAITING, HoldStatus.READY)


def not_suspended(today: datetime.date, prefix: str = "") -> Q:
    """Holds not suspended on ``today`` (never, or resumed by then): the ones a returned copy
    can serve. ``prefix`` reaches them through a relation (``"holds__"``)."""
    return Q(**{f"{prefix}suspended_until__isnull": True}) | Q(
        **{f"{prefix}suspended_until__lte": today}
    )


class Hold(models.Model):
    """A patron's place in a book's queue (title level: any copy will do).

    ``sequence`` orders the book's queue: it grows by one for each hold placed on the book and
    is never reused, so the queue position of a waiting hold is its rank among the book's
    waiting holds (circulation.selectors), with no renumbering when someone leaves the queue.
    """

    patron = models.ForeignKey(Patron, on_delete=models.PROTECT, related_name="holds")
    book = models.ForeignKey(Book, on_delete=models.PROTECT, related_name="holds")
    status = models.CharField(max_length=20, choices=HoldStatus.choices, default=HoldStatus.WAITING)
    sequence = models.PositiveIntegerField()
    # The copy set aside for a ready hold.
    copy = models.ForeignKey(
        Copy, null=True, blank=True, on_delete=models.PROTECT, related_name="holds"
    )
    placed_at = models.DateTimeField()
    # A waiting hold keeps its place but is passed over until this day (a patron on holiday);
    # from that day on it is active again by itself.
    suspended_until = models.DateField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    pickup_by = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("hold")
        verbose_name_plural = _("holds")
        ordering = ["book", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["book", "sequence"], name="hold_sequence_unique"),
            models.UniqueConstraint(
                fields=["patron", "book"],
                condition=Q(status__in=ACTIVE_HOLD_STATUSES),
                name="hold_one_active_per_patron_and_book",
            ),
            models.UniqueConstraint(
                fields=["copy"],
                condition=Q(status=HoldStatus.READY),
                name="hold_one_ready_per_copy",
            ),
            models.CheckConstraint(
                condition=Q(status__in=HoldStatus.values), name="hold_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=HoldStatus.READY)
                | (Q(copy__isnull=False) & Q(pickup_by__isnull=False) & Q(ready_at__isnull=False)),
                name="hold_ready_has_copy_and_deadline",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ACTIVE_HOLD_STATUSES) | Q(closed_at__isnull=False),
                name="hold_closed_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=HoldStatus.READY) | Q(suspended_until__isnull=True),
                name="hold_ready_not_suspended",
            ),
        ]
        indexes = [
            models.Index(
                fields=["book", "sequence"],
                condition=Q(status=HoldStatus.WAITING),
                name="hold_waiting_queue_idx",
            ),
            models.Index(fields=["patron", "status"], name="hold_patron_idx"),
            models.Index(
                fields=["pickup_by"], condition=Q(status=HoldStatus.READY), name="hold_ready_idx"
            ),
            models.Index(fields=["placed_at", "id"], name="hold_placed_idx"),
        ]

    def __str__(self) -> str:
        return gettext("%(book)s for %(card)s (%(status)s)") % {
            "book": self.book,
            "card": self.patron.card_number,
            "status": self.get_status_display(),
        }


class EventKind(models.TextChoices):
    CHECKOUT = "checkout", _("Checked out")
    CHECKIN = "checkin", _("Checked in")
    RENEW = "renew", _("Renewed")
    HOLD_PLACED = "hold_placed", _("Hold placed")
    HOLD_READY = "hold_ready", _("Hold ready (copy trapped)")
    HOLD_COLLECTED = "hold_collected", _("Hold collected")
    HOLD_CANCELLED = "hold_cancelled", _("Hold cancelled")
    HOLD_EXPIRED = "hold_expired", _("Hold expired")
    HOLD_REQUEUED = "hold_requeued", _("Hold back in the queue (its copy was lent to another)")
    HOLD_SUSPENDED = "hold_suspended", _("Hold suspended")
    HOLD_RESUMED = "hold_resumed", _("Hold resumed")
    PATRON_BLOCKED = "patron_blocked", _("Patron blocked")
    PATRON_UNBLOCKED = "patron_unblocked", _("Patron unblocked")
    CARD_RENEWED = "card_renewed", _("Card renewed")
    CARD_EXPIRY_CHANGED = "card_expiry_changed", _("Card expiry date changed")
    COPY_FOUND = "copy_found", _("Copy found (was lost or missing)")
    OVERRIDE = "override", _("Refusal overridden")


class CirculationEvent(models.Model):
    """One state change, for audit and statistics. Never changed or deleted: the services only
    add rows, the admin only shows them, and on PostgreSQL a trigger refuses UPDATE and DELETE
    (migration 0002). Its references are PROTECT, so nothing it names can vanish under it."""

    at = models.DateTimeField()
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Who did it; empty for scheduled work."),
    )
    patron = models.ForeignKey(
        Patron, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    copy = models.ForeignKey(
        Copy, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    book = models.ForeignKey(
        Book, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    loan = models.ForeignKey(
        Loan, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    hold = models.ForeignKey(
        Hold, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    from_state = models.CharField(max_length=30, blank=True)
    to_state = models.CharField(max_length=30, blank=True)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = _("circulation event")
        verbose_name_plural = _("circulation events")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EventKind.values), name="event_kind_valid")
        ]
        indexes = [
            models.Index(fields=["at", "id"], name="event_at_idx"),
            models.Index(fields=["patron", "at"], name="event_patron_idx"),
            models.Index(fields=["kind", "at"], name="event_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}"


class CalendarFeed(models.Model):
    """A patron's subscribable calendar of due dates, at a secret URL. Only a hash of the secret
    is kept (as for API tokens): the URL is shown once, when it is made; a new one replaces it,
    and deleting the row revokes it."""

    patron = models.OneToOneField(Patron, on_delete=models.CASCADE, related_name="calendar_feed")
    # SHA-256 of the URL's secret, hex: enough to find the feed, useless to rebuild the URL.
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return gettext("Calendar of %(card)s") % {"card": self.patron.card_number}


# --- Notices (circulation.notices) -------------------------------------------------------------


class NoticeKind(models.TextChoices):
    """The emails Shelfmark sends patrons. Each has a template per language (NoticeTemplate)."""

    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE_1 = "overdue_1", _("First overdue reminder")
    OVERDUE_2 = "overdue_2", _("Second overdue reminder")
    OVERDUE_3 = "overdue_3", _("Third overdue reminder")
    HOLD_READY = "hold_ready", _("Hold ready")


LOAN_NOTICES = (
    NoticeKind.DUE_SOON,
    NoticeKind.OVERDUE_1,
    NoticeKind.OVERDUE_2,
    NoticeKind.OVERDUE_3,
)
OVERDUE_NOTICES = (NoticeKind.OVERDUE_1, NoticeKind.OVERDUE_2, NoticeKind.OVERDUE_3)


class NoticeTemplate(models.Model):
    """The subject and text of one kind of notice, which staff edit in the admin. Both are
    Django templates limited to {{ placeholders }} (circulation.notices checks them)."""

    kind = models.CharField(max_length=20, choices=NoticeKind.choices)
    # One wording per kind and language (settings.LANGUAGES): a patron's notices are in their
    # language, worded as staff wrote them for it, or else the built-in wording translated.
    language = models.CharField(max_length=10)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notice template")
        verbose_name_plural = _("notice templates")
        ordering = ["kind", "language"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "language"], name="noticetemplate_one_each"),
            models.CheckConstraint(
                condition=Q(kind__in=NoticeKind.values), name="noticetemplate_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(subject="") & ~Q(body=""), name="noticetemplate_not_blank"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.language})"


class NoticeStatus(models.TextChoices):
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    NO_EMAIL = "no_email", _("Not sent: no email address")


class Notice(models.Model):
    """One notice to one patron about one loan or hold: the log that makes each notice go out
    once. A row is claimed (inserted as ``sending``) before the email is sent, so the unique
    constraints below decide which of several concurrent runs sends it; the others skip it. A
    claim lasts ``NOTICE_SEND_LEASE_SECONDS`` from ``claimed_at``: a row still ``sending`` after
    that was left by a run that stopped, and the next run claims it again
    (circulation.services.notices).

    A loan's notices are per due date: a renewed loan can be due soon (and overdue) again. A
    hold's are per pickup date: a hold whose copy was lent to someone else (an override at the
    desk) goes back to the queue, and when it is ready again its patron hears so again.
    """

    kind = models.CharField(max_length=20, choices=NoticeKind.choices)
    patron = models.ForeignKey(Patron, on_delete=models.PROTECT, related_name="notices")
    loan = models.ForeignKey(
        Loan, null=True, blank=True, on_delete=models.PROTECT, related_name="notices"
    )
    hold = models.ForeignKey(
        Hold, null=True, blank=True, on_delete=models.PROTECT, related_name="notices"
    )
    due_on = models.DateField(
        null=True,
        blank=True,
        help_text=_("The date it was about: the loan's due date, or the hold's pickup date."),
    )
    notice_date = models.DateField(help_text=_("The day the notice was due to be sent."))
    status = models.CharField(max_length=20, choices=NoticeStatus.choices)
    email = models.EmailField(blank=True, help_text=_("Where it was sent."))
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True, help_text=_("Why the last attempt failed."))
    created_at = models.DateTimeField(auto_now_add=True)
    # The database's default is for rows written by code that does not know the field (a deploy's
    # old processes); ours always gives the time, by the same clock as the lease's cutoff.
    claimed_at = models.DateTimeField(
        default=timezone.now,
        db_default=Now(),
        help_text=_(
            "When a run last took it to send. One still sending long after this was left by a run "
            "that stopped, and the next run sends it."
        ),
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan", "kind", "due_on"],
                condition=Q(loan__isnull=False),
                name="notice_once_per_loan_kind_and_due_date",
            ),
            models.UniqueConstraint(
                fields=["hold", "kind", "due_on"],
                condition=Q(hold__isnull=False),
                name="notice_once_per_hold_kind_and_pickup_date",
            ),
            models.CheckConstraint(
                condition=Q(due_on__isnull=False)
                & (
                    Q(kind__in=LOAN_NOTICES, loan__isnull=False, hold__isnull=True)
                    | Q(kind=NoticeKind.HOLD_READY, hold__isnull=False, loan__isnull=True)
                ),
                name="notice_about_a_loan_or_a_hold",
            ),
            models.CheckConstraint(
                condition=Q(status__in=NoticeStatus.values), name="notice_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=NoticeStatus.SENT) | Q(sent_at__isnull=False),
                name="notice_sent_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["created_at", "id"], name="notice_created_idx"),
            models.Index(fields=["patron", "created_at"], name="notice_patron_idx"),
        ]

    def __str__(self) -> str:
        return gettext("%(kind)s to %(card)s (%(status)s)") % {
            "kind": self.get_kind_display(),
            "card": self.patron.card_number,
            "status": self.get_status_display(),
        }


class FineKind(models.TextChoices):
    CHARGE = "charge", _("Charge")  # an overdue loan's fine (or what it grew by)
    PAYMENT = "payment", _("Payment")
    WAIVER = "waiver", _("Waiver")  # of (part of) one charge


class FineEntry(models.Model):
    """A line of a patron's fines ledger. Entries are never changed or deleted (a trigger on
    PostgreSQL refuses it): a balance is what the charges add up to, less the payments and
    waivers, and a mistake is put right by another entry."""

    patron = models.ForeignKey(Patron, on_delete=models.PROTECT, related_name="fine_entries")
    loan = models.ForeignKey(
        Loan, null=True, blank=True, on_delete=models.PROTECT, related_name="fine_entries"
    )
    kind = models.CharField(max_length=10, choices=FineKind.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    # The charge a waiver waives.
    charge = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="waivers"
    )
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("fine entry")
        ordering = ["-id"]
        verbose_name_plural = _("fine entries")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="fineentry_amount_positive"),
            models.CheckConstraint(
                condition=Q(kind__in=FineKind.values), name="fineentry_kind_valid"
            ),
            models.CheckConstraint(
                condition=(Q(kind=FineKind.WAIVER) & Q(charge__isnull=False))
                | (~Q(kind=FineKind.WAIVER) & Q(charge__isnull=True)),
                name="fineentry_waiver_names_its_charge",
            ),
            models.CheckConstraint(
                condition=~Q(kind=FineKind.CHARGE) | Q(loan__isnull=False),
                name="fineentry_charge_has_loan",
            ),
        ]
        indexes = [
            models.Index(fields=["patron", "id"], name="fineentry_patron_idx"),
            models.Index(fields=["loan"], name="fineentry_loan_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} ({self.patron})"
