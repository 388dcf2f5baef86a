"""The staff labels page, included under /staff/labels/ by shelfmark/urls.py."""

from django.urls import path

from labels import views

urlpatterns = [path("", views.labels_page, name="labels-page")]
