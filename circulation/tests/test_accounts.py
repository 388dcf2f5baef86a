"""circulation.accounts: a patron chooses their password through the emailed link."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from circulation import services
from circulation.accounts import send_password_setup_email
from circulation.tests.factories import PatronCategoryFactory

pytestmark = pytest.mark.django_db


def test_the_emailed_link_lets_the_patron_choose_a_password_once(client, settings):
    settings.SITE_URL = "https://library.example.org"
    settings.LIBRARY_NAME = "Riverside Library"
    patron = services.patron_create(
        card_number="5001",
        name="Rosalind",
        category=PatronCategoryFactory(),
        email="ros@example.org",
        username="rosalind",
    )

    assert send_password_setup_email(patron.user)

    (message,) = mail.outbox
    assert message.to == ["ros@example.org"]
    assert message.subject == "Choose your password for Riverside Library"
    assert "Riverside Library has made you an account" in message.body
    assert "rosalind" in message.body
    # Signed with the library's name and its address, from SITE_URL, not a request's host.
    assert message.body.endswith("\nRiverside Library\nhttps://library.example.org/\n")
    link = re.search(r"https://library\.example\.org(/\S+)", str(message.body)).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    done = client.post(
        set_url,
        {"new_password1": "a long new password 42", "new_password2": "a long new password 42"},
    )
    assert done.status_code == 302
    assert client.login(username="rosalind", password="a long new password 42")
    again = client.get(link, follow=True)
    assert "used already" in again.content.decode()


def test_no_address_no_email():
    patron = services.patron_create(
        card_number="5002", name="Nomail", category=PatronCategoryFactory(), username="nomail"
    )
    assert not send_password_setup_email(patron.user)
    assert mail.outbox == []
