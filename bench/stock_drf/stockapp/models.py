"""Shelfmark's catalog tables as a tutorial would model them (unmanaged: Shelfmark owns them)."""

from __future__ import annotations

from django.db import models


class Author(models.Model):  # noqa: DJ008  (the tutorial has no __str__ either)
    name = models.CharField(max_length=255)

    class Meta:
        managed = False
        db_table = "catalog_author"


class Subject(models.Model):  # noqa: DJ008  (the tutorial has no __str__ either)
    name = models.CharField(max_length=255)

    class Meta:
        managed = False
        db_table = "catalog_subject"


class Book(models.Model):  # noqa: DJ008  (the tutorial has no __str__ either)
    title = models.CharField(max_length=500)
    subtitle = models.CharField(max_length=500, blank=True)
    authors = models.ManyToManyField(Author, through="BookAuthor")
    isbn = models.CharField(max_length=13, null=True)  # noqa: DJ001
    publisher = models.CharField(max_length=255, blank=True)
    year = models.IntegerField(null=True)
    language = models.CharField(max_length=3, blank=True)
    pages = models.PositiveIntegerField(null=True)
    description = models.TextField(blank=True)
    subjects = models.ManyToManyField(Subject, db_table="catalog_book_subjects")
    objects = (
        models.Manager()
    )  # declared for the type checker (the stock app is not in its settings)

    class Meta:
        managed = False
        db_table = "catalog_book"
        ordering = ["title", "id"]


class BookAuthor(models.Model):  # noqa: DJ008  (the tutorial has no __str__ either)
    book = models.ForeignKey(Book, on_delete=models.DO_NOTHING)
    author = models.ForeignKey(Author, on_delete=models.DO_NOTHING)
    position = models.PositiveSmallIntegerField()

    class Meta:
        managed = False
        db_table = "catalog_bookauthor"
