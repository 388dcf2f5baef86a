"""The demo circulation (circulation.demo, manage.py load_demo_circulation)."""

from __future__ import annotations

import datetime
import stat
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from catalog.demo import demo_entries
from catalog.models import Copy, CopyStatus
from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.demo import CARD_NUMBERS, LOGIN_USERNAME, STORY_BARCODES, demo_circulation_load
from circulation.models import (
    CirculationEvent,
    ClosedDate,
    ClosedWeekday,
    EventKind,
    Hold,
    HoldStatus,
    Loan,
    Patron,
    PatronCategory,
)
from circulation.selectors import waiting_position

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 10)


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def counts() -> tuple[int, ...]:
    models = (PatronCategory, Patron, Loan, Hold, ClosedDate, ClosedWeekday, Copy, CirculationEvent)
    return tuple(model.objects.count() for model in models)


@pytest.fixture
def story_copies():
    """The demo catalog's copies the story lends, without the other 400 (the command's test
    loads the whole catalog)."""
    entries = demo_entries()
    for barcode in STORY_BARCODES:
        entry = entries[int(barcode.split("-")[1]) - 1]
        authors = [author["name"] for author in entry["authors"]]
        CopyFactory(barcode=barcode, book=BookFactory(title=entry["title"], authors=authors))


@pytest.fixture
def loaded(story_copies):
    return demo_circulation_load(today=TODAY)


def test_a_working_desk_at_once(loaded):
    assert loaded.story_told
    assert loaded.skipped == []
    categories = {c.name: c for c in PatronCategory.objects.all()}
    assert set(categories) == {"Adult", "Child", "Staff"}
    assert len({(c.loan_period_days, c.max_loans) for c in categories.values()}) == 3
    assert ClosedWeekday.objects.filter(weekday=6).exists()  # Sundays
    assert ClosedDate.objects.filter(date=datetime.date(2026, 12, 25)).exists()
    assert Patron.objects.filter(card_number__in=CARD_NUMBERS).count() == 12
    assert Patron.objects.filter(email="").count() == 1
    assert Patron.objects.filter(blocked=True).count() == 1

    open_loans = Loan.objects.filter(checked_in_at__isnull=True)
    overdue = open_loans.filter(due_on__lt=TODAY)
    assert overdue.count() == 3
    assert (
        open_loans.filter(due_on__gte=TODAY, due_on__lte=TODAY + datetime.timedelta(2)).count() == 2
    )
    assert open_loans.filter(renewals=1).count() == 1
    assert Loan.objects.filter(checked_in_at__isnull=False).count() == 3
    assert (loaded.loans_created, loaded.holds_created) == (12, 4)

    ready = Hold.objects.get(status=HoldStatus.READY)
    assert ready.patron.user.username == LOGIN_USERNAME
    assert ready.copy.status == CopyStatus.ON_HOLD_SHELF
    assert ready.pickup_by > TODAY
    waiting = Hold.objects.filter(status=HoldStatus.WAITING).annotate(position=waiting_position())
    assert sorted(waiting.values_list("book__title", "position")) == [
        ("Emma", 1),
        ("Middlemarch", 1),
        ("Middlemarch", 2),
    ]


def test_due_dates_follow_the_categories_and_the_calendar(loaded):
    for loan in Loan.objects.select_related("patron__category"):
        assert loan.due_on.weekday() != 6, loan
        assert not ClosedDate.objects.filter(date=loan.due_on).exists(), loan
        lent_on = loan.checked_out_at.date()
        if loan.renewals == 0:
            period = datetime.timedelta(days=loan.patron.category.loan_period_days)
            assert lent_on + period <= loan.due_on <= lent_on + period + datetime.timedelta(3)


def test_the_record_tells_the_story_in_the_past(loaded):
    events = CirculationEvent.objects.order_by("at", "pk")
    # out, in, holds, ready, renewal, a hold suspended, block
    assert events.count() == 12 + 3 + 4 + 1 + 1 + 1 + 1
    assert all(e.at.date() < TODAY for e in events)
    assert [e.at for e in events] == sorted(e.at for e in events)
    checkout = CirculationEvent.objects.filter(kind=EventKind.CHECKOUT).first()
    assert checkout.at == checkout.loan.checked_out_at


def test_running_it_again_adds_nothing(loaded):
    before = counts()

    again = demo_circulation_load(today=TODAY)

    assert counts() == before
    assert not again.story_told
    assert (again.categories_created, again.patrons_created, again.calendar_entries_created) == (
        0,
        0,
        0,
    )
    assert again.login_password == loaded.login_password


def test_changes_made_at_the_desk_are_not_undone(loaded):
    services.loan_checkin(barcode="DEMO-0024-1")  # Middlemarch back: trapped for Ada
    before = counts()

    demo_circulation_load(today=TODAY)

    assert counts() == before


def test_the_patron_login_works_and_its_password_is_kept_privately(loaded, tmp_path):
    saved = tmp_path / f"{LOGIN_USERNAME}-password.txt"

    assert saved.read_text().strip() == loaded.login_password
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    user = authenticate(username=LOGIN_USERNAME, password=loaded.login_password)
    assert user is not None
    assert not user.is_staff
    assert user.patron.card_number == "C-1001"
    assert user.groups.filter(name="Patrons").exists()


def test_a_password_changed_since_is_not_printed(loaded):
    user = get_user_model().objects.get(username=LOGIN_USERNAME)
    user.set_password("my own secret 123")
    user.save()

    assert demo_circulation_load(today=TODAY).login_password is None


# The whole demo catalog first: on PostgreSQL the Docker smoke test runs the command (twice, in
# compose's web container), so with both databases this runs in the SQLite pass only.
@pytest.mark.any_database
def test_the_command_reports_and_prints_the_patron_login(tmp_path):
    out = StringIO()
    call_command("load_demo_circulation", stdout=out)
    second = StringIO()
    call_command("load_demo_circulation", stdout=second)

    lines = out.getvalue().splitlines()
    assert lines[0] == (
        "Demo circulation: 3 patron categories, 6 calendar entries and rules, 12 patrons added; "
        "12 loans and 4 holds added."
    )
    password = (tmp_path / f"{LOGIN_USERNAME}-password.txt").read_text().strip()
    assert lines[-1] == f"Patron login: username '{LOGIN_USERNAME}', password '{password}'"
    assert second.getvalue().splitlines() == [
        "Demo circulation: 0 patron categories, 0 calendar entries and rules, 0 patrons added; "
        "loans and holds already there.",
        lines[-1],
    ]


def test_the_admin_made_by_ensure_admin_can_work_the_desk(tmp_path):
    call_command("ensure_admin", stdout=StringIO())
    admin = get_user_model().objects.get(username="admin")

    assert admin.is_staff
    for permission in (
        "add_loan",
        "change_loan",
        "add_hold",
        "change_patron",
        "change_noticetemplate",
    ):
        assert admin.has_perm(f"circulation.{permission}"), permission
