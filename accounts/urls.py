from django.urls import path

from accounts import api

urlpatterns = [
    path("tokens/", api.ApiTokenListCreateApi.as_view(), name="token-list"),
    path("tokens/<id:pk>/", api.ApiTokenDetailApi.as_view(), name="token-detail"),
]
