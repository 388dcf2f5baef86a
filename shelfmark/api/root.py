"""/api/: the browsable entry point that links to every resource and the docs.

Each app lists its own resources with an ``api_links`` attribute on its AppConfig (link name ->
URL name); the root adds them in INSTALLED_APPS order, then the documentation.
"""

from __future__ import annotations

from django.apps import apps
from django.urls import reverse
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

DOCUMENTATION_LINKS = {"schema": "schema", "docs": "swagger-ui", "redoc": "redoc"}


def api_links() -> dict[str, str]:
    links: dict[str, str] = {}
    for config in apps.get_app_configs():
        links.update(getattr(config, "api_links", {}))
    return links | DOCUMENTATION_LINKS


class ApiRootView(APIView):
    """Shelfmark API. Every list is cursor-paginated; read the docs at `docs` or `redoc`."""

    permission_classes = [AllowAny]
    # What the browsable API shows as the page's heading and text (DRF reads these before the
    # class name and the docstring), in the visitor's language.
    name = gettext_lazy("Api Root")
    description = gettext_lazy(
        "Shelfmark API. Every list is cursor-paginated; read the docs at `docs` or `redoc`."
    )

    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        return Response(
            {key: request.build_absolute_uri(reverse(name)) for key, name in api_links().items()}
        )
