import json

import pytest
from django.urls import reverse

from catalog.models import Book, CopyStatus
from catalog.serializers import BookSerializer
from catalog.tests.factories import BookFactory, CopyFactory

pytestmark = pytest.mark.django_db

BOOKS = "/api/v1/books/"


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def titles(response) -> list[str]:
    return [book["title"] for book in results(response)]


@pytest.fixture
def catalog():
    pride = BookFactory(
        title="Pride and Prejudice",
        authors=["Jane Austen"],
        isbn="9780141439518",
        year=1813,
        subjects=["Romance", "Fiction"],
    )
    emma = BookFactory(title="Emma", authors=["Jane Austen"], isbn="", year=1815, language="en")
    manifesto = BookFactory(
        title="The Communist Manifesto",
        authors=["Karl Marx", "Friedrich Engels"],
        year=1848,
        language="de",
        subjects=["Politics"],
    )
    bronte = BookFactory(title="Jane Eyre", authors=["Charlotte Brontë"], year=None)
    CopyFactory(book=pride, status=CopyStatus.AVAILABLE)
    CopyFactory(book=pride, status=CopyStatus.ON_LOAN)
    CopyFactory(book=emma, status=CopyStatus.LOST)
    return {"pride": pride, "emma": emma, "manifesto": manifesto, "bronte": bronte}


def test_list_keeps_tutorial_fields_and_documents_every_field(api_client, catalog):
    body = results(api_client.get(BOOKS))
    pride = next(book for book in body if book["title"] == "Pride and Prejudice")
    assert pride["subtitle"] == ""
    assert pride["author"] == "Jane Austen"
    assert pride["isbn"] == "9780141439518"
    assert pride["authors"] == [{"id": catalog["pride"].authors.get().pk, "name": "Jane Austen"}]
    assert [s["name"] for s in pride["subjects"]] == ["Fiction", "Romance"]
    assert (pride["copies_total"], pride["copies_available"]) == (2, 1)
    assert pride["url"] == "http://testserver" + reverse("book-detail", args=[pride["id"]])
    # The documented serializer and the rendered rows never drift apart.
    assert set(pride) == set(BookSerializer().fields)


def test_several_authors_are_one_display_string_in_order(api_client, catalog):
    manifesto = api_client.get(f"{BOOKS}{catalog['manifesto'].pk}/").json()
    assert manifesto["author"] == "Karl Marx, Friedrich Engels"
    assert [a["name"] for a in manifesto["authors"]] == ["Karl Marx", "Friedrich Engels"]


def test_default_order_is_by_title(api_client, catalog):
    assert titles(api_client.get(BOOKS)) == [
        "Emma",
        "Jane Eyre",
        "Pride and Prejudice",
        "The Communist Manifesto",
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("pride", ["Pride and Prejudice"]),
        ("austen", ["Emma", "Pride and Prejudice"]),
        ("AUSTEN prejudice", ["Pride and Prejudice"]),
        ("engels", ["The Communist Manifesto"]),
        ("bronte", ["Jane Eyre"]),  # accents are ignored
        ("9780141439518", ["Pride and Prejudice"]),
        ("978-0-14-143951-8", ["Pride and Prejudice"]),
        ("0-14-143951-3", ["Pride and Prejudice"]),  # as ISBN-10
        ("014143951", ["Pride and Prejudice"]),  # part of an ISBN
        # Ranked: the title's word before the author's (then by title). Was title order.
        ("jane", ["Jane Eyre", "Emma", "Pride and Prejudice"]),
        ("nothing-like-this", []),
    ],
)
def test_search(api_client, catalog, query, expected):
    assert titles(api_client.get(BOOKS, {"q": query})) == expected


def test_filters(api_client, catalog):
    austen = catalog["pride"].authors.get()
    assert titles(api_client.get(BOOKS, {"author": austen.pk})) == ["Emma", "Pride and Prejudice"]
    assert titles(api_client.get(BOOKS, {"author": "karl marx"})) == ["The Communist Manifesto"]
    assert titles(api_client.get(BOOKS, {"subject": "romance"})) == ["Pride and Prejudice"]
    assert titles(api_client.get(BOOKS, {"language": "DE"})) == ["The Communist Manifesto"]
    assert titles(api_client.get(BOOKS, {"year_min": 1814, "year_max": 1850})) == [
        "Emma",
        "The Communist Manifesto",
    ]
    assert titles(api_client.get(BOOKS, {"available": "true"})) == ["Pride and Prejudice"]
    assert titles(api_client.get(BOOKS, {"available": "false"})) == [
        "Emma",  # its only copy is lost
        "Jane Eyre",
        "The Communist Manifesto",
    ]


