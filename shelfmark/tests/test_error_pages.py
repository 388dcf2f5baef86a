"""The site's own error pages (templates 400, 403, 404 and 500.html), as production shows them
(DEBUG off): in the site's layout, with its header, while /api/ keeps its JSON error shape."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import path
from django.views.defaults import server_error as django_server_error

from shelfmark import urls as site_urls
from shelfmark.tests.test_csp import SITE_POLICY, assert_no_inline_code, policy
from shelfmark.views import server_error


def refuse(request):
    raise PermissionDenied("internal reason, not for visitors")


def fail(request):
    raise RuntimeError("a bug")


# The site's URLs, and two views that fail, for the 403 and 500 cases.
urlpatterns = [
    *site_urls.urlpatterns,
    path("refused-for-the-test/", refuse),
    path("broken-for-the-test/", fail),
]
handler400 = site_urls.handler400
handler500 = site_urls.handler500


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.LIBRARY_NAME = "Riverside Library"
    settings.ROOT_URLCONF = __name__


def header_of(html: str) -> str:
    return re.search(r'<header class="site-header">.*?</header>', html, re.S).group(0)


@pytest.mark.django_db
def test_a_missing_page_is_the_sites_404_with_its_header(production, client):
    response = client.get("/no-such-page/")

    html = response.content.decode()
    assert response.status_code == 404
    assert "<title>Page not found · Riverside Library</title>" in html
    assert "<span>Riverside Library</span>" in header_of(html)
    assert '<nav aria-label="Site">' in header_of(html)
    assert "There is no page at <code" in html
    assert "/no-such-page/" in html
    assert 'action="/" class="search"' in html  # a way on: search the catalog
    assert "<h1>Not Found</h1>" not in html  # Django's bare page


@pytest.mark.django_db
def test_a_missing_book_is_the_sites_404_too(production, client):
    response = client.get("/books/999999/")

    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.content.decode()


@pytest.mark.django_db
def test_an_unknown_api_path_stays_json(production, client):
    response = client.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_a_refusal_is_the_sites_403_without_the_internal_reason(production, client):
    response = client.get("/refused-for-the-test/")

    html = response.content.decode()
    assert response.status_code == 403
    assert "<title>Not allowed · Riverside Library</title>" in html
    assert "<span>Riverside Library</span>" in header_of(html)
    assert "/account/sign-in/?next=/refused-for-the-test/" in html
    assert "internal reason" not in html


@pytest.mark.django_db
def test_an_error_is_the_sites_500(production):
    client = Client(raise_request_exception=False)

    response = client.get("/broken-for-the-test/")

    html = response.content.decode()
    assert response.status_code == 500
    assert "<title>Something went wrong · Riverside Library</title>" in html
    assert "<span>Riverside Library</span>" in header_of(html)
    assert "a bug" not in html


# No django_db mark: any query would fail the test.
def test_the_500_page_renders_without_a_database_or_a_request_context(settings):
    settings.LIBRARY_NAME = "Riverside Library"
    request = RequestFactory().get("/books/1/")  # no session, no user: no middleware ran

    response = server_error(request)

    html = response.content.decode()
    assert response.status_code == 500
    assert "<h1>Something went wrong</h1>" in html
    assert "<span>Riverside Library</span>" in header_of(html)
    # The menu is the catalog's link alone: nothing about who is signed in.
    nav = re.search(r'<nav aria-label="Site">.*?</nav>', html, re.S).group(0)
    assert re.findall(r"<a [^>]*>([^<]*)</a>", nav) == ["Catalog"]
    assert 'href="/static/shelfmark/site.css"' in html


@pytest.mark.django_db
def test_a_request_for_another_host_is_the_sites_400(production, client):
    response = client.get("/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert "<h1>Bad request</h1>" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "status"),
    [("/no-such-page/", 404), ("/refused-for-the-test/", 403), ("/broken-for-the-test/", 500)],
)
def test_the_error_pages_keep_the_sites_policy(production, path, status):
    response = Client(raise_request_exception=False).get(path)

    assert response.status_code == status
    assert policy(response) == SITE_POLICY
    assert_no_inline_code(response)


def test_the_500_page_renders_under_a_url_conf_without_the_sites_pages(settings):
    # Django's own handler renders 500.html wherever a URL conf names no handler500 (the
    # tests' own URL confs): the page must not fail on a URL it cannot reverse.
    settings.ROOT_URLCONF = "shelfmark.tests.kit_urls"

    response = django_server_error(RequestFactory().get("/kit/"))

    assert response.status_code == 500
    assert '<a class="brand" href="/">' in response.content.decode()
