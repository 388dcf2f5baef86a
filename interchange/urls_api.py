"""The interchange REST API under /api/v1/."""

from django.urls import path

from interchange import api

urlpatterns = [
    path("export/", api.ExportApi.as_view(), name="catalog-export"),
    path("isbn/<str:isbn>/", api.IsbnLookupApi.as_view(), name="isbn-lookup"),
]
