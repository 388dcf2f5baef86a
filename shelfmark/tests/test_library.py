"""shelfmark.library: the library's own name and logo on every page, and the site's header
links (the API ones for staff only)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def header_of(html: str) -> str:
    return re.search(r'<header class="site-header">.*?</header>', html, re.S).group(0)


def footer_of(html: str) -> str:
    return re.search(r'<footer class="site-footer">.*?</footer>', html, re.S).group(0)


def test_the_library_name_is_in_the_header_every_title_and_the_footer(client, settings):
    settings.LIBRARY_NAME = "Riverside Library"

    for url, title in [
        ("/", "Books · Riverside Library"),
        ("/account/sign-in/", "Sign in · Riverside Library"),
        ("/account/password/reset/", "Choose a new password · Riverside Library"),
    ]:
        html = client.get(url).content.decode()
        assert f"<title>{title}</title>" in html, url
        assert '<a class="brand" href="/"><span>Riverside Library</span></a>' in header_of(html)
        assert "Riverside Library · catalog by Shelfmark" in footer_of(html)
        assert "Shelfmark" not in header_of(html)


def test_without_a_name_the_site_is_shelfmark_and_says_it_once(client):
    html = client.get("/").content.decode()

    assert "<title>Books · Shelfmark</title>" in html
    assert "<span>Shelfmark</span></a>" in header_of(html)
    assert "catalog by Shelfmark" not in footer_of(html)


def test_a_logo_is_shown_beside_the_name_and_served_by_the_site(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.LIBRARY_LOGO = "brand/logo.png"
    (tmp_path / "brand").mkdir()
    (tmp_path / "brand" / "logo.png").write_bytes(PNG)

    header = header_of(client.get("/").content.decode())
    # Decorative: the name beside it says what it is.
    assert '<img class="brand-logo" src="/library-logo" alt="" height="40">' in header

    response = client.get("/library-logo")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    assert "max-age=3600" in response["Cache-Control"]
    # Same origin: the page's Content-Security-Policy (img-src 'self') needs nothing more.
    assert "img-src 'self'" in client.get("/")["Content-Security-Policy"]


def test_no_logo_configured_or_its_file_missing_is_a_404_and_no_image(client, settings, tmp_path):
    assert client.get("/library-logo").status_code == 404
    assert "brand-logo" not in client.get("/").content.decode()

    settings.MEDIA_ROOT = tmp_path
    settings.LIBRARY_LOGO = "gone.svg"
    assert client.get("/library-logo").status_code == 404


def user(username: str, **fields):
    return get_user_model().objects.create_user(username=username, password="x", **fields)


def test_the_api_links_in_the_header_are_for_staff_only(settings):
    anonymous = Client()
    patron = Client()
    patron.force_login(user("reader"))
    staff = Client()
    staff.force_login(user("librarian", is_staff=True))

    for client in (anonymous, patron):
        header = header_of(client.get("/").content.decode())
        assert ">API</a>" not in header
        assert ">API docs</a>" not in header
        assert "/api/" not in header
    header = header_of(staff.get("/").content.decode())
    assert '<a href="/api/">API</a>' in header
    assert '<a href="/api/docs/">API docs</a>' in header
    # Developers among the visitors still find it, at the foot of every page.
    for client in (anonymous, patron, staff):
        assert '<a href="/api/docs/">API for developers</a>' in footer_of(
            client.get("/").content.decode()
        )
