"""manage.py create_api_token and manage.py ensure_admin."""

from __future__ import annotations

import re
import stat
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, hash_key

pytestmark = pytest.mark.django_db

User = get_user_model()

KEY_LINE = re.compile(r"shm_[A-Za-z0-9_-]{43}\n")
LOGIN_LINE = re.compile(
    r"Admin login: username '(?P<username>[^']+)', password '(?P<password>[^']+)'\n"
)


@pytest.fixture
def data_dir(settings, tmp_path):
    # A folder that does not exist yet: the command must create it.
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


# --- create_api_token ----------------------------------------------------------------------------


def test_create_api_token_prints_only_a_usable_key(patron_user):
    output = run("create_api_token", "reader")

    assert KEY_LINE.fullmatch(output), output
    key = output.strip()
    token = ApiToken.objects.get()
    assert token.user == patron_user
    assert token.name == "command line"
    assert token.expires_at is None
    assert token.key_hash == hash_key(key)
    # The command runs with the server's own access and has no signed-in user to record.
    assert token.created_by is None

    response = APIClient().get("/api/v1/tokens/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [token.id]


def test_create_api_token_takes_a_name_and_an_expiry(staff_user):
    before = timezone.now()

    key = run("create_api_token", "librarian", "--name", "nightly export", "--expires-days", "7")

    token = ApiToken.objects.get(key_hash=hash_key(key.strip()))
    assert token.name == "nightly export"
    assert token.expires_at is not None
    assert before + timedelta(days=7) <= token.expires_at <= timezone.now() + timedelta(days=7)


def test_create_api_token_for_an_unknown_user_says_what_to_do(patron_user):
    with pytest.raises(CommandError) as excinfo:
        run("create_api_token", "nobody")

    message = str(excinfo.value)
    assert "'nobody'" in message
    assert "createsuperuser" in message
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("days", ["0", "-3"])
def test_create_api_token_refuses_an_expiry_below_one_day(patron_user, days):
    with pytest.raises(CommandError, match="--expires-days must be at least 1"):
        run("create_api_token", "reader", "--expires-days", days)

    assert not ApiToken.objects.exists()


def test_create_api_token_for_an_inactive_user_is_a_message_not_a_traceback(patron_user):
    User.objects.filter(pk=patron_user.pk).update(is_active=False)

    with pytest.raises(CommandError, match="inactive"):
        run("create_api_token", "reader")

    assert not ApiToken.objects.exists()


# --- ensure_admin --------------------------------------------------------------------------------


def test_ensure_admin_creates_a_superuser_whose_printed_login_works(data_dir):
    output = run("ensure_admin")

    match = LOGIN_LINE.fullmatch(output)
    assert match, output
    assert match["username"] == "admin"
    password = match["password"]
    assert len(password) >= 16

    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.is_staff
    assert admin.is_active
    assert admin.check_password(password)
    assert APIClient().login(username="admin", password=password)


def test_ensure_admin_keeps_the_generated_password_in_the_data_folder(data_dir):
    login = LOGIN_LINE.fullmatch(run("ensure_admin"))
    assert login is not None
    password = login["password"]

    saved = data_dir / "admin-password.txt"
    assert saved.read_text() == password + "\n"
    # Only the owner may read it.
    assert stat.S_IMODE(saved.stat().st_mode) & 0o077 == 0


def test_ensure_admin_is_idempotent(data_dir):
    first = run("ensure_admin")
    admin = User.objects.get(username="admin")

    second = run("ensure_admin")

    assert second == first
    assert User.objects.filter(is_superuser=True).count() == 1
    assert User.objects.get(username="admin").password == admin.password


def test_ensure_admin_reuses_a_password_saved_by_an_earlier_run(data_dir):
    # E.g. the database was reset but the data folder kept.
    data_dir.mkdir()
    (data_dir / "admin-password.txt").write_text("kept from before 123\n")

    output = run("ensure_admin")

    assert output == "Admin login: username 'admin', password 'kept from before 123'\n"
    assert User.objects.get(username="admin").check_password("kept from before 123")


def test_ensure_admin_with_an_admin_made_elsewhere_prints_the_reset_hint(data_dir):
    User.objects.create_superuser("admin", password="chosen by a human 42")

    output = run("ensure_admin")

    assert output == (
        "Admin 'admin' exists with a password set elsewhere. "
        "To reset it: manage.py changepassword admin\n"
    )
    assert "password '" not in output
    admin = User.objects.get(username="admin")
    assert admin.check_password("chosen by a human 42")
    assert not (data_dir / "admin-password.txt").exists()


def test_ensure_admin_takes_a_username_and_password(data_dir):
    output = run("ensure_admin", "--username", "head", "--password", "given on the line 7")

    assert output == "Admin login: username 'head', password 'given on the line 7'\n"
    assert not (data_dir / "head-password.txt").exists()  # only generated ones are kept
    head = User.objects.get(username="head")
    assert head.is_superuser
    assert head.check_password("given on the line 7")
    assert not User.objects.filter(username="admin").exists()


def test_ensure_admin_with_the_right_password_for_an_existing_admin_prints_the_login(data_dir):
    User.objects.create_superuser("admin", password="known password 99")

    output = run("ensure_admin", "--password", "known password 99")

    assert output == "Admin login: username 'admin', password 'known password 99'\n"
