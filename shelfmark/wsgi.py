"""WSGI entry point for production servers (gunicorn shelfmark.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shelfmark.settings")

application = get_wsgi_application()
