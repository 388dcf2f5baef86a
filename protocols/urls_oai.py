from django.urls import path

from protocols import views

urlpatterns = [
    path("", views.oai_endpoint, name="oai"),
]
