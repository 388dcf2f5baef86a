"""Content-Security-Policy (django-csp; settings.CONTENT_SECURITY_POLICY, the docs' policies in
shelfmark/urls.py, DRF's pages in shelfmark/api/renderers.py) on every kind of page.

Two halves: the header each page gets, and the page's HTML, which must need nothing the header
does not allow (no inline script or event handler anywhere; no inline style where the policy has
none). A browser enforces the header; the HTML checks stand in for one here. (Both docs pages and
the rest were also checked once by hand in headless Chromium: no violations but ReDoc's request
for Redocly's logo from their CDN, refused on purpose.)
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from unittest import mock

import pytest
from django.test import Client

from catalog.tests.factories import BookFactory

pytestmark = pytest.mark.django_db

HEADER = "Content-Security-Policy"
SITE_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def policy(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy as {directive: [sources]}."""
    assert HEADER in response, f"no {HEADER} header"
    directives: dict[str, list[str]] = {}
    for part in response[HEADER].split(";"):
        name, *sources = part.split()
        assert name not in directives, f"{name} twice"
        directives[name] = sources
    return directives


def site_policy_with(**extra: list[str]) -> dict[str, list[str]]:
    expected = {name: list(sources) for name, sources in SITE_POLICY.items()}
    for name, sources in extra.items():
        expected.setdefault(name.replace("_", "-"), []).extend(sources)
    return expected


