# Shelfmark production image. Build: docker compose build (or docker build -t shelfmark .)
# Only stand-in-compatible features: no `syntax=` line, no heredocs, no remote COPY --from.

# --- build: the locked dependencies in a virtualenv, the app, collected static files ---------
FROM python:3.13-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONPATH=/app

# strip, for the compiled modules below; binutils stays in this stage.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends binutils \
    && rm -rf /var/lib/apt/lists/*

# The virtualenv gets no pip/setuptools of its own: the image's pip installs into it through
# --python, so the runtime image carries only what requirements/main.txt locks.
RUN python -m venv --without-pip /opt/venv
COPY requirements/main.txt /tmp/requirements.txt
RUN --mount=type=cache,target=/root/.cache/pip \
    pip --python /opt/venv/bin/python install --require-hashes --no-deps --no-compile \
        -r /tmp/requirements.txt \
    # Translation sources (.po) and packages' own test suites are never read at run time; the
    # compiled translations (.mo) stay.
    && find /opt/venv -name '*.po' -delete \
    && find /opt/venv/lib -depth -type d -name tests -path '*/site-packages/*/tests' -exec rm -rf {} + \
    # Debug symbols of the compiled modules (PyYAML's alone are 2.4 MB, Pillow's 2.7 MB): nothing
    # reads them. Only the modules (*.so), not the libraries the wheels bundle (*.so.N), which
    # come stripped. docker/build_static.py imports every module afterwards.
    && find /opt/venv -name '*.so' -type f -exec strip --strip-unneeded {} +

WORKDIR /app
COPY . /app

# Static files collected for WhiteNoise, then what the running image never reads goes: the apps'
# static sources, source maps, other languages' translations, Pillow's unused codecs; then every
# compiled module is imported and a cover of each format checked (docker/build_static.py). The
# settings insist on a secret key, allowed hosts and a database in production mode: these
# throwaway values exist only in this RUN, and nothing connects.
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

# pg_dump and pg_restore for manage.py backup and restore (core/backups.py), of the database
# service's major version: the two programs from Debian's postgresql-client-17 and the libpq they
# need, not the whole package, whose wrapper scripts would bring Perl (about 30 MB).
# Not pinned (DL3008): Debian's security updates replace the versions; the package's name fixes
# the major version, which is what must match the server.
WORKDIR /tmp
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 \
    && apt-get download postgresql-client-17 \
    && dpkg-deb -x postgresql-client-17_*.deb /tmp/pgclient \
    && install -m 0755 /tmp/pgclient/usr/lib/postgresql/17/bin/pg_dump \
        /tmp/pgclient/usr/lib/postgresql/17/bin/pg_restore /usr/local/bin/ \
    && rm -rf /tmp/pgclient /tmp/postgresql-client-17_*.deb /var/lib/apt/lists/* \
    && pg_dump --version && pg_restore --version

# The image's own layers (docker history, uncompressed; the base is 196 MB as docker-standin
# builds python:3.13-slim):            before issue 18 item 7   now
#   pg_dump, pg_restore and libpq             4.9 MB           4.9 MB
#   /opt/venv                                76.1 MB          53.6 MB
#   /app (of which staticfiles)        19.2 (17.2) MB    8.9 (6.6) MB
#   total                                   100.3 MB          67.4 MB
# Gone: source maps and unminified twins (9.9 MB), other languages' translations (7.4 MB),
# Pillow's unused codecs (9.2 MB), debug symbols (6.0 MB), the project's static sources (0.4 MB).
# The largest of what is left: psycopg-binary's own libpq, OpenSSL, Kerberos and LDAP (9.6 MB,
# a second copy of what libpq5 above brings; psycopg[c] compiled in the build stage against
# libpq-dev would drop it, but the lock must first carry psycopg-c and hash-pinned build
# requirements; the pure-Python psycopg measured 10x slower fetching rows), Pillow (8.3 MB, 2.1 MB
# of it padding in the wheel's libXau; built from its locked sdist against Debian's libjpeg and
# libwebp, about 4 MB, with the same build-requirements lock), Django (5.9 MB), reportlab
# (4.8 MB), python-stdnum (3.3 MB), redis (2.6 MB), Sentry (2.2 MB).
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
