from django.urls import path

from catalog import views

urlpatterns = [
    path("", views.book_list, name="home"),
    path("books/<id:pk>/", views.book_detail, name="book-page"),
    path("books/<id:pk>/cover", views.book_cover, name="book-cover"),
]
