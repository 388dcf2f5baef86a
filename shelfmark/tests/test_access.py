"""Who may do what, endpoint by endpoint: the declared access table, checked for real.

Every URL in the URL conf must have a row here (a new endpoint without one fails the first
test), every operation in the OpenAPI schema must be in its row and every row's operations in
the schema, and each row is requested as anonymous, as two patrons (signed-in non-staff
accounts with patron records, A and B), as staff (every catalog and circulation permission) and
as a librarian (staff in the Librarians group, who works the circulation desk). A role the row
allows must get through (no 401/403/405, no 5xx); a role it does not must be refused (401
anonymous, 403 signed in; a website page sends anonymous visitors to its sign-in page instead);
a method the row does not list is a 405.

Objects in detail URLs are made for the requesting user where they are personal (a token), and
belong to patron A where they are a patron's (a loan, a hold, the record itself): patron B
gets a 404 for every method there, as if they did not exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from rest_framework.test import APIClient

from accounts.services import token_create
from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services as circulation
from circulation.models import FineEntry, Patron
from circulation.tests.factories import PatronCategoryFactory, PatronFactory
from stocktake.models import Stocktake

# Who may reach what is decided above the database (permissions, the views' querysets): with both
# databases the table is checked in the SQLite pass, where its 530 cases cost half of what they
# cost on PostgreSQL (the fuzz sends every operation's requests on both).
pytestmark = [pytest.mark.django_db, pytest.mark.any_database]

ANYONE, SIGNED_IN, STAFF, DESK, ADMIN, OWN = (
    "anyone",
    "signed in",
    "staff",
    "desk",
    "admin",
    "own",
)
ROLES = ("anonymous", "patron", "other patron", "staff", "librarian")
ALLOWED = {
    ANYONE: {"anonymous", "patron", "other patron", "staff", "librarian"},
    SIGNED_IN: {"patron", "other patron", "staff", "librarian"},
    STAFF: {"staff", "librarian"},
    # Staff with the circulation rights: the Librarians group has them, and so does "staff".
    DESK: {"staff", "librarian"},
    ADMIN: {"staff"},  # what the Librarians group may only read (patron categories)
    OWN: {"patron", "staff", "librarian"},  # the patron whose data it is (A), and staff
}
# Patron A's data: patron B gets a 404 for it, whatever the method.
PATRON_OWNED = {
    "fine-detail",
    "fine-waive",
    "patron-payments",
    "patron-detail",
    "patron-renew-card",
    "loan-detail",
    "loan-renew",
    "hold-detail",
    "hold-cancel",
}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PUBLIC_READ_STAFF_WRITE = {"GET": ANYONE, "POST": STAFF}
PUBLIC_DETAIL = {"GET": ANYONE, "PUT": STAFF, "PATCH": STAFF, "DELETE": STAFF}

# endpoint (URL name, or namespace for an included app) -> {method: who may}
ACCESS: dict[str, dict[str, str]] = {
    # The website and the project's own pages.
    "home": {"GET": ANYONE},
    "book-page": {"GET": ANYONE},
    "book-cover": {"GET": ANYONE},
    "healthz": {"GET": ANYONE},
    "readyz": {"GET": ANYONE},
    # Prometheus: its bearer token (METRICS_TOKEN) is the credential, whoever is signed in;
    # without the setting (as here) a 404 for everyone (shelfmark/tests/test_observability.py).
    "metrics": {},
    # SRU (protocols): a search of the catalog, by GET or as a POSTed form, for anyone.
    "sru": {"GET": ANYONE, "POST": ANYONE},
    # OAI-PMH (protocols): harvesting the catalog, by GET or a POSTed form, for anyone.
    "oai": {"GET": ANYONE, "POST": ANYONE},
    "library-logo": {"GET": ANYONE},  # settings.LIBRARY_LOGO, shown in every page's header
    "set_language": {"POST": ANYONE},  # the footer's language switcher (Django's set_language)
    "javascript-catalog": {"GET": ANYONE},  # the scripts' translations, on every page
    "admin": {"GET": STAFF},  # Django's admin: its own login, staff only
    "rest_framework": {"GET": ANYONE},  # the browsable API's login page
    # Signing in and passwords: the emailed link's token is the credential.
    "sign-in": {"GET": ANYONE, "POST": ANYONE},
    "sign-out": {"POST": ANYONE},
    "password-reset": {"GET": ANYONE, "POST": ANYONE},
    "password-reset-done": {"GET": ANYONE},
    "password-set": {"GET": ANYONE, "POST": ANYONE},
    "password-set-done": {"GET": ANYONE},
    # Patrons' self-service: each acts on their own rows only (another's is a 404).
    "my-account": {"GET": SIGNED_IN},
    "account-loan-renew": {"POST": SIGNED_IN},
    "account-hold-cancel": {"POST": SIGNED_IN},
    "account-hold-suspend": {"POST": SIGNED_IN},
    "account-calendar": {"POST": SIGNED_IN},
    "account-language": {"POST": SIGNED_IN},
    "book-hold-place": {"POST": SIGNED_IN},
    "calendar-feed": {"GET": ANYONE},  # the URL's secret is the credential
    # The circulation desk.
    "desk-checkout": {"GET": DESK, "POST": DESK},
    "desk-checkin": {"GET": DESK, "POST": DESK},
    "desk-patrons": {"GET": DESK},
    "desk-patron": {"GET": DESK},
    "desk-patron-block": {"POST": DESK},
    "desk-patron-renew-card": {"POST": DESK},
    "desk-patron-expiry": {"POST": DESK},
    "desk-patron-language": {"POST": DESK},
    "desk-patron-renew-all": {"POST": DESK},
    "desk-patron-hold": {"POST": DESK},
    "desk-loan-renew": {"POST": DESK},
    "desk-hold-suspend": {"POST": DESK},
    "desk-hold-cancel": {"POST": DESK},
    "desk-overdue": {"GET": DESK},
    "desk-hold-shelf": {"GET": DESK},
    "desk-hold-slip": {"GET": DESK},
    # Adding books by ISBN (staff who may add books and copies).
    "catalog-add": {"GET": STAFF, "POST": STAFF},
    # Imports on the staff website: staff who may add books and copies (or patrons).
    "import-list": {"GET": STAFF},
    "import-new": {"GET": STAFF, "POST": STAFF},
    "import-detail": {"GET": STAFF},
    "import-progress": {"GET": STAFF},
    "import-report": {"GET": STAFF},
    "import-confirm": {"POST": STAFF},
    "import-cancel": {"POST": STAFF},
    "import-requeue": {"POST": STAFF},
    # API documentation.
    "api-root": {"GET": ANYONE},
    "schema": {"GET": ANYONE},
    "swagger-ui": {"GET": ANYONE},
    "redoc": {"GET": ANYONE},
    # The catalog: anyone reads, staff write.
    "book-list": PUBLIC_READ_STAFF_WRITE,
    "book-detail": PUBLIC_DETAIL,
    "author-list": PUBLIC_READ_STAFF_WRITE,
    "author-detail": PUBLIC_DETAIL,
    "subject-list": PUBLIC_READ_STAFF_WRITE,
    "subject-detail": PUBLIC_DETAIL,
    "copy-list": PUBLIC_READ_STAFF_WRITE,
    "copy-detail": PUBLIC_DETAIL,
    # Tokens: every signed-in user manages their own (staff everyone's).
    "token-list": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    "token-detail": {"DELETE": SIGNED_IN},
    # Circulation: staff with the model permissions; a patron their own records (lists show a
    # patron only their own rows).
    "patron-category-list": {"GET": STAFF, "POST": ADMIN},
    "patron-category-detail": {"GET": STAFF, "PUT": ADMIN, "PATCH": ADMIN, "DELETE": ADMIN},
    "patron-list": {"GET": SIGNED_IN, "POST": DESK},
    "patron-detail": {"GET": OWN, "PATCH": DESK},
    "patron-renew-card": {"POST": DESK},
    "circulation-checkout": {"POST": DESK},
    "circulation-checkin": {"POST": DESK},
    "loan-list": {"GET": SIGNED_IN},
    "loan-detail": {"GET": OWN},
    "loan-renew": {"POST": OWN},
    "hold-list": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    "hold-detail": {"GET": OWN, "PATCH": OWN},
    "hold-cancel": {"POST": OWN},
    "me": {"GET": SIGNED_IN},
    # Fines (on for these checks): staff see and settle them, a patron sees their own.
    "fine-list": {"GET": SIGNED_IN},
    "fine-detail": {"GET": OWN},
    "fine-waive": {"POST": DESK},
    "patron-payments": {"POST": DESK},
    "desk-patron-payment": {"POST": DESK},
    "desk-fine-waive": {"POST": DESK},
    # Imports and exports: staff who may view the catalog.
    "catalog-export": {"GET": STAFF},
    # ISBN lookup, for adding books.
    "isbn-lookup": {"GET": STAFF},
    # Labels: staff who may view copies (the API, and the staff page).
    "labels": {"POST": STAFF},
    "labels-page": {"GET": STAFF, "POST": STAFF},
    # Copy cataloguing (protocols.copycat): Add by ISBN's staff, searching other catalogs.
    "copy-cataloguing": {"GET": STAFF, "POST": STAFF},
    # Stocktakes: staff with the stocktake permissions (the API, and the staff pages).
    "stocktake-list": {"GET": STAFF, "POST": STAFF},
    "stocktake-detail": {"GET": STAFF},
    "stocktake-scan": {"POST": STAFF},
    "stocktake-close": {"POST": STAFF},
    "stocktake-mark-missing": {"POST": STAFF},
    "stocktake-pages": {"GET": STAFF, "POST": STAFF},
    "stocktake-page": {"GET": STAFF},
    "stocktake-page-scan": {"POST": STAFF},
    "stocktake-page-close": {"POST": STAFF},
    "stocktake-page-missing": {"POST": STAFF},
    "stocktake-page-not-seen": {"GET": STAFF},
    # Reports: staff with the permissions each names (the API, and the staff pages).
    "report": {"GET": STAFF},
    "report-pages": {"GET": STAFF},
    "report-page": {"GET": STAFF},
    # Any other path under /api/: a JSON 404 for everyone, whatever the method.
    "^api/": {},
}
# Endpoints outside DRF answer only the methods they serve; the test sends them only those.
NOT_DRF = {
    "home",
    "book-page",
    "book-cover",
    "healthz",
    "readyz",
    "metrics",
    "sru",
    "oai",
    "set_language",
    "javascript-catalog",
    "admin",
    "rest_framework",
    "schema",
    "swagger-ui",
    "redoc",
    "password-set",
    "password-set-done",
    "sign-in",
    "sign-out",
    "password-reset",
    "password-reset-done",
    "my-account",
    "account-loan-renew",
    "account-hold-cancel",
    "account-hold-suspend",
    "account-calendar",
    "account-language",
    "book-hold-place",
    "calendar-feed",
    "desk-checkout",
    "desk-checkin",
    "desk-patrons",
    "desk-patron",
    "desk-patron-block",
    "desk-patron-renew-card",
    "desk-patron-expiry",
    "desk-patron-language",
    "desk-patron-renew-all",
    "desk-patron-hold",
    "desk-loan-renew",
    "desk-hold-suspend",
    "desk-hold-cancel",
    "desk-overdue",
    "desk-hold-shelf",
    "desk-hold-slip",
    "desk-patron-payment",
    "desk-fine-waive",
    "catalog-add",
    "import-list",
    "import-new",
    "import-detail",
    "import-progress",
    "import-report",
    "import-confirm",
    "import-cancel",
    "import-requeue",
    "labels-page",
    "copy-cataloguing",
    "stocktake-pages",
    "stocktake-page",
    "stocktake-page-scan",
    "stocktake-page-close",
    "stocktake-page-missing",
    "stocktake-page-not-seen",
    "report-pages",
    "report-page",
}
# Website pages that send an anonymous visitor to the site's sign-in page (settings.LOGIN_URL).
SIGN_IN_PAGES = {
    name: "/account/sign-in/"
    for name in ACCESS
    if name.startswith(("desk-", "account-", "import-", "stocktake-page", "report-page"))
    or name in ("my-account", "book-hold-place", "catalog-add", "labels-page", "copy-cataloguing")
}
SAMPLE_PATHS = {
    "password-set": "/account/password/set/MQ/not-a-token/",
    "calendar-feed": "/calendar/not-a-known-secret-of-any-patron.ics",
    "admin": "/admin/",
    "rest_framework": "/api-auth/login/",
    "^api/": "/api/v1/nothing/",
    # Not in the catalog, and the tests' Open Library is unreachable (conftest.py): "none".
    "isbn-lookup": "/api/v1/isbn/978-0-14-143951-8/",
    "report": "/api/v1/reports/overdue/",
    "report-page": "/staff/reports/overdue/",
}


def endpoints(patterns: list | None = None) -> Iterator[str]:
    """Every endpoint of the URL conf: URL names, and included apps (admin, DRF's login) whole."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in ("admin", "rest_framework"):
                yield pattern.namespace
            else:
                yield from endpoints(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            yield pattern.name or str(pattern.pattern)


def test_every_endpoint_has_a_row_in_the_access_table():
    found = list(endpoints())
    assert len(found) == len(set(found)), "two patterns share a name"
    missing = set(found) - set(ACCESS)
    assert not missing, f"Add these endpoints to ACCESS (who may use each method): {missing}"
    assert not set(ACCESS) - set(found), "ACCESS lists endpoints that no longer exist"


def test_the_schema_has_exactly_the_operations_of_the_table(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    documented = {}
    for path, operations in schema["paths"].items():
        name = resolve(re.sub(r"\{\w+\}", "1", path)).url_name
        assert name is not None, f"{path} has no URL name"
        documented[name] = {method.upper() for method in operations}
    for name, operations in documented.items():
        assert operations == set(ACCESS[name]), name
    api_rows = {name for name in ACCESS if reverse_sample(name, 1).startswith("/api/v1/")}
    assert api_rows - {"^api/"} == set(documented)


def reverse_sample(name: str, pk: int) -> str:
    if name in SAMPLE_PATHS:
        return SAMPLE_PATHS[name]
    try:
        return reverse(name)
    except Exception:
        return reverse(name, kwargs={"pk": pk})


@pytest.fixture(autouse=True)
def _fines_on(settings):
    """Fines are off by default; their endpoints are checked as a library that charges them."""
    settings.FINES_ENABLED = True


@pytest.fixture
def users(staff_user: User, librarian: User) -> dict[str, User | None]:
    user_model = get_user_model()
    patron_a = user_model.objects.create_user("patron", password="x-long-password")
    patron_b = user_model.objects.create_user("other-patron", password="x-long-password")
    PatronFactory(user=patron_a)
    PatronFactory(user=patron_b)
    return {
        "anonymous": None,
        "patron": patron_a,
        "other patron": patron_b,
        "staff": staff_user,
        "librarian": librarian,
    }


@pytest.fixture
def librarian(db) -> User:
    user = get_user_model().objects.create_user("desk", password="x-long-password", is_staff=True)
    user.groups.add(Group.objects.get(name="Librarians"))
    return user


def sample_object(name: str, user: User | None) -> int:
    """A fresh object for a detail URL (the request may delete it); a token is the user's own."""
    if name == "token-detail":
        owner = user or get_user_model().objects.get_or_create(username="someone")[0]
        return token_create(user=owner, name="access check")[0].pk
    if name.startswith("stocktake-") and name not in ("stocktake-list", "stocktake-pages"):
        return Stocktake.objects.create(name="Access check").pk
    copy = CopyFactory(book=BookFactory(authors=["An Author"], subjects=["A Subject"]))
    patron_a = Patron.objects.get(user__username="patron")
    if name in ("fine-detail", "fine-waive", "desk-fine-waive"):
        loan = circulation.loan_checkout(card_number=patron_a.card_number, barcode=copy.barcode)
        return FineEntry.objects.create(patron=patron_a, loan=loan, kind="charge", amount=1).pk
    if name == "patron-payments":
        return patron_a.pk
    if name in ("loan-detail", "loan-renew"):
        return circulation.loan_checkout(card_number=patron_a.card_number, barcode=copy.barcode).pk
    if name in ("hold-detail", "hold-cancel"):
        return circulation.hold_place(patron=patron_a, book=BookFactory()).pk
    if name.startswith("desk-patron"):
        return PatronFactory().pk
    if name == "desk-loan-renew":
        return circulation.loan_checkout(card_number=patron_a.card_number, barcode=copy.barcode).pk
    if name in ("desk-hold-suspend", "desk-hold-cancel"):
        return circulation.hold_place(patron=patron_a, book=BookFactory()).pk
    return {
        "patron-detail": patron_a.pk,
        "patron-renew-card": patron_a.pk,
        "patron-category-detail": PatronCategoryFactory(name=f"Category {copy.pk}").pk,
        "book-hold-place": copy.book.pk,
        "book-detail": copy.book.pk,
        "book-page": copy.book.pk,
        "book-cover": copy.book.pk,
        "copy-detail": copy.pk,
        "author-detail": copy.book.authors.get().pk,
        "subject-detail": copy.book.subjects.get().pk,
    }.get(name, 0)


@pytest.mark.parametrize("endpoint", sorted(ACCESS))
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_table_says(endpoint, role, users):
    client = APIClient()
    if users[role] is not None:
        client.force_login(users[role])
    methods = list(ACCESS[endpoint]) if endpoint in NOT_DRF else METHODS
    for method in methods:
        url = reverse_sample(endpoint, sample_object(endpoint, users[role]))
        response = client.generic(method, url, "{}", content_type="application/json")
        status = response.status_code
        who = ACCESS[endpoint].get(method)
        context = (endpoint, method, role, status)
        if endpoint == "^api/":
            assert status == 404, context
        elif who is None:
            assert status == 405, context
        elif endpoint in PATRON_OWNED and role == "other patron":
            assert status == 404, context
        elif role in ALLOWED[who]:
            assert status not in (401, 403, 405), context
            assert status < 500, context
        elif endpoint == "admin":  # its own sign-in page, for whoever is not staff
            assert status == 302, context
            assert "/admin/login/" in response["Location"], context
        elif role == "anonymous" and endpoint in SIGN_IN_PAGES:
            assert status == 302, context
            assert response["Location"].startswith(SIGN_IN_PAGES[endpoint] + "?next="), context
        else:
            assert status == (401 if role == "anonymous" else 403), context