class InlineCode(HTMLParser):
    """What in a page a policy without 'unsafe-inline' refuses: inline scripts (not data
    blocks), event handler attributes, javascript: URLs, <style> elements, style attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.handlers: list[str] = []
        self.style_elements = 0
        self.style_attributes = 0
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.handlers.append(f"<{tag} {name}={value!r}>")
        if "style" in attributes:
            self.style_attributes += 1
        if tag == "style":
            self.style_elements += 1
        executable = attributes.get("type") in (None, "", "text/javascript", "module")
        self._in_inline_script = tag == "script" and "src" not in attributes and executable

    def handle_data(self, data: str) -> None:
        if self._in_inline_script and data.strip():
            self.scripts.append(data.strip()[:80])

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline_script = False


def inline_code(response) -> InlineCode:
    parser = InlineCode()
    parser.feed(response.content.decode())
    return parser


def assert_no_inline_code(response, *, style_attributes_allowed: bool = False) -> None:
    found = inline_code(response)
    assert found.scripts == []
    assert found.handlers == []
    assert found.style_elements == 0
    if not style_attributes_allowed:
        assert found.style_attributes == 0


@pytest.fixture
def staff_session(staff_user) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture
def book(db):
    return BookFactory(title="Walden")


# --- the site's own pages, the admin, error pages: the site's policy, no inline code ------------


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/books/{book}/", 200),
        ("/?page_size=0", 400),  # the home page's own error answer
        ("/admin/login/", 200),
        ("/no-such-page/", 404),
        ("/books/999999/", 404),
        # The site's sign-in and password pages (circulation's pages for patrons and the desk,
        # which need rows and accounts, are in circulation/tests/views/test_csp_pages.py).
        ("/account/sign-in/", 200),
        ("/account/password/reset/", 200),
        ("/account/password/reset/sent/", 200),
        ("/account/password/set/MQ/not-a-token/", 200),
        ("/calendar/not-a-known-secret-of-any-patron.ics", 404),
    ],
)
def test_site_pages_have_the_site_policy_and_no_inline_code(client, book, path, status):
    response = client.get(path.format(book=book.pk))

    assert response.status_code == status
    assert policy(response) == SITE_POLICY
    assert_no_inline_code(response)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/catalog/book/",
        "/admin/catalog/book/add/",
        "/admin/catalog/book/{book}/change/",
        "/admin/catalog/copy/add/",
        "/admin/auth/user/",
    ],
)
def test_admin_pages_have_the_site_policy_and_no_inline_code(staff_user, book, path):
    staff_user.is_superuser = True
    staff_user.save()
    client = Client()
    client.force_login(staff_user)

    response = client.get(path.format(book=book.pk))

    assert response.status_code == 200
    assert policy(response) == SITE_POLICY
    assert_no_inline_code(response)


def test_a_disallowed_host_page_has_the_policy(client):
    response = client.get("/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert policy(response) == SITE_POLICY


def test_the_csrf_failure_page_has_the_policy_and_no_inline_style(staff_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)

    response = client.post("/admin/logout/")

    assert response.status_code == 403
    assert policy(response) == SITE_POLICY
    assert_no_inline_code(response)
    assert b"CSRF verification failed" in response.content


def test_the_sign_in_lockout_page_has_the_policy_and_no_inline_code(staff_user, settings):
    settings.AXES_FAILURE_LIMIT = 1

    response = Client().post("/admin/login/", {"username": "librarian", "password": "wrong"})

    assert response.status_code == 429
    assert policy(response) == SITE_POLICY
    assert_no_inline_code(response)


def test_a_server_error_page_has_the_policy():
    client = Client(raise_request_exception=False)
    with mock.patch("catalog.views.render", side_effect=RuntimeError("boom")):
        response = client.get("/")

    assert response.status_code == 500
    assert policy(response) == SITE_POLICY
    assert_no_inline_code(response)


# --- the JSON API: the same header on every answer, errors included -----------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/v1/books/", 200),
        ("get", "/api/v1/books/{book}/", 200),
        ("get", "/api/schema/", 200),
        ("get", "/api/v1/nope/", 404),
        ("get", "/api/v1/books/999999/", 404),
        ("post", "/api/v1/books/", 401),
        ("get", "/healthz", 200),
    ],
)
def test_json_answers_have_the_policy(client, book, method, path, status):
    response = getattr(client, method)(path.format(book=book.pk), HTTP_ACCEPT="application/json")

    assert response.status_code == status
    assert policy(response) == SITE_POLICY


def test_json_errors_from_handler400_have_the_policy(client):
    response = client.get("/api/v1/books/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert policy(response) == SITE_POLICY


# --- DRF's pages: style attributes only, still no inline script ---------------------------------


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "staff"])
@pytest.mark.parametrize("path", ["/api/", "/api/v1/books/", "/api/v1/books/{book}/"])
def test_the_browsable_api_allows_style_attributes_and_nothing_else_inline(
    client, staff_session, book, signed_in, path
):
    response = (staff_session if signed_in else client).get(
        path.format(book=book.pk), HTTP_ACCEPT="text/html"
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert policy(response) == site_policy_with(style_src_attr=["'unsafe-inline'"])
    assert_no_inline_code(response, style_attributes_allowed=True)


def test_the_browsable_api_logs_out_with_a_form_not_an_inline_handler(staff_session):
    response = staff_session.get("/api/", HTTP_ACCEPT="text/html")

    html = response.content.decode()
    assert 'class="logout-form" method="post" action="/api-auth/logout/?next=/api/"' in html
    assert "onclick" not in html


def test_drf_sign_in_page_allows_style_attributes_and_nothing_else_inline(client):
    response = client.get("/api-auth/login/")

    assert response.status_code == 200
    assert policy(response) == site_policy_with(style_src_attr=["'unsafe-inline'"])
    assert_no_inline_code(response, style_attributes_allowed=True)


# --- the API docs: the least each needs ---------------------------------------------------------


def test_swagger_ui_adds_only_data_images(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert policy(response) == site_policy_with(img_src=["data:"])
    assert_no_inline_code(response)  # the init script is a separate request


def test_swagger_ui_init_script_is_served_from_the_site(client):
    response = client.get("/api/docs/?script=")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle(" in response.content
    assert json.dumps("/api/schema/")[1:-1].encode() in response.content


def test_redoc_adds_inline_styles_a_blob_worker_and_data_images_but_no_script(client):
    response = client.get("/api/redoc/")

    assert response.status_code == 200
    directives = policy(response)
    assert directives == site_policy_with(
        style_src=["'unsafe-inline'"], worker_src=["blob:"], img_src=["data:"]
    )
    assert directives["script-src"] == ["'self'"]
    assert_no_inline_code(response)


# --- nowhere may scripts run inline --------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/admin/login/",
        "/api/",
        "/api/v1/books/",
        "/api-auth/login/",
        "/api/docs/",
        "/api/redoc/",
    ],
)
@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_no_page_lets_scripts_run_inline_or_from_elsewhere(client, path, accept):
    directives = policy(client.get(path, HTTP_ACCEPT=accept))

    assert directives["script-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert "script-src-elem" not in directives
    assert "script-src-attr" not in directives
