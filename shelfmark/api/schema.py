"""OpenAPI generation: drf-spectacular's AutoSchema plus the error responses every operation
can give, all in the one error shape (shelfmark.api.exceptions)."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from shelfmark.api.permissions import IsStaffOrReadOnly

# Permissions under which anyone may read: a GET behind them cannot be forbidden.
ReadOnlyForAll = (AllowAny, IsStaffOrReadOnly)


class ErrorDetailSerializer(serializers.Serializer):
    status = serializers.IntegerField()
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `duplicate_isbn`.")
    message = serializers.CharField(help_text="What went wrong, for a person.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="For input errors: messages per field.",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


ERRORS = {
    "400": "Invalid input; see `error.fields`.",
    "401": "No credentials, or invalid ones.",
    "403": "Not allowed (writes need a staff account).",
    "404": "No such object.",
    "409": "Conflicts with the current state (duplicate, still in use).",
    "429": "Too many requests; retry later.",
}


class AutoSchema(SpectacularAutoSchema):
    def get_auth(self):
        # Anyone may read under these permissions: say so, with the empty security requirement.
        auths = super().get_auth()
        public_read = all(isinstance(p, ReadOnlyForAll) for p in self.view.get_permissions())
        if self.method in ("GET", "HEAD") and public_read and {} not in auths:
            auths.append({})
        return auths

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                response = OpenApiResponse(response=ErrorSerializer, description=ERRORS[code])
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses

    def _error_codes(self) -> list[str]:
        write = self.method in ("POST", "PUT", "PATCH", "DELETE")
        has_id = "{" in self.path
        codes = ["401", "429"]  # any request may carry a bad token, or come too often
        if write or not has_id:
            codes.append("400")  # bad input, or bad list parameters
        if has_id:
            codes.append("404")
        if write or not all(isinstance(p, ReadOnlyForAll) for p in self.view.get_permissions()):
            codes.append("403")
        if write:
            codes.append("409")
        return codes
