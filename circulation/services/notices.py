"""Sending notices, each exactly once, and editing their templates.

Exactly once: a notice is first claimed by inserting its row in the log (``Notice``, status
``sending``, ``claimed_at`` now) in a transaction of its own, and only the run whose insert
commits sends the email; another run, concurrent or later, meets the unique constraint and skips
it. The row then says ``sent``, or ``failed`` with the error (tried again on the next runs,
``MAX_SEND_ATTEMPTS`` in all).

A claim is a lease of ``NOTICE_SEND_LEASE_SECONDS``: a process killed between the claim and the
row's ``sent`` leaves ``sending``, and once the lease has run out the next run claims the notice
again (a conditional UPDATE that one run wins, counted as an attempt) and sends it; left so on its
last attempt, the next run logs it ``failed`` and reports it. The lease is
longer than a send can take (``EMAIL_TIMEOUT`` bounds each wait on the mail server); a run whose
send outlasted it anyway writes nothing over the run that took the notice over, and says so. So a
notice is neither lost nor, but for one window, sent twice: a process killed after the mail server
accepted the email and before the row said ``sent`` leaves a notice that is sent again. That
second email carries the first's Message-ID (``notice_message_id``, the same for every attempt),
so mail programs and servers that drop a message whose Message-ID they have seen show it once;
others show it twice.

Run it outside any transaction (the commands and tasks do): each claim must commit before its
email goes.
"""

from __future__ import annotations

import datetime
import logging
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.utils import DNS_NAME
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation

from circulation.models import Notice, NoticeKind, NoticeStatus, NoticeTemplate
from circulation.notices import (
    MAX_SEND_ATTEMPTS,
    RenderedNotice,
    default_templates,
    hold_context,
    loan_context,
    render_notice,
    template_problems,
)
from circulation.selectors.notices import (
    DueNotice,
    abandoned,
    abandoned_for_good,
    failed_with_attempts_left,
    lease_cutoff,
    notices_due,
)
from shelfmark import languages
from shelfmark.errors import InvalidInput
from shelfmark.transactions import lock_row, service_transaction

logger = logging.getLogger(__name__)

SUBJECT_MAX_LENGTH = NoticeTemplate._meta.get_field("subject").max_length or 200


