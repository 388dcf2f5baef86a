"""Staff write the catalog through the API with the model permissions the admin asks for."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from catalog.models import Book
from catalog.tests.factories import BookFactory
from shelfmark.tests.helpers import assert_error

pytestmark = pytest.mark.django_db


def staff_with(*codenames: str) -> APIClient:
    user = get_user_model().objects.create_user("clerk", password="x-long-password", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_staff_without_model_permissions_cannot_write():
    client = staff_with()
    book = BookFactory(title="Kept")

    created = client.post("/api/v1/books/", {"title": "New"})
    changed = client.patch(f"/api/v1/books/{book.pk}/", {"title": "Changed"})
    deleted = client.delete(f"/api/v1/books/{book.pk}/")

    assert "catalog.add_book" in assert_error(created, 403, "permission_denied")["message"]
    assert "catalog.change_book" in assert_error(changed, 403, "permission_denied")["message"]
    assert "catalog.delete_book" in assert_error(deleted, 403, "permission_denied")["message"]
    assert list(Book.objects.values_list("title", flat=True)) == ["Kept"]
    assert client.get(f"/api/v1/books/{book.pk}/").status_code == 200  # reading needs none


def test_each_permission_opens_its_own_operation_only():
    client = staff_with("add_book", "add_author")
    book = BookFactory(title="Kept")

    assert (
        client.post("/api/v1/books/", {"title": "New", "authors": ["New Author"]}).status_code
        == 201
    )
    assert client.delete(f"/api/v1/books/{book.pk}/").status_code == 403
    assert client.post("/api/v1/subjects/", {"name": "Poetry"}).status_code == 403


def test_a_superuser_needs_no_explicit_permissions():
    client = APIClient()
    client.force_authenticate(get_user_model().objects.create_superuser("boss", password="x"))
    assert client.post("/api/v1/books/", {"title": "New"}).status_code == 201
