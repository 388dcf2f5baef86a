"""The reports API under /api/v1/."""

from django.urls import path

from reports import api

urlpatterns = [path("reports/<str:name>/", api.ReportApi.as_view(), name="report")]
