"""The labels API under /api/v1/."""

from django.urls import path

from labels import api

urlpatterns = [path("labels/", api.LabelsApi.as_view(), name="labels")]
