"""Test-only views with Idempotency-Key (used by test_idempotency.py through pytest's urls mark).

Each one does work that shows whether it ran: it creates a subject, under a new name each time
it runs, so a request that ran twice leaves two."""

from __future__ import annotations

import time
import uuid
from typing import Any, ClassVar

from django.db.models import QuerySet
from django.urls import path
from rest_framework import serializers
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from catalog import services
from catalog.models import Subject
from catalog.selectors import SUBJECT_ROWS
from catalog.serializers import SubjectSerializer
from shelfmark.api.idempotency import IdempotentPost
from shelfmark.api.views import CollectionActionApi, CreateMixin, ResourceApi
from shelfmark.errors import Conflict


class RunSerializer(serializers.Serializer):
    topic = serializers.CharField(max_length=50)
    refuse = serializers.BooleanField(default=False)


class SubjectRunApi(ResourceApi):
    row_shape = SUBJECT_ROWS
    list_url_name = "idem-run"
    serializer_class = SubjectSerializer
    input_serializer_class: ClassVar[type[serializers.Serializer] | None] = RunSerializer
    permission_classes: list[type[BasePermission]] = [IsAuthenticated]

    def get_scope(self) -> QuerySet[Subject]:
        return Subject.objects.all()

    def run(self, data: dict[str, Any]) -> Subject:
        if data["refuse"]:
            raise Conflict("Refused, as asked.", code="refused")
        return services.subject_create(name=f"{data['topic']} {uuid.uuid4()}")


class RunApi(IdempotentPost, CreateMixin, SubjectRunApi):
    """Creates a subject named after the topic (201 with it); 409 `refused` on request."""

    def create_object(self, data: dict[str, Any]) -> Subject:
        return self.run(data)


class SlowRunApi(RunApi):
    """The same, slowly: requests sent together overlap."""

    def create_object(self, data: dict[str, Any]) -> Subject:
        subject = self.run(data)
        time.sleep(0.3)
        return subject


class FlakyRunApi(IdempotentPost, CollectionActionApi, SubjectRunApi):
    """Runs, then collides with a concurrent change (409 concurrent_change) ``failures`` times
    in a row before it succeeds; 200 with the number of runs."""

    failures = 0
    runs = 0

    def perform_action(self, obj: None, data: dict[str, Any]) -> Subject:
        type(self).runs += 1
        subject = self.run(data)
        if type(self).runs <= type(self).failures:
            raise Conflict("Collided; send it again.", code="concurrent_change")
        return subject

    def action_response(self, obj: None, result: Subject) -> Response:
        return Response({"runs": type(self).runs, "name": result.name})


class BrokenRunApi(IdempotentPost, CollectionActionApi, SubjectRunApi):
    """Runs, then fails with a bug: a 500."""

    def perform_action(self, obj: None, data: dict[str, Any]) -> None:
        self.run(data)
        raise RuntimeError("a bug")


urlpatterns = [
    path("idem/runs/", RunApi.as_view(), name="idem-run"),
    path("idem/slow/", SlowRunApi.as_view(), name="idem-slow"),
    path("idem/flaky/", FlakyRunApi.as_view(), name="idem-flaky"),
    path("idem/broken/", BrokenRunApi.as_view(), name="idem-broken"),
]