def test_ordering_whitelist(api_client, catalog):
    assert titles(api_client.get(BOOKS, {"ordering": "-year"}))[0] == "Jane Eyre"  # no year: last
    assert titles(api_client.get(BOOKS, {"ordering": "year"})) == [
        "Pride and Prejudice",
        "Emma",
        "The Communist Manifesto",
        "Jane Eyre",
    ]
    assert titles(api_client.get(BOOKS, {"ordering": "-title"}))[0] == "The Communist Manifesto"
    response = api_client.get(BOOKS, {"ordering": "isbn"})
    assert response.status_code == 400
    assert "ordering" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    "ordering", ["title", "-title", "year", "-year", "created", "-created", "updated", "-updated"]
)
def test_cursor_pages_walk_every_book_once_forwards_and_back(api_client, ordering):
    # Many ties on every ordering column: the cursor must position on the whole (column, id)
    # tuple, not on the first column (DRF's own cursor repeats pages past 1000 ties).
    for n in range(40):
        BookFactory(title=f"Same Title {n % 3}", year=None if n % 4 == 0 else 1900 + n % 2)

    pages, url = [], f"{BOOKS}?page_size=6&ordering={ordering}"
    while url:
        body = api_client.get(url).json()
        pages.append([book["id"] for book in body["results"]])
        last_previous, url = body["previous"], body["next"]
    forwards = [book_id for page in pages for book_id in page]
    assert sorted(forwards) == sorted(Book.objects.values_list("pk", flat=True))
    assert len(forwards) == len(set(forwards)) == 40
    assert len(pages) == 7

    backwards, url = [pages[-1]], last_previous
    while url:
        body = api_client.get(url).json()
        backwards.insert(0, [book["id"] for book in body["results"]])
        url = body["previous"]
    assert backwards == pages  # the same pages, read back from the end


def test_cursor_pages_past_a_thousand_ties(api_client):
    # DRF's offset-based cursor caps its tie offset at 1000 and then repeats pages forever.
    Book.objects.bulk_create(Book(title="Untitled") for _ in range(1150))
    seen, url, requests = set(), f"{BOOKS}?page_size=100", 0
    while url:
        body = api_client.get(url).json()
        seen.update(book["id"] for book in body["results"])
        url, requests = body["next"], requests + 1
        assert requests <= 12
    assert len(seen) == 1150


def test_cursor_survives_rows_inserted_before_it(api_client):
    for n in range(6):
        BookFactory(title=f"Title {n}")
    first = api_client.get(BOOKS, {"page_size": 3}).json()
    BookFactory(title="A new first book")  # sorts before everything already seen
    second = api_client.get(first["next"]).json()
    assert [b["title"] for b in second["results"]] == ["Title 3", "Title 4", "Title 5"]


def test_pages_never_count_the_catalog(api_client, catalog, django_assert_max_num_queries):
    with django_assert_max_num_queries(5) as context:
        api_client.get(BOOKS)
    assert not [q for q in context.captured_queries if q["sql"].upper().startswith("SELECT COUNT(")]


@pytest.mark.parametrize("page_size", [1, 10, 100])
def test_list_query_count_is_fixed_whatever_the_page_size(
    api_client, django_assert_num_queries, page_size
):
    for n in range(30):
        book = BookFactory(authors=[f"Writer {n}", "Common Co-Author"], subjects=["S1", f"S{n}"])
        CopyFactory(book=book)
    # The spelling vocabulary's count of "writer*" and its near words (catalog.search.spelling:
    # "writer" is in under 50 books, so search looks for a likelier spelling); the page,
    # authors, subjects; and the holds waiting, which circulation adds to every book
    # (catalog.extensions).
    with django_assert_num_queries(7):
        response = api_client.get(BOOKS, {"page_size": page_size, "q": "writer"})
    assert len(response.json()["results"]) == min(page_size, 30)


