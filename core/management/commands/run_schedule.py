from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection
from django.utils import timezone

from core.schedule import SCHEDULE, Periodic, schedule_prepare, schedule_tick

logger = logging.getLogger("core.schedule")


def _every(job: Periodic) -> str:
    seconds = int(job.every.total_seconds())
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


class Command(BaseCommand):
    help = (
        "Enqueue the periodic work the apps put on the schedule (notices, hold expiry, purges; "
        "it lists them as it starts) when it is due. Any number of these may run: each run is "
        "enqueued once. "
        "With --worker, also run the tasks (the worker of django-tasks, db_worker), in this "
        "process: what compose.yaml's worker service and ./scripts/serve run. With --once, do "
        "what is due now and exit (from cron: `run_schedule --once --worker` every few minutes)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--worker", action="store_true", help="Also run the enqueued tasks (db_worker)."
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="Enqueue what is due now and exit; with --worker, run every queued task first.",
        )
        parser.add_argument(
            "--tick",
            type=float,
            default=15,
            metavar="SECONDS",
            help="How often to look at the schedule (default 15).",
        )
        parser.add_argument(
            "--worker-interval",
            type=float,
            default=1,
            metavar="SECONDS",
            help="How often the worker looks for new tasks when it has none (default 1).",
        )
        parser.add_argument(
            "--heartbeat",
            type=Path,
            metavar="FILE",
            help="Touch this file after each look at the schedule (a health check reads it).",
        )

    def handle(
        self,
        *args: Any,
        worker: bool,
        once: bool,
        tick: float,
        worker_interval: float,
        heartbeat: Path | None,
        **options: Any,
    ) -> None:
        schedule_prepare()
        if once:
            self._tick(heartbeat)
            if worker:
                self._run_worker(worker_interval, batch=True, verbosity=options["verbosity"])
            return
        self.stdout.write(
            "Schedule: "
            + ", ".join(f"{job.name} every {_every(job)}" for job in SCHEDULE)
            + f"; looking every {tick:g} s."
            + (" Running the tasks here too." if worker else " Tasks run in a worker (db_worker).")
        )
        if not worker:
            signal.signal(signal.SIGTERM, self._stop)
            self._loop(tick, heartbeat)
            return
        # The worker installs its signal handlers, which only the main thread may do: the
        # schedule runs beside it, in a thread that ends with the process.
        connection.close()  # the thread opens its own
        threading.Thread(
            target=self._loop, args=(tick, heartbeat), name="schedule", daemon=True
        ).start()
        self._run_worker(worker_interval, batch=False, verbosity=options["verbosity"])

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    def _run_worker(self, interval: float, *, batch: bool, verbosity: int) -> None:
        call_command(
            "db_worker",
            interval=interval,
            batch=batch,
            reload=False,  # DEBUG would turn it on: a reloader cannot restart this thread
            startup_delay=False,
            verbosity=verbosity,
            stdout=self.stdout,
            stderr=self.stderr,
        )

    def _loop(self, tick: float, heartbeat: Path | None) -> None:
        while True:
            try:
                self._tick(heartbeat)
            except Exception:  # the database away for a moment: say so, try again next tick
                logger.exception("The schedule could not be checked; trying again.")
            time.sleep(tick)

    def _tick(self, heartbeat: Path | None) -> None:
        close_old_connections()
        for enqueued in schedule_tick():
            self.stdout.write(
                f"{timezone.localtime():%Y-%m-%d %H:%M:%S} enqueued {enqueued.name} "
                f"(task {enqueued.task_id})"
            )
        if heartbeat is not None:
            heartbeat.touch()