@dataclass
class NoticeRun:
    """What one run did."""

    today: datetime.date
    sent: list[Notice] = field(default_factory=list)
    no_email: list[Notice] = field(default_factory=list)
    failed: list[Notice] = field(default_factory=list)
    taken: int = 0  # claimed by another run at the same moment
    recovered: int = 0  # of the sent: left sending by a run that stopped, claimed again
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The run as JSON (a task's result)."""
        return {
            "date": self.today.isoformat(),
            "sent": _count(self.sent),
            "no_email": [_describe(n) for n in self.no_email],
            "failed": [f"{_describe(n)}: {n.error}" for n in self.failed],
            "taken_by_another_run": self.taken,
            "sent_after_a_stopped_run": self.recovered,
            "warnings": self.warnings,
        }

    def summary(self) -> list[str]:
        """The run in a few lines, for a person."""
        counts = _count(self.sent)
        lines = [
            f"Notices for {self.today:%Y-%m-%d}: {len(self.sent)} sent"
            + (
                " ("
                + ", ".join(f"{n} {NoticeKind(k).label.lower()}" for k, n in counts.items())
                + ")"
                if counts
                else ""
            )
            + f", {len(self.no_email)} not sent for want of an email address, "
            f"{len(self.failed)} failed."
        ]
        lines += [f"  no email address: {_describe(n)}" for n in self.no_email]
        lines += [f"  failed: {_describe(n)}: {n.error}" for n in self.failed]
        if self.recovered:
            lines.append(
                f"  {self.recovered} of those sent had been left by a run that stopped while "
                "sending them."
            )
        if self.taken:
            lines.append(f"  {self.taken} sent by another run at the same moment.")
        lines += [f"  warning: {warning}" for warning in self.warnings]
        return lines


def _count(notices: list[Notice]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for notice in notices:
        counts[notice.kind] = counts.get(notice.kind, 0) + 1
    return {kind: counts[kind] for kind in NoticeKind.values if kind in counts}


def _describe(notice: Notice) -> str:
    if notice.loan is not None:
        about = notice.loan.copy.book.title
    else:
        assert notice.hold is not None  # one of the two (a check constraint)
        about = notice.hold.book.title
    return (
        f"{NoticeKind(notice.kind).label} to {notice.patron.name} (card "
        f"{notice.patron.card_number}) about '{about}'"
    )


def notices_send(*, today: datetime.date | None = None) -> NoticeRun:
    """Send every notice due ``today`` (default: the library's today) that has not been sent:
    due soon, overdue reminders and holds ready. Patrons without an email address are logged
    and reported, once per notice. Safe to run at any time, as often as liked, from several
    places at once."""
    today = today or timezone.localdate()
    run = NoticeRun(today=today)
    run.failed += _give_up_abandoned()
    wordings = _Wordings(run)
    due = notices_due(
        today,
        due_soon_days=settings.NOTICE_DUE_SOON_DAYS,
        overdue_reminders=settings.NOTICE_OVERDUE_REMINDERS,
        overdue_interval_days=settings.NOTICE_OVERDUE_INTERVAL_DAYS,
    )
    for item in due:
        # In the patron's language: the wording, and the dates and counts it fills in.
        language = languages.language_or_default(item.patron.language)
        subject, body = wordings.of(item.kind, language)
        with translation.override(language):
            if item.loan is not None:
                context = loan_context(item.loan, item.kind, today)
            else:
                assert item.hold is not None  # a notice is about a loan or a hold
                context = hold_context(item.hold, today)
            rendered = render_notice(subject, body, context)
        claim = notice_claim(due=item, today=today, rendered=rendered)
        if claim is None:
            run.taken += 1
            continue
        notice = claim.notice
        if notice.status == NoticeStatus.NO_EMAIL:
            run.no_email.append(notice)
            continue
        kept = _deliver(notice)
        if notice.status == NoticeStatus.SENT:
            run.sent.append(notice)
            run.recovered += claim.abandoned
        else:
            run.failed.append(notice)
        if not kept:
            warning = (
                f"{_describe(notice)}: sending it took longer than NOTICE_SEND_LEASE_SECONDS "
                f"({settings.NOTICE_SEND_LEASE_SECONDS} s), and another run claimed it meanwhile"
                + (
                    "; the patron may get it twice (with one Message-ID)"
                    if notice.status == NoticeStatus.SENT
                    else ""
                )
                + ". Make the lease longer, or find what slows the mail server."
            )
            logger.warning("%s", warning)
            run.warnings.append(warning)
    return run


class _Wordings:
    """Each kind's subject and body per language for one run: the staff's, or the built-in one
    when theirs is missing or broken (changed outside the admin), which the run then reports."""

    def __init__(self, run: NoticeRun) -> None:
        self.run = run
        self.stored = {
            (t.kind, t.language): (t.subject, t.body) for t in NoticeTemplate.objects.all()
        }
        self.checked: dict[tuple[str, str], tuple[str, str]] = {}

    def of(self, kind: str, language: str) -> tuple[str, str]:
        if (kind, language) not in self.checked:
            default = default_templates(language)[kind]
            subject, body = self.stored.get((kind, language), default)
            problems = template_problems(kind, subject) + template_problems(kind, body)
            if problems:
                self.run.warnings.append(
                    f"the template '{NoticeKind(kind).label}' has problems "
                    f"({' '.join(problems)}); the default text in '{language}' was used. Fix "
                    "it in the admin, under Notice templates."
                )
                subject, body = default
            self.checked[kind, language] = (subject, body)
        return self.checked[kind, language]


GIVEN_UP = (
    f"The run sending it stopped before it could say how the email went, {MAX_SEND_ATTEMPTS} "
    "times; it is not tried again."
)


def _give_up_abandoned() -> list[Notice]:
    """Notices left ``sending`` after the lease on their last attempt: no run will claim them
    again, so they are logged failed, with why, where staff look for notices that did not go,
    and this run reports them. Each row changes once, for the one run whose UPDATE matches it."""
    cutoff = lease_cutoff()
    stuck = Notice.objects.filter(abandoned_for_good(cutoff)).select_related(
        "patron", "loan__copy__book", "hold__book"
    )
    given_up = []
    for notice in stuck:
        still = Notice.objects.filter(abandoned_for_good(cutoff), pk=notice.pk)
        if still.update(status=NoticeStatus.FAILED, error=GIVEN_UP):
            notice.status, notice.error = NoticeStatus.FAILED, GIVEN_UP
            given_up.append(notice)
    return given_up


@dataclass(frozen=True)
class NoticeClaim:
    """A notice this run claimed, to send or to log as not sendable."""

    notice: Notice
    abandoned: bool = False  # claimed again from a run that stopped while sending it


@service_transaction
def notice_claim(
    *, due: DueNotice, today: datetime.date, rendered: RenderedNotice
) -> NoticeClaim | None:
    """Log ``due`` as being sent (or as not sendable, without an email address) and return the
    claim; None when it is logged already (by another run) and not to be tried again."""
    now = timezone.now()
    email = due.patron.email.strip()
    key: dict[str, Any] = (
        {"kind": due.kind, "loan": due.loan, "due_on": due.due_on}
        if due.loan is not None
        else {"kind": due.kind, "hold": due.hold, "due_on": due.due_on}
    )
    values = {
        "patron": due.patron,
        "email": email,
        "subject": rendered.subject,
        "body": rendered.body,
        "notice_date": today,
        "status": NoticeStatus.SENDING if email else NoticeStatus.NO_EMAIL,
        "error": "",
        "claimed_at": now,
    }
    try:
        with transaction.atomic():
            return NoticeClaim(Notice.objects.create(**key, **values, attempts=1 if email else 0))
    except IntegrityError:
        if not Notice.objects.filter(**key).exists():
            raise  # not the unique constraints: a bug to see, not a notice to skip
    # Logged already. A failed one with attempts left, or one still sending after the lease (its
    # run stopped), goes to whichever run claims it first: concurrent UPDATEs of one row queue,
    # and the later ones no longer match (the first made it sending, claimed now).
    logged = Notice.objects.filter(**key)
    claim = {**values, "attempts": F("attempts") + (1 if email else 0)}
    if logged.filter(failed_with_attempts_left()).update(**claim):
        was_abandoned = False
    elif logged.filter(abandoned(lease_cutoff(now))).update(**claim):
        was_abandoned = True
    else:
        return None
    notice = Notice.objects.select_related("patron", "loan__copy__book", "hold__book").get(**key)
    return NoticeClaim(notice, abandoned=was_abandoned)


def _deliver(notice: Notice) -> bool:
    """Email ``notice`` and log how it went. False when the log was no longer this run's to
    write: the send outlasted the lease, and another run claimed the notice meanwhile."""
    message = EmailMessage(
        subject=notice.subject,
        body=notice.body,
        to=[notice.email],
        headers={"Message-ID": notice_message_id(notice)},
    )
    outcome: dict[str, Any]
    try:
        message.send()
    except Exception as error:  # the mail server's refusal or absence: logged, tried again
        logger.warning("Notice %s to %s failed: %s", notice.pk, notice.email, error)
        outcome = {
            "status": NoticeStatus.FAILED,
            "error": f"{type(error).__name__}: {error}"[:1000],
        }
    else:
        outcome = {"status": NoticeStatus.SENT, "sent_at": timezone.now()}
    for name, value in outcome.items():
        setattr(notice, name, value)
    ours = Notice.objects.filter(
        pk=notice.pk, status=NoticeStatus.SENDING, claimed_at=notice.claimed_at
    )
    return ours.update(**outcome) == 1


# A host name as an email address's domain may hold it (RFC 5322's dot-atom, as host names
# spell it); an IPv6 address, say, does not.
_MESSAGE_ID_DOMAIN = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)*")


def notice_message_id(notice: Notice) -> str:
    """The Message-ID of ``notice``'s email, the same for every attempt to send it: from its id
    and the time it was first logged, at the site's host (``SITE_URL``; else this machine's name,
    as Django's own Message-IDs). A mail program or server that drops a message whose Message-ID
    it has seen shows a notice sent twice (a run killed after the mail server took it) once."""
    try:
        host = (urlsplit(settings.SITE_URL).hostname or "").rstrip(".").encode("idna").decode()
    except UnicodeError:
        host = ""
    domain = host if _MESSAGE_ID_DOMAIN.fullmatch(host) else str(DNS_NAME)
    return f"<notice-{notice.pk}.{int(notice.created_at.timestamp())}@{domain}>"


# --- Templates ------------------------------------------------------------------------------------


@service_transaction
def notice_template_update(
    *, kind: str, subject: str, body: str, language: str | None = None
) -> NoticeTemplate:
    """Change a notice's wording in ``language`` (default: the library's, LANGUAGE_CODE);
    refused (with every problem) unless both parts use only text and the kind's
    {{ placeholders }}."""
    language = language or settings.LANGUAGE_CODE
    subject, body = subject.strip(), body.strip()
    problems: dict[str, list[str]] = {}
    if language not in languages.codes():
        problems["language"] = [
            f"'{language}' is not one of the site's languages: {', '.join(languages.codes())}."
        ]
    if not subject:
        problems["subject"] = ["Write a subject."]
    elif len(subject) > SUBJECT_MAX_LENGTH:
        problems["subject"] = [f"A subject may be at most {SUBJECT_MAX_LENGTH} characters."]
    else:
        problems["subject"] = template_problems(kind, subject)
    problems["body"] = template_problems(kind, body) if body else ["Write the text."]
    problems = {name: messages for name, messages in problems.items() if messages}
    if problems:
        raise InvalidInput.collect(problems)
    body += "\n"  # a text file's last line ends with a newline; so does an email's
    template = NoticeTemplate.objects.filter(kind=kind, language=language).first()
    if template is None:
        return NoticeTemplate.objects.create(
            kind=kind, language=language, subject=subject, body=body
        )
    template = lock_row(NoticeTemplate, template.pk, no_key=True)
    template.subject, template.body = subject, body
    template.save(update_fields=["subject", "body", "updated_at"])
    return template


def notice_template_reset(*, kind: str, language: str | None = None) -> NoticeTemplate:
    """Put a notice's built-in wording back, in ``language`` (default: the library's)."""
    language = language or settings.LANGUAGE_CODE
    subject, body = default_templates(language)[kind]
    return notice_template_update(kind=kind, language=language, subject=subject, body=body)
