"""The copy cataloguing page, included under /staff/copy-cataloguing/ by shelfmark/urls.py."""

from django.urls import path

from protocols.copycat import views

urlpatterns = [
    path("", views.copy_cataloguing, name="copy-cataloguing"),
]
