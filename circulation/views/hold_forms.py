"""The hold forms the patron's account and the desk share: suspending and resuming a hold, and
cancelling one (a ready one asks first)."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from circulation import services
from circulation.models import Hold, HoldStatus
from circulation.services.holds import MAX_SUSPENSION
from shelfmark.errors import DomainError
from shelfmark.formats import long_date


def hold_suspend_from_form(request: HttpRequest, hold: Hold) -> None:
    """The suspend form's POST (``until``, a date; or ``action=resume``) through the service,
    its outcome as a message. The desk's hold forms post the same fields."""
    title = hold.book.title
    if request.POST.get("action") == "resume":
        until = None
    else:
        form = SuspendForm(request.POST)
        if not form.is_valid():
            problem = " ".join(map(str, form.errors["until"]))
            messages.error(
                request, _("'%(title)s': %(message)s") % {"title": title, "message": problem}
            )
            return
        until = form.cleaned_data["until"]
    try:
        hold = services.hold_suspend(hold=hold, until=until, actor=request.user)
    except DomainError as error:
        messages.error(
            request, _("'%(title)s': %(message)s") % {"title": title, "message": error.message}
        )
    else:
        if hold.suspended_until is None:
            messages.success(
                request, _("The hold on '%(title)s' is active again.") % {"title": title}
            )
        else:
            messages.success(
                request,
                _(
                    "The hold on '%(title)s' is suspended until %(date)s: it keeps its place in "
                    "the queue."
                )
                % {"title": title, "date": long_date(hold.suspended_until)},
            )


class SuspendForm(forms.Form):
    until = forms.DateField(
        error_messages={
            "required": gettext_lazy("Choose the day the hold should be active again."),
            "invalid": gettext_lazy("Enter the day as a date (year-month-day)."),
        }
    )


def suspension_dates(today: datetime.date) -> dict[str, datetime.date]:
    """What the suspend form's date field needs: today, and its first and last allowed days."""
    return {
        "today": today,
        "tomorrow": today + datetime.timedelta(days=1),
        "latest_suspension": today + MAX_SUSPENSION,
    }


def hold_cancel_from_form(
    request: HttpRequest, hold: Hold, *, confirm_template: str, cancelled: str
) -> HttpResponse | None:
    """Cancel ``hold`` (its outcome as a message: ``cancelled`` when it is done), or, for a
    hold whose copy waits on the hold shelf and a POST without ``confirm=yes``, the page that
    asks first: its copy goes to the next patron, or back to the shelves, once the hold is
    cancelled, and one stray tap must not do that. The status is read now, so a hold that
    became ready since the list was shown asks too."""
    if hold.status == HoldStatus.READY and request.POST.get("confirm") != "yes":
        return render(request, confirm_template, {"hold": hold})
    try:
        services.hold_cancel(hold=hold, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, cancelled)
    return None
