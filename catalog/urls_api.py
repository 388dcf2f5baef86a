from django.urls import path

from catalog import api

urlpatterns = [
    path("books/", api.BookListApi.as_view(), name="book-list"),
    path("books/<id:pk>/", api.BookDetailApi.as_view(), name="book-detail"),
    path("authors/", api.AuthorListApi.as_view(), name="author-list"),
    path("authors/<id:pk>/", api.AuthorDetailApi.as_view(), name="author-detail"),
    path("subjects/", api.SubjectListApi.as_view(), name="subject-list"),
    path("subjects/<id:pk>/", api.SubjectDetailApi.as_view(), name="subject-detail"),
    path("copies/", api.CopyListApi.as_view(), name="copy-list"),
    path("copies/<id:pk>/", api.CopyDetailApi.as_view(), name="copy-detail"),
]
