"""manage.py restore FILE: a backup (manage.py backup) replaces the database's contents and the
media files (core.backups).

    python manage.py restore shelfmark-backup-20261206-2100.tar
    docker compose exec -T web manage restore --no-input - < shelfmark.tar   # from stdin
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from core.backups import BackupError, backup_restore


class Command(BaseCommand):
    help = "Restore a backup: it replaces everything in the database and the media files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The backup ('-' reads it from standard input).")
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="Do not ask for a confirmation (needed when the backup comes on stdin).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from_stdin = options["file"] == "-"
        if options["interactive"]:
            if from_stdin or not sys.stdin.isatty():
                raise CommandError("Add --no-input to restore without a question.")
            name = connection.settings_dict["NAME"]
            answer = input(
                f"This replaces everything in the database {name} and the media files with "
                f"the backup's. Type 'yes' to go on: "
            )
            if answer != "yes":
                raise CommandError("Nothing restored.")
        try:
            if from_stdin:
                with tempfile.TemporaryDirectory() as work:
                    path = Path(work) / "backup.tar"
                    with path.open("wb") as backup:
                        shutil.copyfileobj(sys.stdin.buffer, backup)
                    backup_restore(path, progress=self.stdout.write)
            else:
                path = Path(options["file"])
                if not path.is_file():
                    raise CommandError(f"No file {path}.")
                backup_restore(path, progress=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from error
