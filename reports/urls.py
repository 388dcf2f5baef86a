"""The staff reports pages, included under /staff/reports/ by shelfmark/urls.py."""

from django.urls import path

from reports import views

urlpatterns = [
    path("", views.report_list, name="report-pages"),
    path("<str:name>/", views.report_page, name="report-page"),
]
