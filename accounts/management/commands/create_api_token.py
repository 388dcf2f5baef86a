from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.services import token_create
from shelfmark.errors import DomainError


class Command(BaseCommand):
    help = "Issue an API token for a user and print its key (shown only once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="What the token is for.")
        parser.add_argument("--expires-days", type=int, help="Expire after this many days.")

    def handle(
        self, *args: Any, username: str, name: str, expires_days: int | None, **options: Any
    ) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user '{username}'. Create one first: manage.py createsuperuser")
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days must be at least 1.")
        expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
        try:
            # No issuer to record: whoever runs the command has the server's own access, not
            # a Shelfmark account (and token_create leaves the rules of token_issue to it).
            _, key = token_create(user=user, name=name, expires_at=expires_at, created_by=None)
        except DomainError as error:  # e.g. an inactive user: a message, not a traceback
            raise CommandError(error.message) from None
        self.stdout.write(key)
