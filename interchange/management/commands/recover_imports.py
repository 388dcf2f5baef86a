"""manage.py recover_imports: the runs whose worker ended before they finished, run again, here
and now (the schedule does it every minute)."""

from __future__ import annotations

from typing import Any

from core.management.task_command import TaskCommand
from interchange import tasks
from interchange.services.uploads import imports_recover


class Command(TaskCommand):
    help = (
        "Queue again every import still marked running whose worker ended before it finished "
        "(killed, its container stopped), from the start of its file: what is in already is "
        "matched, not added twice. After 3 tries, or for a command's run (no stored file), the "
        "run fails with a message instead. The schedule does this every minute."
    )
    task = tasks.recover_imports

    def run_here(self, **options: Any) -> None:
        recovered = imports_recover()
        self.stdout.write(
            f"{len(recovered)} import run(s) recovered"
            + (f": {', '.join(map(str, recovered))}." if recovered else ".")
        )
