"""The website's circulation pages: signing in, patrons' accounts, the staff desk and the
calendar feeds. Who may use each is in shelfmark/tests/test_access.py."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from circulation.views import account, desk, desk_patron, feed

urlpatterns = [
    # Signing in and passwords (settings.LOGIN_URL is the sign-in page).
    path("account/sign-in/", account.SignInView.as_view(), name="sign-in"),
    path("account/sign-out/", account.SignOutView.as_view(), name="sign-out"),
    path("account/password/reset/", account.PasswordResetView.as_view(), name="password-reset"),
    path(
        "account/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="circulation/account/password_reset_sent.html"
        ),
        name="password-reset-done",
    ),
    path(
        "account/password/set/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="circulation/account/password_set.html",
            success_url=reverse_lazy("password-set-done"),
        ),
        name="password-set",
    ),
    path(
        "account/password/set/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="circulation/account/password_set_done.html"
        ),
        name="password-set-done",
    ),
    # A patron's own account.
    path("account/", account.my_account, name="my-account"),
    path("account/loans/<id:pk>/renew/", account.loan_renew, name="account-loan-renew"),
    path("account/holds/<id:pk>/cancel/", account.hold_cancel, name="account-hold-cancel"),
    path("account/holds/<id:pk>/suspend/", account.hold_suspend, name="account-hold-suspend"),
    path("account/calendar/", account.calendar_feed, name="account-calendar"),
    path("account/language/", account.account_language, name="account-language"),
    path("books/<id:pk>/hold/", account.hold_place, name="book-hold-place"),
    path("calendar/<str:secret>.ics", feed.calendar_feed, name="calendar-feed"),
    # The staff desk.
    path("desk/", desk.checkout, name="desk-checkout"),
    path("desk/checkin/", desk.checkin, name="desk-checkin"),
    path("desk/patrons/", desk_patron.patron_search, name="desk-patrons"),
    path("desk/patrons/<id:pk>/", desk_patron.patron_detail, name="desk-patron"),
    path("desk/patrons/<id:pk>/block/", desk_patron.patron_block, name="desk-patron-block"),
    path(
        "desk/patrons/<id:pk>/renew-card/",
        desk_patron.patron_renew_card,
        name="desk-patron-renew-card",
    ),
    path("desk/patrons/<id:pk>/expiry/", desk_patron.patron_expiry, name="desk-patron-expiry"),
    path(
        "desk/patrons/<id:pk>/language/", desk_patron.patron_language, name="desk-patron-language"
    ),
    path(
        "desk/patrons/<id:pk>/renew-all/",
        desk_patron.patron_renew_all,
        name="desk-patron-renew-all",
    ),
    path("desk/patrons/<id:pk>/holds/", desk_patron.patron_hold_place, name="desk-patron-hold"),
    path("desk/patrons/<id:pk>/payments/", desk_patron.patron_payment, name="desk-patron-payment"),
    path("desk/fines/<id:pk>/waive/", desk_patron.fine_waive_page, name="desk-fine-waive"),
    path("desk/loans/<id:pk>/renew/", desk_patron.loan_renew, name="desk-loan-renew"),
    path("desk/holds/<id:pk>/suspend/", desk_patron.hold_suspend, name="desk-hold-suspend"),
    path("desk/holds/<id:pk>/cancel/", desk_patron.hold_cancel, name="desk-hold-cancel"),
    path("desk/overdue/", desk.overdue, name="desk-overdue"),
    path("desk/holds/", desk.hold_shelf, name="desk-hold-shelf"),
    path("desk/holds/<id:pk>/slip/", desk.hold_slip, name="desk-hold-slip"),
]
