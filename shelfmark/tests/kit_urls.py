"""Test-only views built from the API kit (used by test_api_kit.py through pytest's urls mark)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet
from django.urls import path
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from catalog import services
from catalog.models import Subject
from catalog.selectors import SUBJECT_ROWS
from catalog.serializers import SubjectInputSerializer, SubjectSerializer
from shelfmark.api.views import (
    ActionApi,
    CollectionActionApi,
    CreateMixin,
    DestroyMixin,
    ListMixin,
    PartialUpdateMixin,
    ResourceApi,
    RetrieveMixin,
    UpdateMixin,
)


class RefuseEveryObject(BasePermission):
    """Lets the request in, refuses every object: what a patron meets on someone else's loan."""

    message = "Not yours."

    def has_permission(self, request: Any, view: Any) -> bool:
        return True

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        return False


class SubjectKitApi(ResourceApi):
    row_shape = SUBJECT_ROWS
    list_url_name = "kit-subject-list"
    serializer_class = SubjectSerializer
    # Declared as the kit declares it, so that a subclass may take another input serializer.
    input_serializer_class: ClassVar[type[serializers.Serializer] | None] = SubjectInputSerializer
    permission_classes: list[type[BasePermission]] = []
    ordering_fields = {"name": ("name", "id")}
    ordering_default = "name"

    def get_scope(self) -> QuerySet[Subject]:
        # Only subjects whose name starts with "Visible": the rest are someone else's.
        return Subject.objects.filter(name__startswith="Visible")

    def create_object(self, data: dict[str, Any]) -> Subject:
        return services.subject_create(**data)

    def update_object(self, obj: Subject, data: dict[str, Any]) -> None:
        services.subject_update(subject=obj, **data)

    def delete_object(self, obj: Subject) -> None:
        services.subject_delete(subject=obj)


class SubjectListApi(ListMixin, CreateMixin, SubjectKitApi):
    """Subjects in scope."""


class SubjectDetailApi(RetrieveMixin, UpdateMixin, DestroyMixin, SubjectKitApi):
    """One subject in scope."""


class SubjectReadOnlyApi(RetrieveMixin, SubjectKitApi):
    """One subject, read only: PUT, PATCH and DELETE do not exist here."""


class SubjectRefusedApi(RetrieveMixin, UpdateMixin, DestroyMixin, SubjectKitApi):
    """Every object refused by its object permission."""

    permission_classes = [RefuseEveryObject]


class SubjectPatchOnlyApi(RetrieveMixin, PartialUpdateMixin, SubjectKitApi):
    """One subject, changed a field at a time: never replaced whole."""


class ShoutSerializer(serializers.Serializer):
    suffix = serializers.CharField(max_length=5, default="!")


class SubjectShoutApi(SubjectKitApi, ActionApi):
    """Appends the suffix to the subject's name: a verb, through a service."""

    input_serializer_class = ShoutSerializer

    def perform_action(self, obj: Subject, data: dict[str, Any]) -> Subject:
        return services.subject_update(subject=obj, name=obj.name + data["suffix"])


class SubjectRefusedShoutApi(SubjectShoutApi):
    permission_classes = [RefuseEveryObject]


class SubjectShoutAllApi(CollectionActionApi, SubjectKitApi):
    """Appends the suffix to every subject in scope: a verb on no one object."""

    input_serializer_class = ShoutSerializer

    def perform_action(self, obj: None, data: dict[str, Any]) -> int:
        subjects = list(self.get_scope())
        for subject in subjects:
            services.subject_update(subject=subject, name=subject.name + data["suffix"])
        return len(subjects)

    def action_response(self, obj: None, result: int) -> Response:
        return Response({"changed": result})


urlpatterns = [
    path("kit/subjects/", SubjectListApi.as_view(), name="kit-subject-list"),
    path("kit/subjects/<id:pk>/", SubjectDetailApi.as_view(), name="kit-subject-detail"),
    path("kit/read-only/<id:pk>/", SubjectReadOnlyApi.as_view(), name="kit-read-only"),
    path("kit/refused/<id:pk>/", SubjectRefusedApi.as_view(), name="kit-refused"),
    path("kit/subjects/<id:pk>/shout/", SubjectShoutApi.as_view(), name="kit-shout"),
    path("kit/refused/<id:pk>/shout/", SubjectRefusedShoutApi.as_view(), name="kit-refused-shout"),
    path("kit/patch-only/<id:pk>/", SubjectPatchOnlyApi.as_view(), name="kit-patch-only"),
    path("kit/shout-all/", SubjectShoutAllApi.as_view(), name="kit-shout-all"),
]
