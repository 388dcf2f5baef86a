"""The stocktakes API under /api/v1/."""

from django.urls import path

from stocktake import api

urlpatterns = [
    path("stocktakes/", api.StocktakeListApi.as_view(), name="stocktake-list"),
    path("stocktakes/<int:pk>/", api.StocktakeDetailApi.as_view(), name="stocktake-detail"),
    path("stocktakes/<int:pk>/scans/", api.StocktakeScanApi.as_view(), name="stocktake-scan"),
    path("stocktakes/<int:pk>/close/", api.StocktakeCloseApi.as_view(), name="stocktake-close"),
    path(
        "stocktakes/<int:pk>/mark-missing/",
        api.StocktakeMarkMissingApi.as_view(),
        name="stocktake-mark-missing",
    ),
]
