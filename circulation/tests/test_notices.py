"""circulation.notices and the templates staff edit: only text and the documented placeholders,
checked on save, rendered as plain text; their defaults; the admin."""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from circulation import services
from circulation.models import NoticeKind, NoticeTemplate
from circulation.notices import (
    PLACEHOLDERS,
    days_in_words,
    default_templates,
    example_context,
    render,
    render_notice,
    template_problems,
)
from shelfmark.errors import InvalidInput

TODAY = datetime.date(2026, 3, 10)
DEFAULT_TEMPLATES = default_templates("en")


@pytest.mark.parametrize("kind", NoticeKind.values)
def test_every_default_template_is_valid_and_fills_every_placeholder(kind):
    subject, body = DEFAULT_TEMPLATES[kind]

    assert template_problems(kind, subject) == []
    assert template_problems(kind, body) == []
    notice = render_notice(subject, body, example_context(kind, TODAY))
    assert "{" not in notice.subject + notice.body
    assert "Dear Ada Lovelace," in notice.body


@pytest.mark.django_db
def test_the_migration_made_the_default_templates():
    stored = {t.kind: (t.subject, t.body) for t in NoticeTemplate.objects.all()}

    assert stored == DEFAULT_TEMPLATES


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{{ patron }}", "Unknown placeholder {{ patron }}. Use one of: {{ patron_name }}"),
        ("{{ patron_name.upper }}", "Unknown placeholder {{ patron_name.upper }}"),
        ("{{ pickup_by }}", "Unknown placeholder {{ pickup_by }}"),  # a hold's, not a loan's
        ("{{ due_on|date:some_format }}", "Unknown placeholder {{ some_format }}"),
        ("{% if days_left %}soon{% endif %}", "'{% if %}' is not allowed in notices"),
        ("{% include 'base.html' %}", "'{% include %}' is not allowed"),
        ("{% debug %}", "'{% debug %}' is not allowed"),
        ("{% load static %}", "The template does not parse"),
        ("{{ title|safe }}", "The filter '|safe' is not available in notices"),
        ("{{ title|linebreaks }}", "The filter '|linebreaks' is not available"),
        ("{{ }}", "The template does not parse"),
    ],
)
def test_templates_may_hold_only_text_and_the_kinds_placeholders(text, problem):
    problems = template_problems(NoticeKind.DUE_SOON, text)

    assert len(problems) == 1, problems
    assert problems[0].startswith(problem), problems


def test_placeholders_may_be_formatted_with_the_allowed_filters():
    text = (
        '{{ title|upper }} {{ author|default:"anonymous" }} {{ due_on|date:"j F" }} '
        "{{ days_left }} day{{ days_left|pluralize }} {{ patron_name|title }} {{ 3 }} {{ 'x' }}"
    )

    assert template_problems(NoticeKind.DUE_SOON, text) == []
    context = example_context(NoticeKind.DUE_SOON, TODAY)
    assert render(text, {**context, "author": ""}) == (
        "MIDDLEMARCH anonymous 7 March 2 days Ada Lovelace 3 x"
    )


def test_each_kind_documents_its_placeholders():
    assert set(PLACEHOLDERS) == set(NoticeKind.values)
    assert "days_left" in PLACEHOLDERS[NoticeKind.DUE_SOON]
    assert {"days_overdue", "reminder"} <= set(PLACEHOLDERS[NoticeKind.OVERDUE_2])
    assert "pickup_by" in PLACEHOLDERS[NoticeKind.HOLD_READY]
    assert "barcode" not in PLACEHOLDERS[NoticeKind.HOLD_READY]


def test_a_subject_is_one_line():
    notice = render_notice("Due:\n{{ title }}\r\n soon", "x", {"title": "Emma"})

    assert notice.subject == "Due: Emma soon"


# --- Saving ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_change_the_wording_through_the_service():
    template = services.notice_template_update(
        kind=NoticeKind.HOLD_READY,
        subject="  {{ title }} is here  ",
        body="Collect by {{ pickup_by }}.\n\n",
    )

    assert (template.subject, template.body) == (
        "{{ title }} is here",
        "Collect by {{ pickup_by }}.\n",
    )
    assert NoticeTemplate.objects.get(kind=NoticeKind.HOLD_READY) == template
    assert NoticeTemplate.objects.count() == len(NoticeKind.values)


@pytest.mark.django_db
def test_a_broken_template_is_refused_with_every_problem():
    with pytest.raises(InvalidInput) as error:
        services.notice_template_update(
            kind=NoticeKind.DUE_SOON, subject="{{ nope }}", body="{% if x %}{% endif %}"
        )

    assert set(error.value.fields) == {"subject", "body"}
    assert NoticeTemplate.objects.get(kind=NoticeKind.DUE_SOON).subject == "Due soon: {{ title }}"


@pytest.mark.django_db
def test_blank_or_long_subjects_and_blank_bodies_are_refused():
    for subject, body, field in [
        ("", "x", "subject"),
        ("x" * 201, "x", "subject"),
        ("x", " ", "body"),
    ]:
        with pytest.raises(InvalidInput) as error:
            services.notice_template_update(kind=NoticeKind.DUE_SOON, subject=subject, body=body)
        assert error.value.field == field


