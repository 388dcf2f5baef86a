"""The interchange app's background work, as tasks of Django's Tasks API (the django-tasks
backport): imports uploaded on the staff website, run by the worker (`manage.py run_schedule
--worker` with Docker and ./scripts/serve, or `manage.py db_worker`).

The work is ``interchange.services.execution.import_execute``: the task is a thin wrapper, whose
JSON result (kept with the task, in the admin) says how the run ended. The services that queue
it (``interchange.services.uploads``) import this module; it imports only the one it runs. On the
schedule: ``recover_imports`` every minute (the runs whose worker ended before they finished run
again) and the daily purge.
"""

from __future__ import annotations

from typing import Any

from django_tasks import task

from interchange.services.execution import import_execute
from interchange.services.purge import interchange_purge


@task()
def execute_import(run_id: int, language: str = "") -> dict[str, Any]:
    """Run the queued import ``run_id`` (a preview's dry run, or the real import), its report
    and message in ``language`` (the one of the person who queued it; "": the site's)."""
    run = import_execute(run_id=run_id, language=language)
    if run is None:
        return {"run": run_id, "status": "not queued"}
    return {
        "run": run.pk,
        "status": run.status,
        "records": run.records,
        "created": run.created,
        "updated": run.updated,
        "skipped": run.skipped,
        "failed": run.failed,
        "warnings": run.warnings,
        "message": run.message,
    }


@task()
def recover_imports() -> dict[str, list[int]]:
    """Every minute: the runs whose worker ended before they finished, run again."""
    # Here, not above: the module that queues imports (uploads) imports this one.
    from interchange.services.uploads import imports_recover

    return {"recovered": imports_recover()}


@task()
def purge_interchange_records() -> dict[str, int]:
    """Daily: previews never confirmed, old import files, expired ISBN answers."""
    return interchange_purge()
