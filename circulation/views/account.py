"""Patrons' self-service: the site's sign-in (for staff too), passwords by email, "My account"
(loans with renew buttons, holds with their place in the queue), placing a hold from a book's
page, and the calendar feed's secret URL.

A patron acts only on their own rows: every lookup is scoped to the patron linked to the
signed-in login, and anything else is a 404, as in the API.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.services import password_reset_allowed
from catalog.models import Book
from circulation import services
from circulation.models import Hold, Loan, Patron
from circulation.policy import fines_enabled
from circulation.selectors import account as selectors
from circulation.selectors.fines import patron_balance, patron_fines
from circulation.services.feeds import calendar_feed_issue, calendar_feed_revoke
from circulation.views.desk import is_desk_user
from circulation.views.hold_forms import (
    hold_cancel_from_form,
    hold_suspend_from_form,
    suspension_dates,
)
from shelfmark import languages
from shelfmark.errors import DomainError
from shelfmark.formats import long_date
from shelfmark.logins import client_address

# The feed URL made by the last "new link" click, shown on the next page once (the database
# keeps only its hash). In the session, which lives on the server, not in a cookie.
NEW_FEED_SESSION = "new_calendar_feed"


# --- Signing in and out, passwords ---------------------------------------------------------------


class SignInView(auth_views.LoginView):
    """One sign-in page for patrons and staff (settings.LOGIN_URL). Without ?next=, staff who
    work the desk land on it, everyone else on their account."""

    template_name = "circulation/account/sign_in.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        if is_desk_user(self.request.user):
            return reverse("desk-checkout")
        return reverse("my-account")


class SignOutView(auth_views.LogoutView):
    next_page = "home"  # a URL name


class PatronPasswordResetForm(PasswordResetForm):
    """Django's "forgot my password" form, which also serves a patron who never chose one:
    their login is made without a password (circulation.services.patrons), and Django's form
    leaves such accounts out."""

    def get_users(self, email: str) -> Iterator[Any]:
        users = get_user_model()._default_manager.filter(email__iexact=email, is_active=True)
        for user in users:
            if user.has_usable_password() or Patron.objects.filter(user=user).exists():
                yield user


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "circulation/account/password_reset.html"
    email_template_name = "circulation/email/password_reset.txt"
    subject_template_name = "circulation/email/password_reset_subject.txt"
    form_class = PatronPasswordResetForm
    success_url = reverse_lazy("password-reset-done")

    def get_form_kwargs(self) -> dict[str, Any]:
        # Links in emails use the configured address, as the patrons' first emails do
        # (circulation.accounts), not whatever Host the request came with.
        self.extra_email_context = {
            "site_url": settings.SITE_URL,
            "library_name": settings.LIBRARY_NAME,
        }
        return super().get_form_kwargs()

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        # Over the hourly limits (accounts.services.password_reset_allowed): the same page as
        # a sent email, and nothing sent.
        email = form.cleaned_data["email"]
        if not password_reset_allowed(email=email, client=client_address(self.request)):
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


# --- My account ----------------------------------------------------------------------------------


@require_GET
@login_required
def my_account(request: HttpRequest) -> HttpResponse:
    patron = selectors.patron_of(request.user)
    if patron is None:
        return render(request, "circulation/account/no_card.html")
    today = timezone.localdate()
    new_feed_secret = request.session.pop(NEW_FEED_SESSION, None)
    return render(
        request,
        "circulation/account/my_account.html",
        {
            "patron": patron,
            "card_expired": patron.expires_on is not None and patron.expires_on < today,
            "loans": selectors.account_loans(patron, today),
            "holds": selectors.account_holds(patron),
            **(
                {"fines": patron_fines(patron.pk), "fines_balance": patron_balance(patron.pk)}
                if fines_enabled()
                else {}
            ),
            **suspension_dates(today),
            "language_choice": languages.choice(patron.language),
            "feed_created_at": selectors.feed_created_at(patron),
            "new_feed_url": (
                request.build_absolute_uri(reverse("calendar-feed", args=[new_feed_secret]))
                if new_feed_secret
                else None
            ),
        },
    )


def _patron_or_404(request: HttpRequest) -> Patron:
    patron = selectors.patron_of(request.user)
    if patron is None:
        raise Http404("This login has no library card.")
    return patron


@require_POST
@login_required
def loan_renew(request: HttpRequest, pk: int) -> HttpResponse:
    patron = _patron_or_404(request)
    loan = Loan.objects.filter(pk=pk, patron=patron).select_related("copy__book").first()
    if loan is None:
        raise Http404("You have no such loan.")
    try:
        loan = services.loan_renew(loan=loan, actor=request.user)
    except DomainError as error:
        messages.error(
            request,
            _("'%(title)s' was not renewed: %(reason)s")
            % {"title": loan.copy.book.title, "reason": error.message},
        )
    else:
        messages.success(
            request,
            _("Renewed '%(title)s': now due %(date)s.")
            % {"title": loan.copy.book.title, "date": long_date(loan.due_on)},
        )
    return redirect("my-account")


@require_POST
@login_required
def hold_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    patron = _patron_or_404(request)
    hold = Hold.objects.filter(pk=pk, patron=patron).select_related("book").first()
    if hold is None:
        raise Http404("You have no such hold.")
    asking = hold_cancel_from_form(
        request,
        hold,
        confirm_template="circulation/account/hold_cancel_confirm.html",
        cancelled=_("Your hold on '%(title)s' is cancelled.") % {"title": hold.book.title},
    )
    return asking or redirect("my-account")


@require_POST
@login_required
def hold_suspend(request: HttpRequest, pk: int) -> HttpResponse:
    """Suspend a waiting hold until a day (on holiday: keep the place, skip the turn), or
    resume it now."""
    patron = _patron_or_404(request)
    hold = Hold.objects.filter(pk=pk, patron=patron).select_related("book").first()
    if hold is None:
        raise Http404("You have no such hold.")
    hold_suspend_from_form(request, hold)
    return redirect("my-account")


@require_POST
@login_required
def hold_place(request: HttpRequest, pk: int) -> HttpResponse:
    """The "Place hold" button on a book's page (filled in by circulation's part of that page)."""
    book = Book.objects.filter(pk=pk).first()
    if book is None:
        raise Http404("No such book.")
    patron = selectors.patron_of(request.user)
    if patron is None:
        messages.error(request, _("This login has no library card, so it cannot place holds."))
        return redirect("book-page", pk=pk)
    try:
        hold = services.hold_place(patron=patron, book=book, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        position = next(
            row["queue_position"] for row in selectors.account_holds(patron) if row["id"] == hold.pk
        )
        messages.success(
            request,
            _("Hold placed on '%(title)s': you are number %(position)s in the queue.")
            % {"title": book.title, "position": position},
        )
    return redirect("book-page", pk=pk)


@require_POST
@login_required
def account_language(request: HttpRequest) -> HttpResponse:
    """A patron chooses the language of their notices; the site follows it in this browser
    (the switcher's cookie), the library's when they choose that."""
    patron = _patron_or_404(request)
    try:
        patron = services.patron_update(patron=patron, language=request.POST.get("language", ""))
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(reverse("my-account") + "#language")
    code = languages.language_or_default(patron.language)
    with translation.override(code):
        messages.success(
            request,
            _("Your notices will be in %(language)s.") % {"language": languages.name_of(code)},
        )
    response = redirect(reverse("my-account") + "#language")
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
    )
    return response


@require_POST
@login_required
def calendar_feed(request: HttpRequest) -> HttpResponse:
    """Make a new secret feed URL (the old one stops working) or turn the feed off."""
    patron = _patron_or_404(request)
    if request.POST.get("action") == "revoke":
        if calendar_feed_revoke(patron=patron):
            messages.success(request, _("Your calendar link is turned off: it no longer works."))
    else:
        request.session[NEW_FEED_SESSION] = calendar_feed_issue(patron=patron)
    return redirect(reverse("my-account") + "#calendar")
