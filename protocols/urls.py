from django.urls import path

from protocols import views

urlpatterns = [
    path("", views.sru_endpoint, name="sru"),
]
