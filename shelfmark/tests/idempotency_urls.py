"""Test-only views with Idempotency-Key (used by test_idempotency.py and
test_page_idempotency.py through pytest's urls mark): API views (DRF) and a website page's
POST (plain Django, shelfmark.pages.idempotent_post).

Each one does work that shows whether it ran: it creates a subject, under a new name each time
it runs, so a request that ran twice leaves two."""

from __future__ import annotations

import time
import uuid
from typing import Any, ClassVar

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
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
from shelfmark.pages import idempotent_post


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


class PageRun:
    """How the page's view behaves; tests change it with monkeypatch."""

    collisions = 0  # answers concurrent_change this many times before it succeeds
    runs = 0
    pause = 0.0


@idempotent_post
def page_run(request: HttpRequest) -> HttpResponseBase:
    """A page's form: creates a subject named after ``topic`` and answers its script in JSON
    (201); ``answer=refuse`` raises a refusal (409), ``answer=redirect`` redirects as a form
    without a script would, ``answer=page`` wrongly answers HTML."""
    PageRun.runs += 1
    answer = request.POST.get("answer", "")
    if answer == "refuse":
        raise Conflict("Refused, as asked.", code="refused")
    subject = services.subject_create(name=f"{request.POST.get('topic', '')} {uuid.uuid4()}")
    time.sleep(PageRun.pause)
    if PageRun.runs <= PageRun.collisions:
        raise Conflict("Collided; send it again.", code="concurrent_change")
    if answer == "redirect":
        return redirect("/idem/page/")
    if answer == "page":
        return HttpResponse("<p>A page</p>")
    return JsonResponse({"name": subject.name, "runs": PageRun.runs}, status=201)


urlpatterns = [
    path("idem/runs/", RunApi.as_view(), name="idem-run"),
    path("idem/slow/", SlowRunApi.as_view(), name="idem-slow"),
    path("idem/flaky/", FlakyRunApi.as_view(), name="idem-flaky"),
    path("idem/broken/", BrokenRunApi.as_view(), name="idem-broken"),
    path("idem/page/", page_run, name="idem-page"),
]
