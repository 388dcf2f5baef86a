"""Choosing a patron's language on the website: staff on the desk's patron page, the patron on
My account (where the site then follows it)."""

from __future__ import annotations

import pytest
from django.conf import settings

from circulation.models import Patron

pytestmark = pytest.mark.django_db


def test_staff_choose_the_language_of_a_patrons_notices(desk, reader):
    page = desk.get(f"/desk/patrons/{reader.pk}/").content.decode()
    assert "The library's (English)" in page
    assert '<option value="de" lang="de">Deutsch</option>' in page

    response = desk.post(f"/desk/patrons/{reader.pk}/language/", {"language": "de"}, follow=True)

    assert "Ada Reader&#x27;s notices will be in Deutsch." in response.content.decode()
    assert Patron.objects.get(pk=reader.pk).language == "de"
    response = desk.post(f"/desk/patrons/{reader.pk}/language/", {"language": "xx"}, follow=True)
    assert "not one of the site&#x27;s languages" in response.content.decode()
    assert Patron.objects.get(pk=reader.pk).language == "de"


def test_a_patron_chooses_their_language_and_the_site_follows(reader_client, reader):
    response = reader_client.post("/account/language/", {"language": "de"})

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    assert Patron.objects.get(pk=reader.pk).language == "de"
    page = reader_client.get("/account/").content.decode()
    assert '<html lang="de">' in page
    assert "Ihre Benachrichtigungen kommen künftig auf Deutsch." in page
    assert '<option value="de" lang="de" selected>Deutsch</option>' in page


def test_a_patron_cannot_choose_anothers_language(reader_client, reader, other_reader):
    reader_client.post("/account/language/", {"language": "de", "patron": other_reader.pk})

    assert Patron.objects.get(pk=other_reader.pk).language == ""
    assert Patron.objects.get(pk=reader.pk).language == "de"
