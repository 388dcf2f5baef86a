"""/api/: the browsable entry point that links to every resource and the docs."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

LINKS = {
    "books": "book-list",
    "authors": "author-list",
    "subjects": "subject-list",
    "copies": "copy-list",
    "tokens": "token-list",
    "schema": "schema",
    "docs": "swagger-ui",
    "redoc": "redoc",
}


class ApiRootView(APIView):
    """Shelfmark API. Every list is cursor-paginated; read the docs at `docs` or `redoc`."""

    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request):
        return Response(
            {key: request.build_absolute_uri(reverse(name)) for key, name in LINKS.items()}
        )