@pytest.mark.django_db
def test_the_default_wording_can_be_put_back():
    services.notice_template_update(kind=NoticeKind.OVERDUE_3, subject="x", body="y")

    services.notice_template_reset(kind=NoticeKind.OVERDUE_3)

    template = NoticeTemplate.objects.get(kind=NoticeKind.OVERDUE_3)
    assert (template.subject, template.body) == DEFAULT_TEMPLATES[NoticeKind.OVERDUE_3]


# --- Admin ----------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser(username="boss", password="pw-123456789")
    client.force_login(user)
    return client


@pytest.fixture
def librarian_client(client, db):
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user(
        username="desk", password="pw-123456789", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Librarians"))
    client.force_login(user)
    return client


def change_url(kind: str) -> str:
    template = NoticeTemplate.objects.get(kind=kind)
    return reverse("admin:circulation_noticetemplate_change", args=[template.pk])


def test_the_admin_shows_the_placeholders_and_a_preview(admin_client):
    page = admin_client.get(change_url(NoticeKind.OVERDUE_1)).content.decode()

    assert "<code>{{ days_overdue }}</code>: days since the due date" in page
    assert "Subject: Overdue: Middlemarch" in page
    assert "Dear Ada Lovelace," in page


def test_the_preview_of_a_template_broken_outside_the_admin_names_the_problem(admin_client):
    NoticeTemplate.objects.filter(kind=NoticeKind.DUE_SOON).update(body="{% debug %}")

    page = admin_client.get(change_url(NoticeKind.DUE_SOON)).content.decode()

    assert "is not allowed in notices: only text and {{ placeholders }}." in page


def test_librarians_edit_templates_in_the_admin_and_see_mistakes(librarian_client):
    url = change_url(NoticeKind.DUE_SOON)

    bad = librarian_client.post(url, {"subject": "{{ tittle }}", "body": "Hello"})
    assert bad.status_code == 200
    assert "Unknown placeholder {{ tittle }}" in bad.content.decode()

    good = librarian_client.post(url, {"subject": "Soon: {{ title }}", "body": "Hello"})
    assert good.status_code == 302
    template = NoticeTemplate.objects.get(kind=NoticeKind.DUE_SOON)
    assert (template.subject, template.body) == ("Soon: {{ title }}", "Hello\n")


def test_the_log_of_notices_is_read_only(admin_client):
    assert admin_client.get(reverse("admin:circulation_notice_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:circulation_notice_add")).status_code == 403


def test_the_admin_action_puts_the_default_wording_back(admin_client):
    services.notice_template_update(kind=NoticeKind.HOLD_READY, subject="x", body="y")
    template = NoticeTemplate.objects.get(kind=NoticeKind.HOLD_READY)

    admin_client.post(
        reverse("admin:circulation_noticetemplate_changelist"),
        {"action": "reset_to_default", "_selected_action": [template.pk]},
    )

    template.refresh_from_db()
    assert (template.subject, template.body) == DEFAULT_TEMPLATES[NoticeKind.HOLD_READY]


@pytest.mark.django_db
def test_the_wording_migration_updates_untouched_defaults_and_keeps_staffs_own():
    from django.apps import apps

    wording = importlib.import_module(
        "circulation.migrations.0007_notice_wording_dates_plurals_library_name"
    )
    for kind, (subject, body) in wording.BEFORE.items():
        NoticeTemplate.objects.filter(kind=kind).update(subject=subject, body=body)
    NoticeTemplate.objects.filter(kind=NoticeKind.HOLD_READY).update(body="Our own words.\n")

    wording.forwards(apps, None)

    stored = {t.kind: (t.subject, t.body) for t in NoticeTemplate.objects.all()}
    assert stored[NoticeKind.HOLD_READY][1] == "Our own words.\n"
    del stored[NoticeKind.HOLD_READY]
    assert stored == {kind: DEFAULT_TEMPLATES[kind] for kind in stored}
    assert wording.AFTER == DEFAULT_TEMPLATES  # the frozen copy is today's wording

    wording.backwards(apps, None)
    stored = {t.kind: (t.subject, t.body) for t in NoticeTemplate.objects.all()}
    assert stored[NoticeKind.OVERDUE_1] == wording.BEFORE[NoticeKind.OVERDUE_1]


def test_counts_of_days_in_notices_are_proper_plurals():
    assert [days_in_words(n) for n in (0, 1, 2)] == ["0 days", "1 day", "2 days"]
    context = example_context(NoticeKind.OVERDUE_1, TODAY)
    body = DEFAULT_TEMPLATES[NoticeKind.OVERDUE_1][1]

    for count, words in [(1, "1 day"), (3, "3 days")]:
        context.update(
            due_on=TODAY - datetime.timedelta(days=count),
            days_overdue=count,
            days_overdue_text=days_in_words(count),
        )
        text = render(body, context)
        assert f", {words} ago." in text
    # The site's long date format, as a sentence has it.
    assert "was due back on Saturday 7 March 2026, 3 days ago." in text
