# Shelfmark production image. Build: docker compose build (or docker build -t shelfmark .)
# Only stand-in-compatible features: no `syntax=` line, no heredocs, no remote COPY --from.

# --- build: the locked dependencies in a virtualenv, the app, collected static files ---------
FROM python:3.13-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONPATH=/app

# strip, for the compiled modules below; a C compiler and the headers of Debian's libpq, libjpeg
# and libwebp, for psycopg's C implementation and Pillow, built here from their sdists. All of
# this stays in this stage: the runtime stage gets the libraries alone.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends binutils gcc libpq-dev libjpeg62-turbo-dev \
        libwebp-dev \
    && rm -rf /var/lib/apt/lists/*

# The hash-locked requirements, split (a requirement is its first line and the indented lines
# under it): what installs from PyPI's wheels (main.txt without psycopg-binary, pillow and
# tzdata), what builds from its sdist (pillow, from main.txt; psycopg-c, from docker.txt) and the
# tools those builds need (the rest of docker.txt).
# - psycopg-binary bundles its own libpq, OpenSSL, Kerberos and LDAP (9.6 MB): psycopg-c is the
#   same C implementation, linked to Debian's libpq5, which the runtime stage has for pg_dump.
# - Pillow's wheel bundles libjpeg, libwebp, libtiff, OpenJPEG, XCB and others (6.1 MB, 2.1 MB
#   of it padding): built here against Debian's libjpeg and libwebp, JPEG 2000, TIFF, XCB,
#   FreeType, Little CMS, AVIF and libimagequant left out (the app reads JPEG, PNG, GIF and
#   WebP covers, docker/build_static.py).
# - tzdata (the zone database as a Python package, 0.6 MB) is only zoneinfo's fallback: Python
#   reads Debian's /usr/share/zoneinfo first, which the base image has (its tzdata package).
# Local development and CI keep main.txt whole (psycopg[binary]: no compiler needed there).
COPY requirements/main.txt requirements/docker.txt /tmp/requirements/
RUN awk '/^[^ #]/ { keep = $0 !~ /^(psycopg-binary|pillow|tzdata)==/ } keep' \
        /tmp/requirements/main.txt >/tmp/requirements/wheels.txt \
    && awk '/^[^ #]/ { keep = $0 ~ /^pillow==/ } keep' \
        /tmp/requirements/main.txt >/tmp/requirements/pillow.txt \
    && awk '/^[^ #]/ { keep = $0 ~ /^psycopg-c==/ } keep' \
        /tmp/requirements/docker.txt >/tmp/requirements/psycopg-c.txt \
    && awk '/^[^ #]/ { keep = $0 !~ /^psycopg-c==/ } keep' \
        /tmp/requirements/docker.txt >/tmp/requirements/build-tools.txt \
    && ! grep -Eq '^(psycopg-binary|pillow|tzdata)==' /tmp/requirements/wheels.txt \
    && grep -q '^pillow==' /tmp/requirements/pillow.txt \
    && grep -q '^psycopg-c==' /tmp/requirements/psycopg-c.txt

# The two builds, with the locked build tools installed into this stage's own Python (never the
# virtualenv) and each sdist's hash checked; --check-build-dependencies fails the build when the
# lock no longer matches what an sdist's pyproject.toml asks for. psycopg-c finds libpq through
# libpq-dev's pg_config. Pillow: -C ...=disable makes leaving a library out explicit, and
# webp=enable makes a missing libwebp an error rather than a Pillow without WebP.
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --require-hashes --no-deps -r /tmp/requirements/build-tools.txt \
    && pip wheel --require-hashes --no-deps --no-build-isolation --check-build-dependencies \
        --no-binary psycopg-c -w /tmp/wheels -r /tmp/requirements/psycopg-c.txt \
    && pip wheel --require-hashes --no-deps --no-build-isolation --check-build-dependencies \
        --no-binary pillow -w /tmp/wheels -r /tmp/requirements/pillow.txt \
        -C jpeg=enable -C zlib=enable -C webp=enable -C tiff=disable -C jpeg2000=disable \
        -C xcb=disable -C freetype=disable -C raqm=disable -C lcms=disable -C avif=disable \
        -C imagequant=disable

# The virtualenv gets no pip/setuptools of its own: the image's pip installs into it through
# --python, so the runtime image carries only what the locks name. The wheels built above are
# installed from their files (their sdists' hashes were checked when they were built).
RUN python -m venv --without-pip /opt/venv
RUN --mount=type=cache,target=/root/.cache/pip \
    pip --python /opt/venv/bin/python install --require-hashes --no-deps --no-compile \
        -r /tmp/requirements/wheels.txt \
    && pip --python /opt/venv/bin/python install --no-index --no-deps --no-compile \
        /tmp/wheels/*.whl \
    # Translation sources (.po), packages' own test suites and type stubs (.pyi, and Cython's
    # .pxd declarations) are never read at run time; the compiled translations (.mo) stay.
    && find /opt/venv \( -name '*.po' -o -name '*.pyi' -o -name '*.pxd' \) -delete \
    && find /opt/venv/lib -depth -type d -name tests -path '*/site-packages/*/tests' -exec rm -rf {} + \
    # Debug symbols of the compiled modules (PyYAML's alone are 2.4 MB): nothing reads them.
    # docker/build_static.py imports every module afterwards.
    && find /opt/venv -name '*.so' -type f -exec strip --strip-unneeded {} +

WORKDIR /app
COPY . /app

# Static files collected for WhiteNoise, then what the running image never reads goes: the apps'
# static sources, source maps, other languages' translations, Pillow's Tk module, python-stdnum's
# data files but isbn.dat, reportlab's fonts but Vera; then every compiled module is imported,
# psycopg's C implementation, a cover of each format, an ISBN's hyphens, the labels and the time
# zones checked (docker/build_static.py). The settings insist on a secret key, allowed hosts and
# a database in production mode: these throwaway values exist only in this RUN, and nothing
# connects.
RUN DEBUG=false SECRET_KEY=build-only-not-a-secret ALLOWED_HOSTS=build.invalid \
        DATABASE_URL=sqlite://:memory: STATIC_ROOT=/app/staticfiles \
        /opt/venv/bin/python docker/build_static.py

# --- runtime -------------------------------------------------------------------------------------
FROM python:3.13-slim

# What the image is, for registries and scanners (OCI annotations): the revision is the commit
# it was built from, the source where that commit can be found; a release build passes both
# (README, "Run with Docker": --build-arg REVISION="$(git rev-parse HEAD)" --build-arg SOURCE=…).
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=""
LABEL org.opencontainers.image.title="Shelfmark" \
      org.opencontainers.image.description="Library catalog, circulation desk and REST API" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}"

# No .pyc files in the image (they would add 19 MB): Python caches the bytecode it compiles under
# /tmp/pycache instead (a tmpfs in compose.yaml). The start-up step (wait for the database,
# migrate) compiles Django once, about 1.5 s, and gunicorn, started right after it, reuses that.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPYCACHEPREFIX=/tmp/pycache \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=shelfmark.settings \
    DEBUG=false \
    STATIC_ROOT=/app/staticfiles \
    SHELFMARK_DATA_DIR=/var/lib/shelfmark \
    MEDIA_ROOT=/var/lib/shelfmark/media

# A system user without a login shell or home, uid and gid 10001 (compose.yaml makes the generated
# database password readable by group 10001). /var/lib/shelfmark holds the secret key that the
# entrypoint generates when SECRET_KEY is unset (compose.yaml's SECRET_KEY_FILE points at it),
# the saved admin password and, without DATABASE_URL, the SQLite database; compose mounts a named
# volume there, which starts with this directory's owner and mode.
RUN groupadd --system --gid 10001 shelfmark \
    && useradd --system --uid 10001 --gid shelfmark --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin shelfmark \
    && install -d -o shelfmark -g shelfmark -m 0700 /var/lib/shelfmark \
    && ln -s /app/docker/manage /usr/local/bin/manage

# The libraries the modules built in the build stage link to: libpq (psycopg's C implementation),
# libjpeg and libwebp (Pillow). And pg_dump and pg_restore for manage.py backup and restore
# (core/backups.py), of the database service's major version: the two programs from Debian's
# postgresql-client-17, with the same libpq, not the whole package, whose wrapper scripts would
# bring Perl (about 30 MB).
# Not pinned (DL3008): Debian's security updates replace the versions; the package's name fixes
# the major version, which is what must match the server.
WORKDIR /tmp
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 libjpeg62-turbo libwebp7 libwebpmux3 \
        libwebpdemux2 \
    && apt-get download postgresql-client-17 \
    && dpkg-deb -x postgresql-client-17_*.deb /tmp/pgclient \
    && install -m 0755 /tmp/pgclient/usr/lib/postgresql/17/bin/pg_dump \
        /tmp/pgclient/usr/lib/postgresql/17/bin/pg_restore /usr/local/bin/ \
    && rm -rf /tmp/pgclient /tmp/postgresql-client-17_*.deb /var/lib/apt/lists/* \
    && pg_dump --version && pg_restore --version

# The image's own layers (docker history, uncompressed; the base is 196.1 MB as docker-standin
# builds python:3.13-slim). Issue 18 item 7 took them from 100.3 MB to 67.4 MB first (source maps
# and unminified twins 9.9 MB, other languages' translations 7.4 MB, Pillow's unused codecs
# 9.2 MB, debug symbols 6.0 MB, the project's static sources 0.4 MB), then:
#                                                 before      after
#   libpq, libjpeg, libwebp, pg_dump, pg_restore   4.9 MB      6.2 MB
#   /opt/venv                                     53.6 MB     32.7 MB
#   /app (of which staticfiles)            8.9 (6.6) MB  8.9 (6.6) MB
#   total                                         67.4 MB     47.9 MB
# Gone from /opt/venv (20.9 MB): psycopg-binary with its own libpq, OpenSSL, Kerberos and LDAP
# (10.8 MB; psycopg-c, built against Debian's libpq5, is 1.1 MB), Pillow's bundled libraries and
# unused modules (6.7 MB; Debian's libjpeg and libwebp add 1.3 MB above), python-stdnum's
# data files but isbn.dat (2.3 MB), reportlab's fonts but Vera (1.6 MB), the tzdata package
# (0.6 MB), type stubs (0.1 MB). The largest of what is left: Django (5.9 MB), reportlab (3.3 MB),
# redis (2.6 MB), Sentry (2.2 MB), iso639's tables (1.9 MB), Pillow (1.7 MB); in /app, Swagger UI
# and ReDoc (4.0 MB with their .gz twins, which WhiteNoise serves).
# Root owns the code and the virtualenv: the app user can read but not change them.
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app

WORKDIR /app
USER 10001:10001
EXPOSE 8000

# python, not curl: the slim base has no curl, and one more package would only serve the probe.
HEALTHCHECK --interval=10s --timeout=6s --start-period=60s --retries=3 \
    CMD ["python", "/app/docker/healthcheck.py"]

ENTRYPOINT ["/app/docker/entrypoint"]
CMD ["serve"]
