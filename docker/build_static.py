"""Image build step: collect the static files WhiteNoise serves, then keep only what the running
image reads, and check that what is left still works.

Run by the Dockerfile with throwaway SECRET_KEY/ALLOWED_HOSTS/DATABASE_URL values (the production
settings insist on them; nothing connects). Production mode (DEBUG=false) is required: it selects
WhiteNoise's CompressedManifestStaticFilesStorage, and it is the mode in which the apps' own
static folders are no longer read (WhiteNoise uses Django's finders only when DEBUG is on).

What goes, measured on the image (uncompressed layer sizes; the Dockerfile has the totals):
1. unhashed copies of the collected files: 16 MB;
2. source maps and the unminified twins of minified files in STATIC_ROOT: 9.9 MB;
3. the apps' static folders: 13 MB in the virtualenv, 0.4 MB in /app;
4. translations of languages the site does not offer: 7.4 MB;
5. Pillow's modules for what the app never does with an image: 9.2 MB.
"""

import importlib
import io
import json
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
from django.utils.translation import to_locale  # noqa: E402

if settings.DEBUG:
    sys.exit("build_static.py needs DEBUG=false (manifest storage, no finders at run time).")

VENV = Path(sys.prefix).resolve()
SITE_PACKAGES = next(VENV.glob("lib/python3*/site-packages"))
STATIC_ROOT = Path(settings.STATIC_ROOT)


# 1. Pages link the hashed names (base.3f9a1c.css) through the manifest, so the unhashed copies
#    and their .gz are never requested: WhiteNoise deletes them. WhiteNoise reads this setting
#    only here, in collectstatic's post-processing.
settings.WHITENOISE_KEEP_ONLY_HASHED_FILES = True
call_command("collectstatic", interactive=False, verbosity=0)

# 2. Files no page asks for: source maps (Swagger UI's, ReDoc's, Bootstrap's; only a browser's
#    developer tools fetch them, and get a 404), and the unminified twin of a minified file
#    (Django's admin links jquery.js, select2.full.js, xregexp.js and select2.css only when
#    DEBUG is on). Their manifest entries stay, so a {% static %} naming one cannot fail a page.
#    No template or script builds a static URL by hand: every one goes through {% static %}.
names = json.loads((STATIC_ROOT / "staticfiles.json").read_text())["paths"]  # the manifest
for name, hashed in names.items():
    stem, _, extension = name.rpartition(".")
    unminified_twin = extension in {"js", "css"} and not stem.endswith(".min")
    if name.endswith(".map") or (unminified_twin and f"{stem}.min.{extension}" in names):
        for suffix in ("", ".gz", ".br"):
            (STATIC_ROOT / f"{hashed}{suffix}").unlink(missing_ok=True)

# 3. The apps' static/ folders (Django's admin, REST framework, Swagger UI and ReDoc bundles, the
#    project's own scripts and styles) are now in STATIC_ROOT, which is what the running app
#    serves: the originals are a second copy. Nothing reads them at run time (collectstatic is
#    not run in the container).
for app in apps.get_app_configs():
    static = Path(app.path, "static")
    if static.is_dir():
        shutil.rmtree(static)

# 4. Translations: the packages' catalogs for the languages in settings.LANGUAGES (and their
#    base language: gettext looks up pt_BR, then pt) stay, with Django's date formats for them;
#    the other 90-odd languages can never be activated (LocaleMiddleware picks from LANGUAGES).
#    A language added to LANGUAGES keeps its catalogs with the next build.
offered = {to_locale(code) for code, _name in settings.LANGUAGES}
offered |= {name.split("_")[0] for name in offered}
for locale in SITE_PACKAGES.glob("**/locale"):
    for language in locale.iterdir():
        catalog = (language / "LC_MESSAGES").is_dir() or (language / "formats.py").is_file()
        if catalog and language.name not in offered:
            shutil.rmtree(language)

# 5. Pillow is here to read the header of a cover image and verify the file: JPEG, PNG, GIF and
#    WebP (catalog.rules.clean_cover, interchange.openlibrary.covers). The wheel also brings
#    AVIF (libavif alone is 5 MB), text drawing (FreeType, HarfBuzz, Brotli, libpng), colour
#    management (Little CMS) and Tk: the app uses none of them, and Pillow without them is a
#    normal Pillow (PIL.features reports them missing; an AVIF cover is refused as "not an image
#    file" rather than "not JPEG, PNG, GIF or WebP"). _imaging needs JPEG, JPEG 2000, TIFF and
#    XCB's libraries, which stay.
for pattern in (
    *("PIL/_avif.*.so", "PIL/_imagingft.*.so", "PIL/_imagingcms.*.so", "PIL/_imagingtk.*.so"),
    *("pillow.libs/libavif-*", "pillow.libs/libfreetype-*", "pillow.libs/libharfbuzz-*"),
    *("pillow.libs/libbrotli*", "pillow.libs/libpng16-*", "pillow.libs/liblcms2-*"),
):
    for path in SITE_PACKAGES.glob(pattern):
        path.unlink()

# Checks: every compiled module left in the virtualenv imports (the Dockerfile strips their debug
# symbols), and a cover of each accepted format passes the app's own rule.
for library in sorted(SITE_PACKAGES.glob("**/*.so")):
    module = library.relative_to(SITE_PACKAGES).with_suffix("").with_suffix("")
    importlib.import_module(".".join(module.parts))

from PIL import Image  # noqa: E402

from catalog.rules import COVER_FORMATS, clean_cover  # noqa: E402

for image_format in COVER_FORMATS:
    data = io.BytesIO()
    Image.new("RGB", (8, 12), "teal").save(data, image_format)
    cover = clean_cover(data.getvalue())
    if (cover.extension, cover.width, cover.height) != (COVER_FORMATS[image_format][0], 8, 12):
        sys.exit(f"Pillow read a {image_format} cover wrong: {cover}")