def test_detail_query_count_and_404(api_client, catalog, django_assert_num_queries):
    with django_assert_num_queries(5):  # the book, copy counts, authors, subjects; the holds
        response = api_client.get(f"{BOOKS}{catalog['pride'].pk}/")
    assert response.json()["title"] == "Pride and Prejudice"
    missing = api_client.get(f"{BOOKS}999999/")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


# --- Writes ---------------------------------------------------------------------------------


def test_anonymous_and_non_staff_cannot_write(api_client, patron_client, catalog):
    payload = {"title": "Sneaky"}
    assert api_client.post(BOOKS, payload).status_code == 401
    assert patron_client.post(BOOKS, payload).status_code == 403
    url = f"{BOOKS}{catalog['emma'].pk}/"
    assert api_client.patch(url, payload).status_code == 401
    assert patron_client.patch(url, payload).status_code == 403
    assert patron_client.put(url, payload).status_code == 403
    assert patron_client.delete(url).status_code == 403
    assert not Book.objects.filter(title="Sneaky").exists()


def test_staff_create_with_authors_by_name_and_id(staff_client, catalog):
    austen = catalog["pride"].authors.get()
    response = staff_client.post(
        BOOKS,
        {
            "title": "Lady Susan",
            "subtitle": "A novella",
            "authors": [austen.pk, "A. Editor"],
            "isbn": "0-306-40615-2",
            "year": 1871,
            "language": "en",
            "subjects": ["Epistolary fiction"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == body["url"]
    assert body["isbn"] == "9780306406157"
    assert body["author"] == "Jane Austen, A. Editor"
    assert [s["name"] for s in body["subjects"]] == ["Epistolary fiction"]
    assert (body["copies_total"], body["copies_available"]) == (0, 0)


def test_tutorial_style_single_author_write(staff_client):
    response = staff_client.post(BOOKS, {"title": "Walden", "author": "Henry David Thoreau"})
    assert response.status_code == 201
    assert response.json()["author"] == "Henry David Thoreau"
    both = staff_client.post(BOOKS, {"title": "X", "author": "A", "authors": ["B"]})
    assert both.status_code == 400
    assert "author" in both.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("payload", "field", "fragment"),
    [
        ({"title": "T", "isbn": "0-306-40615-3"}, "isbn", "check digit"),
        ({"title": "T", "isbn": "12345"}, "isbn", "10 or 13 digits"),
        ({"title": "T", "isbn": "abcdefghij"}, "isbn", "not a number"),
        ({"title": ""}, "title", ""),
        ({}, "title", "required"),
        ({"title": "T", "year": 99999}, "year", ""),
        ({"title": "T", "year": "soon"}, "year", ""),
        ({"title": "T", "pages": 0}, "pages", ""),
        ({"title": "T", "language": "english"}, "language", ""),
        ({"title": "T", "authors": "Jane Austen"}, "authors", ""),
        ({"title": "T", "authors": [True]}, "authors", "Give an id"),
        ({"title": 7}, "title", "Not a valid string"),
        ({"title": "T", "authors": ["a\ud800b"]}, "authors", "Surrogate"),
        ({"title": "T", "authors": ["a\x00b"]}, "authors", "Null characters"),
        ({"title": "T", "subjects": ["\udfff"]}, "subjects", "Surrogate"),
        ({"title": "a\ud800"}, "title", "Surrogate"),
        ({"title": "T", "isbn": "\x00"}, "isbn", ""),
        ({"title": "T", "authors": [99999999999999999999999]}, "authors", ""),
        ({"title": "T", "authors": [{"name": "x"}]}, "authors", ""),
        ({"title": "T", "authors": [424242]}, "authors", "No author with id 424242"),
        ({"title": "T" * 501}, "title", ""),
    ],
)
def test_bad_input_gets_field_errors(staff_client, payload, field, fragment):
    # Raw JSON, ASCII-escaped as clients send it, so lone surrogates ("\ud800") get through.
    response = staff_client.post(BOOKS, json.dumps(payload), content_type="application/json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    # List items are reported under dotted paths ("authors.0"): one flat level of fields.
    messages = [m for key, ms in error["fields"].items() if key.split(".")[0] == field for m in ms]
    assert messages
    assert all(isinstance(m, str) for m in messages)
    assert fragment in " ".join(messages)
    assert not Book.objects.exists()


def test_duplicate_isbn_is_409_naming_the_field(staff_client, catalog):
    response = staff_client.post(BOOKS, {"title": "Again", "isbn": "0141439513"})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "duplicate_isbn"
    assert "isbn" in error["fields"]


def test_patch_changes_only_given_fields(staff_client, catalog):
    url = f"{BOOKS}{catalog['emma'].pk}/"
    response = staff_client.patch(url, {"subtitle": "A Novel", "isbn": "9780306406157"})
    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["subtitle"], body["isbn"]) == ("Emma", "A Novel", "9780306406157")
    assert body["author"] == "Jane Austen"


def test_put_replaces_the_book_and_resets_what_it_leaves_out(staff_client, catalog):
    url = f"{BOOKS}{catalog['pride'].pk}/"
    assert staff_client.put(url, {"subtitle": "no title"}).status_code == 400
    response = staff_client.put(url, {"title": "Pride and Prejudice", "year": 1813})
    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["year"]) == ("Pride and Prejudice", 1813)
    assert (body["author"], body["authors"], body["subjects"]) == ("", [], [])
    assert (body["isbn"], body["publisher"], body["language"]) == (None, "", "")
    assert body["copies_total"] == 2  # copies are not part of the book's fields


def test_put_on_a_copy_resets_its_fields_but_keeps_its_status(staff_client, catalog):
    copy = catalog["pride"].copies.get(status="on_loan")
    url = f"/api/v1/copies/{copy.pk}/"
    body = {"barcode": copy.barcode, "book": catalog["pride"].pk}
    response = staff_client.put(url, body)
    assert response.status_code == 200
    assert (response.json()["location"], response.json()["status"]) == ("", "on_loan")


def test_delete(staff_client, catalog):
    assert staff_client.delete(f"{BOOKS}{catalog['pride'].pk}/").status_code == 409  # has copies
    assert staff_client.delete(f"{BOOKS}{catalog['manifesto'].pk}/").status_code == 204
    assert staff_client.delete(f"{BOOKS}{catalog['manifesto'].pk}/").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"page_size": "0"},
        {"page_size": "101"},
        {"page_size": "99999999999999999999999"},
        {"page_size": "ten"},
        {"page_size": "²"},
        {"year_min": "99999999999999999999"},
        {"year_min": "1e5"},
        {"available": "maybe"},
        {"cursor": "not-a-cursor"},
        {"q": "x" * 201},
    ],
)
def test_bad_list_parameters_are_4xx_json(api_client, query):
    response = api_client.get(BOOKS, query)
    assert 400 <= response.status_code < 500
    assert "error" in response.json()


