"""manage.py backup [FILE]: the database and the media files in one file (core.backups).

python manage.py backup                       # shelfmark-backup-<date>-<time>.tar here
python manage.py backup /backups/nightly.tar
docker compose exec -T web manage backup - > shelfmark.tar   # "-": to standard output
"""

from __future__ import annotations

import datetime
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.backups import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the database and the media files (covers, import files) into one file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file",
            nargs="?",
            help="Where to write it (default: shelfmark-backup-<date>-<time>.tar here; "
            "'-' writes it to standard output).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        to_stdout = options["file"] == "-"
        # Progress to stderr when the backup itself goes to stdout.
        say = self.stderr.write if to_stdout else self.stdout.write
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        try:
            if to_stdout:
                with tempfile.TemporaryDirectory() as work:
                    path = Path(work) / "backup.tar"
                    backup_create(path, progress=say)
                    with path.open("rb") as backup:
                        shutil.copyfileobj(backup, sys.stdout.buffer)
                    sys.stdout.buffer.flush()
            else:
                path = Path(options["file"] or f"shelfmark-backup-{stamp}.tar")
                backup_create(path, progress=say)
        except BackupError as error:
            raise CommandError(str(error)) from error
