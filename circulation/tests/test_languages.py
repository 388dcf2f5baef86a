"""A patron's language (Patron.language): their notices and emails in it, worded by staff per
language or else the built-in wording translated; set through the API, checked by the rule."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from circulation import services
from circulation.models import Notice, NoticeKind, NoticeTemplate
from circulation.notices import default_templates, example_context, render_notice
from circulation.services.notices import notices_send
from circulation.tests.factories import PatronFactory
from circulation.tests.notice_helpers import TODAY, days, lend, ready_hold
from shelfmark.errors import InvalidInput

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _notice_settings(settings):
    settings.NOTICE_DUE_SOON_DAYS = 2
    settings.NOTICE_OVERDUE_REMINDERS = 3
    settings.NOTICE_OVERDUE_INTERVAL_DAYS = 7


@pytest.mark.parametrize("kind", NoticeKind.values)
def test_the_built_in_wording_is_translated_and_fills_every_placeholder(kind):
    english, german = default_templates("en")[kind], default_templates("de")[kind]

    assert german != english
    notice = render_notice(*german, example_context(kind, TODAY))
    assert "{" not in notice.subject + notice.body
    assert "Ada Lovelace" in notice.body


def test_a_patron_gets_their_notices_in_their_language():
    english = PatronFactory(name="Ada Reader", card_number="C-1", email="ada@example.org")
    german = PatronFactory(
        name="Greta Leser", card_number="C-2", email="greta@example.org", language="de"
    )
    lend(english, on=TODAY - days(24), title="Middlemarch")
    lend(german, on=TODAY - days(24), title="Effi Briest")

    notices_send(today=TODAY)

    by_address = {message.to[0]: message for message in mail.outbox}
    ada, greta = by_address["ada@example.org"], by_address["greta@example.org"]
    assert ada.subject == "Overdue: Middlemarch"
    assert "Saturday 7 March 2026, 3 days ago" in ada.body
    assert "Effi Briest" in greta.subject
    assert greta.subject != "Overdue: Effi Briest"
    assert "Dear" not in greta.body
    # The date and the count of days in German too (shelfmark/formats/de, ngettext).
    assert "Samstag, 7. März 2026" in greta.body
    assert "3 Tage" in greta.body
    assert Notice.objects.get(patron=german).body == greta.body


def test_a_patron_without_a_language_gets_the_librarys(settings):
    patron = PatronFactory(email="ada@example.org")
    ready_hold(patron, on=TODAY)
    settings.LANGUAGE_CODE = "de"

    notices_send(today=TODAY)

    (message,) = mail.outbox
    assert "Persuasion" in message.subject
    assert message.subject != "Ready to collect: Persuasion"
    assert "Dienstag, 17. März 2026" in message.body


def test_staffs_wording_in_a_language_is_used_for_that_language_only():
    services.notice_template_update(
        kind=NoticeKind.OVERDUE_1,
        language="de",
        subject="Bitte zurückgeben: {{ title }}",
        body="Hallo {{ patron_name }}, seit {{ days_overdue_text }} überfällig.",
    )
    english = PatronFactory(email="ada@example.org")
    german = PatronFactory(email="greta@example.org", language="de")
    lend(english, on=TODAY - days(24), title="Middlemarch")
    lend(german, on=TODAY - days(24), title="Effi Briest")

    notices_send(today=TODAY)

    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert subjects == {
        "ada@example.org": "Overdue: Middlemarch",
        "greta@example.org": "Bitte zurückgeben: Effi Briest",
    }
    greta = next(m for m in mail.outbox if m.to == ["greta@example.org"])
    assert "seit 3 Tage überfällig" in greta.body
    assert NoticeTemplate.objects.filter(kind=NoticeKind.OVERDUE_1).count() == 2


def test_a_wording_in_a_language_the_site_does_not_have_is_refused():
    with pytest.raises(InvalidInput, match="not one of the site's languages"):
        services.notice_template_update(
            kind=NoticeKind.OVERDUE_1, language="xx", subject="x", body="y"
        )


# --- Admin ----------------------------------------------------------------------------------------


def test_staff_add_a_wording_for_a_language_starting_from_the_built_in_one(admin_client):
    response = admin_client.post(
        reverse("admin:circulation_noticetemplate_add"),
        {"kind": NoticeKind.HOLD_READY, "language": "de", "subject": "", "body": ""},
    )

    assert response.status_code == 302, response.content.decode()
    template = NoticeTemplate.objects.get(kind=NoticeKind.HOLD_READY, language="de")
    assert (template.subject, template.body) == default_templates("de")[NoticeKind.HOLD_READY]
    page = admin_client.get(
        reverse("admin:circulation_noticetemplate_change", args=[template.pk])
    ).content.decode()
    assert "Dezember 2026" in page  # the placeholders' date examples in the wording's language


def test_a_second_wording_for_the_same_kind_and_language_is_refused(admin_client):
    response = admin_client.post(
        reverse("admin:circulation_noticetemplate_add"),
        {"kind": NoticeKind.HOLD_READY, "language": "en", "subject": "x", "body": "y"},
    )

    assert response.status_code == 200
    assert "has a wording in this language already" in response.content.decode()
    assert NoticeTemplate.objects.filter(kind=NoticeKind.HOLD_READY).count() == 1


# --- The patron's record --------------------------------------------------------------------------


def test_staff_set_a_patrons_language_through_the_api(desk):
    patron = PatronFactory()
    url = reverse("patron-detail", args=[patron.pk])

    response = desk.patch(url, {"language": "de"})
    assert response.status_code == 200, response.content
    assert response.json()["language"] == "de"

    response = desk.patch(url, {"language": "klingon"})
    assert response.status_code == 400
    assert "not one of the site's languages: en, de" in response.content.decode()
    patron.refresh_from_db()
    assert patron.language == "de"


def test_the_password_email_of_a_new_login_is_in_the_patrons_language(
    desk, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(
            reverse("patron-list"),
            {
                "card_number": "C-77",
                "name": "Greta Leser",
                "email": "greta@example.org",
                "category": PatronFactory().category_id,
                "language": "de",
                "username": "greta",
            },
        )

    assert response.status_code == 201, response.content
    (message,) = mail.outbox
    assert message.subject != f"Choose your password for {settings.LIBRARY_NAME}"
    assert settings.LIBRARY_NAME in message.subject
    assert "Hello" not in message.body
