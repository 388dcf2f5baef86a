"""The website's circulation pages: patrons' accounts (and, to come, the staff desk)."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

urlpatterns = [
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
]
