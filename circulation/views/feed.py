"""A patron's due dates as an iCalendar feed (RFC 5545) that calendar apps subscribe to.

Calendar apps cannot sign in, so the URL's secret is the credential: made and revoked on "My
account", stored only as a hash. An unknown or revoked secret is a 404, like any other page.
The events are worded in the patron's language, as their notices are (whatever language the
calendar app asks for).
"""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from django.views.decorators.http import require_GET

from circulation.selectors import account as selectors
from circulation.services.feeds import feed_secret_hash
from shelfmark.languages import language_or_default

if TYPE_CHECKING:
    import icalendar

    from shelfmark.rows import Row

# token_urlsafe(32): 43 characters of the URL-safe base64 alphabet.
SECRET_FORMAT = re.compile(r"[A-Za-z0-9_-]{20,100}")
ONE_DAY = datetime.timedelta(days=1)


@require_GET
def calendar_feed(request: HttpRequest, secret: str) -> HttpResponse:
    if not SECRET_FORMAT.fullmatch(secret):
        raise Http404("No such calendar.")
    patron = selectors.feed_for_secret_hash(feed_secret_hash(secret))
    if patron is None:
        raise Http404("No such calendar.")
    loans, holds = selectors.feed_entries(patron)
    host = request.get_host().split(":")[0]
    now = timezone.now()
    account_url = request.build_absolute_uri(reverse("my-account"))

    # Imported on the first feed request: icalendar weighs ~10 MB that a web worker serving only
    # the catalog never needs (the startup test in shelfmark/tests/test_startup.py).
    from icalendar import Calendar

    with override(language_or_default(patron.language)):
        calendar = _calendar(Calendar(), loans, holds, host=host, now=now, account_url=account_url)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="library-due-dates.ics"'
    # The URL is a secret: keep the feed out of shared caches and search engines.
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex"
    return response


def _calendar(
    calendar: icalendar.Calendar,
    loans: list[Row],
    holds: list[Row],
    *,
    host: str,
    now: datetime.datetime,
    account_url: str,
) -> icalendar.Calendar:
    """The feed's calendar: a loan's due date and a ready hold's last day, each an event."""
    calendar.add("prodid", "-//Shelfmark//Library due dates//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", _("Library due dates"))
    # Calendar apps poll a subscription; ask for twice a day (a due date moves on renewal).
    calendar.add("refresh-interval", datetime.timedelta(hours=12), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT12H")
    for loan in loans:
        event = _all_day_event(
            uid=f"loan-{loan['id']}@{host}",
            day=loan["due_on"],
            summary=_("Library book due: %(title)s") % {"title": loan["copy__book__title"]},
            description=_(
                "Return or renew '%(title)s' (copy %(barcode)s) by this day. Renew it at %(url)s"
            )
            % {
                "title": loan["copy__book__title"],
                "barcode": loan["copy__barcode"],
                "url": account_url,
            },
            now=now,
        )
        # A renewal keeps the UID and moves the date: SEQUENCE tells apps this is newer.
        event.add("sequence", loan["renewals"])
        calendar.add_component(event)
    for hold in holds:
        calendar.add_component(
            _all_day_event(
                uid=f"hold-{hold['id']}@{host}",
                day=hold["pickup_by"],
                summary=_("Pick up your hold: %(title)s") % {"title": hold["book__title"]},
                description=_("'%(title)s' waits for you on the hold shelf until this day.")
                % {"title": hold["book__title"]},
                now=now,
            )
        )
    return calendar


def _all_day_event(
    *, uid: str, day: datetime.date, summary: str, description: str, now: datetime.datetime
) -> icalendar.Event:
    from icalendar import Event

    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now)
    event.add("dtstart", day)  # a date: an all-day event (VALUE=DATE)
    event.add("dtend", day + ONE_DAY)
    event.add("summary", summary)
    event.add("description", description)
    event.add("transp", "TRANSPARENT")  # a reminder, not a busy slot
    return event
