"""OpenAPI generation: drf-spectacular's AutoSchema, taught the API kit's conventions, so views
carry no schema decorators for what every view of a kind does.

- Requests are the view's ``input_serializer_class``; responses its ``serializer_class`` (the
  row), 201 for a create, 204 for a delete; lists are paginated with the kit's parameters.
- Every operation lists the errors it can give, in the one error shape
  (shelfmark.api.exceptions); GETs whose permissions let anonymous clients read are marked as
  needing no credentials.
- POSTs of views that honour ``Idempotency-Key`` (shelfmark.api.idempotency) document the
  header and its 422.
- Each app describes its own sections (tags) with an ``api_sections`` attribute on its
  AppConfig; ``app_sections`` collects them, so this module names no app's resources.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.apps import apps
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from shelfmark import idempotency
from shelfmark.api.idempotency import IdempotentPost
from shelfmark.api.views import ActionApi, CreateMixin, ListMixin, ResourceApi

WRITES = ("POST", "PUT", "PATCH", "DELETE")


class ErrorDetailSerializer(serializers.Serializer):
    status = serializers.IntegerField()
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `duplicate_isbn`.")
    message = serializers.CharField(help_text="What went wrong, for a person.")
    # DRF's serializer metaclass takes declared fields off the class, so this field does not
    # replace Serializer.fields; the stubs cannot know that.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="For input errors: messages per field.",
    )
    reasons = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text="For a refusal with several reasons (a checkout): every one of them, each "
        "with its `code`, `message`, how it can be overridden (`override`: `confirm`, "
        "`permission` or null) and whether this account may (`overridable`).",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


ERRORS = {
    "400": "Invalid input; see `error.fields`.",
    "401": "No credentials, or invalid ones.",
    "403": "Not allowed for this account.",
    "404": "No such object, or not one this account may see.",
    "409": "Conflicts with the current state (duplicate, still in use).",
    "422": "The Idempotency-Key was used for another request (`idempotency_key_reused`).",
    "429": "Too many requests; retry later.",
}


IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    idempotency.HEADER,
    {
        "type": "string",
        "minLength": 1,
        "maxLength": idempotency.KEY_MAX_LENGTH,
        "pattern": "^[!-~]+$",
    },
    OpenApiParameter.HEADER,
    required=False,
    description=(
        f"Makes the request safe to retry: {idempotency.KEY_RULE}. A retry with the same key "
        "and body gets the first answer (marked `Idempotent-Replayed: true`) and changes "
        "nothing again; the same key with another request is a 422. Keys are per account and "
        "kept for at least 24 hours."
    ),
)


def anonymous_reads(view: Any) -> bool:
    """Whether the view's permissions let anonymous clients read (see shelfmark.api.permissions)."""
    return all(getattr(p, "anonymous_reads", False) for p in view.get_permissions())


class AutoSchema(SpectacularAutoSchema):
    def get_request_serializer(self) -> Any:
        if isinstance(self.view, ResourceApi):
            return self.view.input_serializer_class if self.method in WRITES else None
        return super().get_request_serializer()

    def get_response_serializers(self) -> Any:
        if isinstance(self.view, ResourceApi):
            return None if self.method == "DELETE" else self.view.serializer_class
        return super().get_response_serializers()

    def get_override_parameters(self) -> list[Any]:
        parameters: list[Any] = super().get_override_parameters()
        if self._idempotent():
            parameters.append(IDEMPOTENCY_KEY_PARAMETER)
        return parameters

    def _idempotent(self) -> bool:
        return self.method == "POST" and isinstance(self.view, IdempotentPost)

    def _is_list_view(self, serializer: Any = None) -> bool:
        if isinstance(self.view, ResourceApi):
            return self.method == "GET" and isinstance(self.view, ListMixin)
        return super()._is_list_view(serializer)

    def _is_create_operation(self) -> bool:
        if isinstance(self.view, ResourceApi):
            return self.method == "POST" and isinstance(self.view, CreateMixin)
        return super()._is_create_operation()

    def _get_filter_parameters(self) -> list[dict[str, Any]]:
        # django-filter's schema gives each parameter a type but none of the limits its form
        # field enforces (a 400 past them): add them, so clients and fuzzers see the real rules.
        parameters: list[dict[str, Any]] = super()._get_filter_parameters()
        filterset_class = getattr(self.view, "filterset_class", None)
        filters = filterset_class.base_filters if filterset_class else {}
        for parameter in parameters:
            if parameter["name"] in filters:
                _add_form_field_limits(parameter["schema"], filters[parameter["name"]].field)
        return parameters

    def get_auth(self) -> list[dict[str, Any]]:
        # Anyone may read under these permissions: say so, with the empty security requirement.
        auths = super().get_auth()
        if self.method in ("GET", "HEAD") and anonymous_reads(self.view) and {} not in auths:
            auths.append({})
        return auths

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                response = OpenApiResponse(response=ErrorSerializer, description=ERRORS[code])
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses

    def _error_codes(self) -> list[str]:
        write = self.method in WRITES
        has_id = "{" in self.path
        codes = ["401", "429"]  # any request may carry a bad token, or come too often
        if write or not has_id:
            codes.append("400")  # bad input, or bad list parameters
        if has_id:
            codes.append("404")
        if write or not anonymous_reads(self.view):
            codes.append("403")
        if write or isinstance(self.view, ActionApi):
            codes.append("409")
        if self._idempotent():
            codes.append("422")
        return codes


def _add_form_field_limits(schema: dict[str, Any], field: forms.Field) -> None:
    if isinstance(field, forms.IntegerField):
        schema["type"] = "integer"
        for key, value in (("minimum", field.min_value), ("maximum", field.max_value)):
            if value is not None:
                schema[key] = value
    elif isinstance(field, forms.CharField) and field.max_length is not None:
        schema["maxLength"] = field.max_length


def app_sections(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the schema's sections (tags), each described by the
    app that owns it (``AppConfig.api_sections``, a list of {"name", "description"}), and what
    apps serve beside the REST API (``AppConfig.api_beside``, a paragraph)."""
    sections = [
        section
        for config in apps.get_app_configs()
        for section in getattr(config, "api_sections", ())
    ]
    used = {
        tag
        for path in result.get("paths", {}).values()
        for op in path.values()
        for tag in op.get("tags", ())
    }
    result["tags"] = [section for section in sections if section["name"] in used]
    # What an app serves beside the REST API (the library protocols' endpoints): a paragraph
    # each under the API's own description, so the docs link them too.
    beside = [
        str(paragraph)
        for config in apps.get_app_configs()
        if (paragraph := getattr(config, "api_beside", ""))
    ]
    if beside:
        info = result.setdefault("info", {})
        info["description"] = "\n\n".join([info.get("description", ""), *beside]).strip()
    return result
