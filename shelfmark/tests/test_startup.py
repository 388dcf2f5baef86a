"""What a web worker loads before its first request: the heavy libraries that only imports,
exports, ISBN look-ups, covers and calendar feeds use are imported by those, on first use, so a
worker serving the catalog stays small (issue 15: worker RSS under 80 MB).

A fresh Python in a subprocess loads the production WSGI application and the URL configuration,
as gunicorn's worker does, and reports which of those libraries it imported.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

# Each with what imports it on first use.
LOADED_ON_FIRST_USE = {
    "httpx": "interchange.openlibrary (ISBN look-ups, covers)",
    "pymarc": "interchange.marc, the MARCXML export, SRU's MARCXML records",
    "iso639": "interchange.languages, Open Library's answers",
    "icalendar": "circulation.views.feed (calendar feeds)",
    "ijson": "interchange.formats.jsonfile (JSON imports)",
    "PIL": "catalog.rules.clean_cover (covers), labels.pdf (through reportlab)",
    "reportlab.pdfgen": "labels.pdf (drawing labels)",
}

WORKER_STARTUP = """
import json, sys
from shelfmark.wsgi import application
from django.urls import get_resolver
get_resolver().url_patterns  # every URL conf, and so every view module
print(json.dumps(sorted(name for name in %r if name in sys.modules)))
"""


def _production_python(script: str) -> str:
    """Run ``script`` in a fresh Python with the production settings; its last line of output."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "DEBUG", "SECRET_KEY"))
    }
    environment |= {
        "DJANGO_SETTINGS_MODULE": "shelfmark.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "localhost",
        "DATABASE_URL": "",
    }
    result = subprocess.run(  # noqa: S603 - this interpreter, a script of our own
        [sys.executable, "-c", script],
        cwd=Path(settings.BASE_DIR),
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_a_web_worker_starts_without_the_libraries_only_some_requests_use():
    loaded = json.loads(_production_python(WORKER_STARTUP % (sorted(LOADED_ON_FIRST_USE),)))
    assert loaded == [], {name: LOADED_ON_FIRST_USE[name] for name in loaded}


def test_the_etag_seed_is_taken_as_the_application_loads():
    """gunicorn preloads the application in its master and forks the workers: what they must
    share, such as the start that ETags carry (shelfmark.conditional), has to be there before
    the first request, or each worker would take its own and never answer the other's 304."""
    script = "import sys; from shelfmark.wsgi import application; "
    script += "print('shelfmark.conditional' in sys.modules)"
    assert _production_python(script) == "True"
