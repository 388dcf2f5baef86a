import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from accounts.services import admin_ensure


class Command(BaseCommand):
    help = (
        "Create an admin (superuser) account if it does not exist, and print its login. "
        "A generated password is kept in the data folder so it can be shown again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", help="Default: a random password, saved in DATA_DIR.")

    def handle(self, *args: Any, username: str, password: str | None, **options: Any) -> None:
        saved = Path(settings.DATA_DIR) / f"{username}-password.txt"
        generated = password is None
        if password is None:
            password = saved.read_text().strip() if saved.exists() else secrets.token_urlsafe(12)
        user, created = admin_ensure(username=username, password=password)
        if created and generated:
            saved.parent.mkdir(parents=True, exist_ok=True)
            saved.touch(mode=0o600)
            saved.write_text(password + "\n")
        if user.check_password(password):
            self.stdout.write(f"Admin login: username '{username}', password '{password}'")
        else:
            self.stdout.write(
                f"Admin '{username}' exists with a password set elsewhere. "
                f"To reset it: manage.py changepassword {username}"
            )
