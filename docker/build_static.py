"""Image build step: collect the static files WhiteNoise serves, and keep only what it serves.

Run by the Dockerfile with throwaway SECRET_KEY/ALLOWED_HOSTS/DATABASE_URL values (the production
settings insist on them; nothing connects). Production mode (DEBUG=false) is required: it selects
WhiteNoise's CompressedManifestStaticFilesStorage, and it is the mode in which the packages' own
static folders are no longer read (WhiteNoise uses Django's finders only when DEBUG is on).

Together the two prunings below save about 29 MB.
"""

import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shelfmark.settings")

import django

django.setup()

from django.apps import apps  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

if settings.DEBUG:
    sys.exit("build_static.py needs DEBUG=false (manifest storage, no finders at run time).")

# 1. Pages link the hashed names (base.3f9a1c.css) through the manifest, so the unhashed copies
#    and their .gz are never requested: WhiteNoise deletes them (16 MB). WhiteNoise reads this
#    setting only here, in collectstatic's post-processing.
settings.WHITENOISE_KEEP_ONLY_HASHED_FILES = True
call_command("collectstatic", interactive=False, verbosity=0)

# 2. Installed packages' static/ folders (admin, REST framework, Swagger UI and ReDoc bundles)
#    are now in STATIC_ROOT, which is what the running app serves: the originals in the
#    virtualenv are a second copy (13 MB). The project's own apps are left as they are.
venv = Path(sys.prefix).resolve()
for app in apps.get_app_configs():
    static = Path(app.path, "static").resolve()
    if static.is_dir() and venv in static.parents:
        shutil.rmtree(static)
