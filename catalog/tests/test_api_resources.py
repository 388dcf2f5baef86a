"""Authors, subjects and copies: the same contract as books."""

import pytest

from catalog.models import Author, Copy, CopyStatus, Subject
from catalog.serializers import AuthorSerializer, CopySerializer, SubjectSerializer
from catalog.tests.factories import BookFactory, CopyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf():
    book = BookFactory(title="Dracula", authors=["Bram Stoker"], subjects=["Horror"])
    other = BookFactory(title="Carmilla", authors=["Sheridan Le Fanu"], subjects=["Horror"])
    CopyFactory(book=book, barcode="C-1")
    CopyFactory(book=book, barcode="C-2", status=CopyStatus.ON_LOAN)
    CopyFactory(book=other, barcode="C-3")
    return book


@pytest.mark.parametrize(
    ("url", "serializer", "queries"),
    [
        # The page, and its book counts in one grouped query.
        ("/api/v1/authors/", AuthorSerializer, 2),
        ("/api/v1/subjects/", SubjectSerializer, 2),
        ("/api/v1/copies/", CopySerializer, 1),
    ],
)
def test_lists_render_documented_fields_in_fixed_queries(
    api_client, shelf, django_assert_num_queries, url, serializer, queries
):
    with django_assert_num_queries(queries):
        body = api_client.get(url).json()
    assert body["results"]
    assert {frozenset(row) for row in body["results"]} == {frozenset(serializer().fields)}
    first = body["results"][0]
    with django_assert_num_queries(queries):
        assert api_client.get(first["url"]).json() == first


def test_author_list_counts_books_and_searches(api_client, shelf):
    body = api_client.get("/api/v1/authors/", {"q": "stok"}).json()["results"]
    assert [(a["name"], a["sort_name"], a["book_count"]) for a in body] == [
        ("Bram Stoker", "Stoker, Bram", 1)
    ]


def test_subject_list_counts_books(api_client, shelf):
    body = api_client.get("/api/v1/subjects/").json()["results"]
    assert [(s["name"], s["book_count"]) for s in body] == [("Horror", 2)]


def test_copy_filters(api_client, shelf):
    def barcodes(**params):
        return [c["barcode"] for c in api_client.get("/api/v1/copies/", params).json()["results"]]

    assert barcodes(book=shelf.pk) == ["C-1", "C-2"]
    assert barcodes(status="on_loan") == ["C-2"]
    assert barcodes(barcode="C-3") == ["C-3"]
    assert api_client.get("/api/v1/copies/", {"status": "stolen"}).status_code == 400
    assert api_client.get("/api/v1/copies/", {"book": "9" * 25}).status_code == 400


def test_copy_rows_name_their_book(api_client, shelf):
    row = api_client.get("/api/v1/copies/", {"barcode": "C-1"}).json()["results"][0]
    assert (row["book"], row["book_title"], row["status"]) == (shelf.pk, "Dracula", "available")


def test_staff_crud_on_authors(staff_client, shelf):
    created = staff_client.post("/api/v1/authors/", {"name": "Mary Shelley"})
    assert created.status_code == 201
    assert created.json()["sort_name"] == "Shelley, Mary"
    url = created.json()["url"]
    assert staff_client.post("/api/v1/authors/", {"name": "mary shelley"}).status_code == 409
    assert staff_client.patch(url, {"sort_name": "Shelley, Mary W."}).json()["sort_name"] == (
        "Shelley, Mary W."
    )
    assert staff_client.delete(url).status_code == 204
    stoker = Author.objects.get(name="Bram Stoker")
    response = staff_client.delete(f"/api/v1/authors/{stoker.pk}/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "in_use"


def test_staff_crud_on_subjects(staff_client, shelf):
    created = staff_client.post("/api/v1/subjects/", {"name": "Gothic"})
    assert created.status_code == 201
    url = created.json()["url"]
    assert staff_client.put(url, {"name": "Gothic fiction"}).json()["name"] == "Gothic fiction"
    assert staff_client.post("/api/v1/subjects/", {"name": "horror"}).status_code == 409
    horror = Subject.objects.get(name="Horror")
    assert staff_client.delete(f"/api/v1/subjects/{horror.pk}/").status_code == 204
    assert not shelf.subjects.exists()


def test_staff_crud_on_copies(staff_client, shelf):
    created = staff_client.post(
        "/api/v1/copies/",
        {"barcode": "C-9", "book": shelf.pk, "location": "Stacks", "acquired_on": "2024-02-29"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["acquired_on"], body["book_title"]) == (
        "available",
        "2024-02-29",
        "Dracula",
    )
    patched = staff_client.patch(body["url"], {"status": "damaged"})
    assert patched.json()["status"] == "damaged"
    assert staff_client.patch(body["url"], {"barcode": "C-1"}).status_code == 409
    assert staff_client.delete(body["url"]).status_code == 204
    assert not Copy.objects.filter(barcode="C-9").exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"barcode": "N1", "book": 987654}, "book"),
        ({"barcode": "N1"}, "book"),
        ({"barcode": "", "book": 1}, "barcode"),
        ({"barcode": "N1", "book": 1, "status": "borrowed"}, "status"),
        ({"barcode": "N1", "book": 1, "acquired_on": "2024-02-30"}, "acquired_on"),
        ({"barcode": "has space", "book": "BOOK"}, "book"),
    ],
)
def test_copy_bad_input(staff_client, shelf, payload, field):
    response = staff_client.post("/api/v1/copies/", payload)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert Copy.objects.count() == 3


@pytest.mark.parametrize("url", ["/api/v1/authors/", "/api/v1/subjects/", "/api/v1/copies/"])
def test_resources_need_staff_to_write(api_client, patron_client, url):
    assert api_client.post(url, {"name": "x"}).status_code == 401
    assert patron_client.post(url, {"name": "x"}).status_code == 403


# --- Statuses that belong to circulation ---------------------------------------------------------


@pytest.mark.parametrize("status", ["on_loan", "on_hold_shelf"])
def test_staff_cannot_set_a_circulation_status_through_the_api(staff_client, shelf, status):
    copy = Copy.objects.get(barcode="C-1")
    response = staff_client.patch(f"/api/v1/copies/{copy.pk}/", {"status": status})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "status_owned_by_circulation"
    assert "circulation" in error["fields"]["status"][0]
    created = staff_client.post(
        "/api/v1/copies/", {"barcode": "C-8", "book": shelf.pk, "status": status}
    )
    assert created.status_code == 409
    copy.refresh_from_db()
    assert copy.status == "available"
    assert not Copy.objects.filter(barcode="C-8").exists()


def test_staff_cannot_take_a_copy_off_loan_through_the_api(staff_client, shelf):
    on_loan = Copy.objects.get(barcode="C-2")
    url = f"/api/v1/copies/{on_loan.pk}/"
    for body in ({"status": "available"}, {"status": "lost"}):
        response = staff_client.patch(url, body)
        assert response.status_code == 409, response.content
        assert response.json()["error"]["code"] == "status_owned_by_circulation"
    assert staff_client.delete(url).status_code == 409
    # Its shelf may still change, and a PUT that leaves the status out keeps it.
    assert staff_client.patch(url, {"location": "Returns trolley"}).status_code == 200
    on_loan.refresh_from_db()
    assert (on_loan.status, on_loan.location) == ("on_loan", "Returns trolley")