@pytest.mark.parametrize("path", ["99999999999999999999/", "abc/", "-1/", "1.5/"])
def test_forged_ids_are_404_json(api_client, path):
    response = api_client.get(BOOKS + path)
    assert response.status_code == 404
    assert response.json()["error"]["status"] == 404


def test_huge_author_or_subject_ids_in_filters_do_not_crash(api_client, catalog):
    for name in ("author", "subject"):
        response = api_client.get(BOOKS, {name: "9" * 30})
        assert response.status_code == 200
        assert response.json()["results"] == []


def test_browsable_api_renders_for_staff_with_an_input_form(staff_client, catalog):
    page = staff_client.get(BOOKS, HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Pride and Prejudice" in html
    # The raw-data POST form (the API takes JSON only) starts from the input fields.
    form = html[html.index('id="post-generic-content-form"') :]
    form = form[: form.index("</form>")]
    assert "&quot;isbn&quot;" in form
    assert "copies_total" not in form
    detail = staff_client.get(f"{BOOKS}{catalog['emma'].pk}/", HTTP_ACCEPT="text/html")
    assert detail.status_code == 200


def test_a_bad_book_hears_every_problem_in_the_rules_own_words(staff_client):
    response = staff_client.post(
        BOOKS,
        {"title": " ", "isbn": "978-0-14-143951-9", "year": 20233, "language": "english"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "title": ["A book needs a title."],
        "isbn": ["'978-0-14-143951-9' has a wrong check digit: check it was typed correctly."],
        "year": ["The publication year must be from -3000 to 2100; 20233 is not."],
        "language": [
            "'english' is not an ISO 639 language code (two or three letters, e.g. 'en')."
        ],
    }
    assert not Book.objects.exists()
