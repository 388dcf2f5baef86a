"""Interchange's website pages. Who may use each is in shelfmark/tests/test_access.py."""

from django.urls import path

from interchange.views import isbn as views

urlpatterns = [
    # --- Add by ISBN ---
    path("catalog/add/", views.add_by_isbn, name="catalog-add"),
]
