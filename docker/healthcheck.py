"""Docker HEALTHCHECK: GET /healthz from the server in this container; healthy only on 200.

With the argument ``worker`` (compose.yaml's worker service): healthy while the schedule runner
touches its heartbeat file (docker/entrypoint), that is while it reaches the database.

The Host header is the first ALLOWED_HOSTS entry, so the probe passes Django's host check in
production too (ALLOWED_HOSTS=library.example.org), where "127.0.0.1" would be refused with 400.
/healthz is exempt from the HTTPS redirect (SECURE_REDIRECT_EXEMPT), so plain http is right here.
"""

import http.client
import os
import sys
import time
from pathlib import Path

HEARTBEAT = Path("/tmp/shelfmark-worker-heartbeat")  # noqa: S108  (the container's own tmpfs)
# The runner looks at the schedule every 15 s; a few missed looks mean it is stuck or cut off.
HEARTBEAT_MAX_AGE = 90


def probe_host() -> str:
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    host = hosts[0] if hosts else "localhost"
    if host == "*":
        return "localhost"
    return host.lstrip(".")  # ".example.org" allows example.org and its subdomains


def worker() -> int:
    try:
        age = time.time() - HEARTBEAT.stat().st_mtime
    except FileNotFoundError:
        print("no heartbeat yet: the worker is starting, or cannot reach the database")
        return 1
    print(f"schedule looked at {age:.0f} s ago")
    return 0 if age <= HEARTBEAT_MAX_AGE else 1


def main() -> int:
    if sys.argv[1:] == ["worker"]:
        return worker()
    connection = http.client.HTTPConnection("127.0.0.1", 8000, timeout=5)
    try:
        # The user agent keeps these probes out of the request log (shelfmark/observability.py).
        headers = {"Host": probe_host(), "User-Agent": "shelfmark-healthcheck"}
        connection.request("GET", "/healthz", headers=headers)
        response = connection.getresponse()
        body = response.read(300).decode("utf-8", "replace")
    except OSError as error:
        print(f"no answer: {error}")
        return 1
    print(response.status, body)  # kept by docker: docker inspect --format '{{json .State.Health}}'
    return 0 if response.status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
