"""The staff stocktake pages, included under /staff/stocktake/ by shelfmark/urls.py."""

from django.urls import path

from stocktake import views

urlpatterns = [
    path("", views.stocktake_list, name="stocktake-pages"),
    path("<int:pk>/", views.stocktake_page, name="stocktake-page"),
    path("<int:pk>/scan/", views.stocktake_scan, name="stocktake-page-scan"),
    path("<int:pk>/close/", views.stocktake_close, name="stocktake-page-close"),
    path("<int:pk>/mark-missing/", views.stocktake_mark_missing, name="stocktake-page-missing"),
    path("<int:pk>/not-seen.csv", views.stocktake_not_seen_csv, name="stocktake-page-not-seen"),
]
