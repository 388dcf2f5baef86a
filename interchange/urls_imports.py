"""The staff website's import pages, included under /staff/imports/ by shelfmark/urls.py."""

from django.urls import path

from interchange.views import imports

urlpatterns = [
    path("", imports.import_list, name="import-list"),
    path("new/", imports.import_new, name="import-new"),
    path("<int:pk>/", imports.import_detail, name="import-detail"),
    path("<int:pk>/progress/", imports.import_progress, name="import-progress"),
    path("<int:pk>/errors.csv", imports.import_report, name="import-report"),
    path("<int:pk>/confirm/", imports.import_confirm, name="import-confirm"),
    path("<int:pk>/cancel/", imports.import_cancel, name="import-cancel"),
    path("<int:pk>/run-again/", imports.import_requeue, name="import-requeue"),
]
