"""The interchange REST API under /api/v1/."""

from django.urls import path

from interchange import api

urlpatterns = [
    path("export/", api.ExportApi.as_view(), name="catalog-export"),
]
