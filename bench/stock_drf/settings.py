"""Stock DRF, written the tutorial way, on Shelfmark's database: the "x stock DRF" column of
./scripts/bench. A ModelSerializer with ``fields = "__all__"``, a ListAPIView with page-number
paging and SearchFilter, a RetrieveAPIView: what a first DRF version of this app looks like.
Unmanaged models over Shelfmark's tables (no migrations of its own). Production-style settings:
DEBUG off, no sessions or templates beyond DRF's JSON renderer."""

import os

import environ

SECRET_KEY = os.environ.get("SECRET_KEY", "bench-only")
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "bench.stock_drf.stockapp",
]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "bench.stock_drf.urls"
DATABASES = {
    "default": {**environ.Env.db_url_config(os.environ["DATABASE_URL"]), "CONN_MAX_AGE": 60}
}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
REST_FRAMEWORK = {
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
}
