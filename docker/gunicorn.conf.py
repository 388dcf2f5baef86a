"""gunicorn settings for the container. WEB_CONCURRENCY sets the number of workers; any other
setting can be overridden with GUNICORN_CMD_ARGS="--timeout 60" (compose passes it through) or
with arguments after `serve` (docker run IMAGE serve --timeout 60).

Why gunicorn with sync workers: measured on this app (GET /api/v1/books/, 2 workers, 2 cores,
wrk on 127.0.0.1, interleaved 10 s rounds), sync workers beat granian 2.8 on throughput and had a
2-3x lower p99 (16 connections: 390-422 vs 320-329 req/s, p99 50-71 vs 156-169 ms), and gthread
workers were erratic (one worker took most connections: about 177 req/s in most rounds). Sync
workers do not keep connections alive and a slow client holds a worker, so serve other machines
through a reverse proxy, as the README says for TLS anyway.
"""

from __future__ import annotations

import os
from typing import Any

wsgi_app = "shelfmark.wsgi:application"
bind = "0.0.0.0:8000"
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Load Django once in the master, then fork: faster start, shared memory, and an import error
# stops the container with the traceback instead of a crash loop of workers.
preload_app = True
# `docker stop` sends SIGTERM and waits 10 s before SIGKILL: finish in-flight requests for at
# most this long, then exit on our own.
graceful_timeout = 5
timeout = 30
# No access log of gunicorn's own: the application writes one line per request, with its id,
# route, user and duration (shelfmark.requests; JSON in production), and leaves out the
# container's own health probe.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Heartbeat files in memory, not on the (read-only) container file system.
worker_tmp_dir = "/dev/shm"  # noqa: S108  (the container's own private tmpfs)
# gunicorn's control socket would live in $HOME, which the app user does not have.
control_socket_disable = True


def child_exit(server: Any, worker: Any) -> None:
    """A worker gone: its metrics files stop counting as live (prometheus_client's multiprocess
    mode, PROMETHEUS_MULTIPROC_DIR, which the entrypoint sets; shelfmark/metrics.py)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
