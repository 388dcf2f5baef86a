"""Docker HEALTHCHECK: GET /healthz from the server in this container; healthy only on 200.

The Host header is the first ALLOWED_HOSTS entry, so the probe passes Django's host check in
production too (ALLOWED_HOSTS=library.example.org), where "127.0.0.1" would be refused with 400.
/healthz is exempt from the HTTPS redirect (SECURE_REDIRECT_EXEMPT), so plain http is right here.
"""

import http.client
import os
import sys


def probe_host() -> str:
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    host = hosts[0] if hosts else "localhost"
    if host == "*":
        return "localhost"
    return host.lstrip(".")  # ".example.org" allows example.org and its subdomains


def main() -> int:
    connection = http.client.HTTPConnection("127.0.0.1", 8000, timeout=5)
    try:
        # The user agent keeps these probes out of the access log (docker/gunicorn.conf.py).
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
