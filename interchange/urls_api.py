"""Interchange's REST API under /api/v1/."""

from django.urls import path

from interchange import api

urlpatterns = [
    # --- ISBN lookup ---
    path("isbn/<str:isbn>/", api.IsbnLookupApi.as_view(), name="isbn-lookup"),
]
