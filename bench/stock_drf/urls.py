from django.urls import path

from bench.stock_drf.stockapp import views

urlpatterns = [
    path("api/books/", views.BookList.as_view()),
    path("api/books/<int:pk>/", views.BookDetail.as_view()),
]
