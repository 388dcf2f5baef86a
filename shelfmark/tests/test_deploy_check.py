"""Django's deployment checklist, ``manage.py check --deploy``, in both ways production runs:
behind HTTPS (the default) it reports nothing; over plain HTTP (``SECURE_HTTPS=false``, the
default compose stack's local trial on 127.0.0.1) it reports exactly the four warnings that
plain HTTP means, which the README names and explains."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

# What plain HTTP leaves: no HSTS, no redirect to HTTPS, cookies not marked secure (README,
# "Configuration": a browser would not send a secure cookie over http, and no one could sign in).
PLAIN_HTTP_WARNINGS = {"security.W004", "security.W008", "security.W012", "security.W016"}


def check_deploy(tmp_path: Path, **variables: str) -> tuple[int, set[str], str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "DEBUG", "SECRET_KEY", "SECURE_"))
    }
    environment |= {
        "DJANGO_SETTINGS_MODULE": "shelfmark.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "library.example.org",
        "DATABASE_URL": "",
        "SHELFMARK_DATA_DIR": str(tmp_path),
        **variables,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        cwd=Path(settings.BASE_DIR),
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    output = result.stdout + result.stderr
    return result.returncode, set(re.findall(r"\((security\.[WE]\d+)\)", output)), output


@pytest.mark.parametrize("https", ["", "true"])
def test_behind_https_nothing_is_reported(tmp_path, https):
    variables = {"SECURE_HTTPS": https} if https else {}
    code, found, output = check_deploy(tmp_path, **variables)
    assert code == 0, output
    assert found == set(), output
    assert "no issues" in output


def test_over_plain_http_exactly_the_four_warnings_the_readme_names(tmp_path):
    code, found, output = check_deploy(tmp_path, SECURE_HTTPS="false")
    assert code == 0, output
    assert found == PLAIN_HTTP_WARNINGS, output
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    for warning in PLAIN_HTTP_WARNINGS:
        assert f"`{warning.removeprefix('security.')}`" in readme, warning
