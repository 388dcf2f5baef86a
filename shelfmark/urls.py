from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from shelfmark.api.exceptions import api_not_found
from shelfmark.api.root import ApiRootView
from shelfmark.health import healthz

api_v1 = [
    path("", include("catalog.urls_api")),
    path("", include("accounts.urls")),
]

urlpatterns = [
    path("", include("catalog.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/", ApiRootView.as_view(), name="api-root"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path(
        "api/redoc/",
        # A local template: the stock one loads Google Fonts.
        SpectacularRedocView.as_view(url_name="schema", template_name="shelfmark/redoc.html"),
        name="redoc",
    ),
    path("api-auth/", include("rest_framework.urls")),
    re_path(r"^api/", api_not_found),
]

handler400 = "shelfmark.views.bad_request"
handler500 = "shelfmark.views.server_error"
