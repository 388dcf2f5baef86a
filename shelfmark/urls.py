from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.decorators.cache import cache_page
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from shelfmark.api.exceptions import api_not_found
from shelfmark.api.renderers import DRF_PAGE_POLICY
from shelfmark.api.root import ApiRootView
from shelfmark.health import healthz, readyz
from shelfmark.library import logo
from shelfmark.metrics import metrics_view

# What the API docs need beyond the site's Content-Security-Policy (settings.py), and no more.
# Swagger UI: its stylesheet draws icons as data: images.
SWAGGER_UI_POLICY = {"img-src": ["data:"]}
# ReDoc: styled-components writes <style> elements at run time (it renders nothing without them;
# the standalone bundle takes no nonce), its search runs in a worker made from a blob: URL, and
# its stylesheet draws icons as data: images. Scripts stay 'self' only. Its menu footer still
# asks for Redocly's logo from their CDN: refused (the docs load nothing from elsewhere), and
# ReDoc then leaves the image out.
REDOC_POLICY = {"style-src": [UNSAFE_INLINE], "worker-src": ["blob:"], "img-src": ["data:"]}

# DRF's sign-in pages (rest_framework.urls, as DRF has them), with its page's policy.
api_auth = (
    [
        path(
            "login/",
            csp_update(DRF_PAGE_POLICY)(
                auth_views.LoginView.as_view(template_name="rest_framework/login.html")
            ),
            name="login",
        ),
        path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    ],
    "rest_framework",
)

api_v1 = [
    path("", include("catalog.urls_api")),
    path("", include("circulation.urls_api")),
    path("", include("interchange.urls_api")),
    path("", include("labels.urls_api")),
    path("", include("stocktake.urls_api")),
    path("", include("reports.urls_api")),
    path("", include("accounts.urls")),
]

urlpatterns = [
    path("", include("catalog.urls")),
    path("", include("circulation.urls")),
    path("", include("interchange.urls")),
    path("staff/imports/", include("interchange.urls_imports")),
    path("staff/labels/", include("labels.urls")),
    path("staff/copy-cataloguing/", include("protocols.copycat.urls")),
    path("staff/stocktake/", include("stocktake.urls")),
    path("staff/reports/", include("reports.urls")),
    path("admin/", admin.site.urls),
    # The language switcher's form posts here (Django's set_language: a cookie, then back).
    path("i18n/", include("django.conf.urls.i18n")),
    # The scripts' texts in the visitor's language (gettext() in desk.js, stocktake.js, …). The
    # catalog changes only with a deploy: built once a day per language (the cache's key has it).
    path(
        "jsi18n/",
        cache_page(60 * 60 * 24)(JavaScriptCatalog.as_view()),
        name="javascript-catalog",
    ),
    path("sru", include("protocols.urls")),
    path("oai", include("protocols.urls_oai")),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("library-logo", logo, name="library-logo"),
    path("api/", ApiRootView.as_view(), name="api-root"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        # The split view serves the init script as a second request, ?script (no inline code).
        csp_update(SWAGGER_UI_POLICY)(
            SpectacularSwaggerSplitView.as_view(
                url_name="schema", template_name="shelfmark/swagger_ui.html"
            )
        ),
        name="swagger-ui",
    ),
    path(
        "api/redoc/",
        # A local template: the stock one loads Google Fonts.
        csp_update(REDOC_POLICY)(
            SpectacularRedocView.as_view(url_name="schema", template_name="shelfmark/redoc.html")
        ),
        name="redoc",
    ),
    path("api-auth/", include(api_auth)),
    re_path(r"^api/", api_not_found),
]

handler400 = "shelfmark.views.bad_request"
handler500 = "shelfmark.views.server_error"
