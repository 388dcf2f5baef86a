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
5. Pillow's Tk module (the Dockerfile now builds Pillow without the libraries the app never
   uses; when the wheel's bundled ones were deleted here, its unused codecs were 9.2 MB);
6. python-stdnum's data files for numbers other than ISBNs: 2.3 MB;
7. reportlab's fonts other than Bitstream Vera: 1.6 MB.
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
#    WebP (catalog.rules.clean_cover, interchange.openlibrary.covers). The Dockerfile builds it
#    from its sdist against Debian's libjpeg and libwebp (and zlib), without AVIF, text drawing
#    (FreeType, HarfBuzz), colour management (Little CMS), JPEG 2000, TIFF, XCB or libimagequant:
#    the app uses none of them, and Pillow without them is a normal Pillow (PIL.features reports
#    them missing; an AVIF cover is refused as "not an image file" rather than "not JPEG, PNG,
#    GIF or WebP"). Its Tk module, built whatever the libraries, goes too: there is no Tk here.
for path in SITE_PACKAGES.glob("PIL/_imagingtk.*.so"):
    path.unlink()

# 6. python-stdnum checks ISBNs (catalog/isbn.py, the only module that imports it: stdnum.isbn,
#    which uses stdnum.ean, stdnum.util and stdnum.exceptions) and hyphenates them from
#    isbn.dat (stdnum.numdb). Its other data files (network and telephone prefixes, postcodes,
#    bank codes, industry classifications: 2.3 MB, oui.dat alone 1.2 MB) serve number formats the
#    app never checks. A module that reads one of them fails with FileNotFoundError, loudly.
STDNUM_DATA_READ = {"isbn.dat"}
for path in (SITE_PACKAGES / "stdnum").glob("**/*.dat"):
    if path.relative_to(SITE_PACKAGES / "stdnum").as_posix() not in STDNUM_DATA_READ:
        path.unlink()

# 7. reportlab draws the labels (labels/pdf.py) with Bitstream Vera (Vera.ttf, VeraBd.ttf, or the
#    font file in settings.LABEL_FONT_FILE), the barcodes' text with Helvetica, one of the
#    standard PDF fonts that needs no file (their metrics are in reportlab.pdfbase._fontdata).
#    The Type 1 fonts (.pfb, .afm: the standard fonts' outlines, for rendering to bitmaps and
#    for embedding, which labels never do), DarkGarden (a FontForge source and its font) and
#    HarfBuzz's test font are never opened. The Vera family stays whole, with its licence.
REPORTLAB_FONTS_KEPT = {"bitstream-vera-license.txt", "00readme.txt"}
for path in (SITE_PACKAGES / "reportlab" / "fonts").iterdir():
    if not (path.name.startswith("Vera") or path.name in REPORTLAB_FONTS_KEPT):
        path.unlink()

# Checks: every compiled module left in the virtualenv imports (the Dockerfile strips their debug
# symbols), psycopg uses its C implementation (psycopg-c, built against Debian's libpq), a cover
# of each accepted format passes the app's own rule, an ISBN is hyphenated (isbn.dat), labels of
# each kind and symbology draw with the fonts left, and the time zones resolve from Debian's
# zone database (the Dockerfile installs no tzdata package).
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

import psycopg  # noqa: E402

if psycopg.pq.__impl__ != "c":
    sys.exit(f"psycopg uses its {psycopg.pq.__impl__} implementation, not the C one (psycopg-c)")

from PIL import features  # noqa: E402

missing = [name for name in ("jpg", "zlib", "webp") if not features.check(name)]
if missing:
    sys.exit(f"Pillow was built without {', '.join(missing)}")

from catalog.isbn import format_isbn  # noqa: E402

if format_isbn("9780141439518") != "978-0-14-143951-8":
    sys.exit(f"stdnum hyphenated an ISBN wrong: {format_isbn('9780141439518')}")

from labels.kinds import LabelCopy, LabelKind, Symbology  # noqa: E402
from labels.layouts import layout_named, layout_names  # noqa: E402
from labels.pdf import labels_pdf  # noqa: E402

label = LabelCopy(barcode="31234000012345", call_number="823.8 DIC", title="Große Erwartungen")
for kind in LabelKind:
    for symbology in Symbology:
        pdf = labels_pdf(
            [label], layout=layout_named(layout_names()[0]), kind=kind, symbology=symbology
        )
        if not pdf.startswith(b"%PDF-"):
            sys.exit(f"reportlab drew no PDF for a {kind} label in {symbology}")

import zoneinfo  # noqa: E402
from importlib.util import find_spec  # noqa: E402

if find_spec("tzdata") is not None:
    sys.exit("The tzdata package is installed: the image reads Debian's zone database.")
for zone in (settings.TIME_ZONE, "Europe/Berlin", "America/New_York", "Pacific/Auckland"):
    zoneinfo.ZoneInfo(zone)  # ZoneInfoNotFoundError without /usr/share/zoneinfo
