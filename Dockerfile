# syntax=docker/dockerfile:1
# Build: a virtualenv with the locked dependencies (requirements.lock, hash-checked), then a
# wheel of Hitflow installed in it without resolving anything again.
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
# The dependencies first: this layer is rebuilt only when the lock file changes.
COPY requirements.lock ./
RUN python -m venv /opt/hitflow \
 && /opt/hitflow/bin/pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY api ./api
COPY workers ./workers
# --no-deps: everything Hitflow needs is in the lock; `pip check` fails the build otherwise.
RUN pip wheel --no-deps --wheel-dir /dist . \
 && /opt/hitflow/bin/pip install --no-deps /dist/*.whl \
 && /opt/hitflow/bin/pip check

# Runtime: the virtualenv only, run by an unprivileged user, plus the PostgreSQL client
# tools that `hitflow backup` / `restore` call (pg_dump, psql): their major version must
# be the database's (compose.yaml runs postgres:15; Debian bookworm ships client 15;
# tests/platform/test_deployment_files.py checks that they agree).
FROM python:3.11-slim-bookworm AS runtime
RUN apt-get update \
 && apt-get install --yes --no-install-recommends postgresql-client-15 \
 && rm -rf /var/lib/apt/lists/*
ENV PATH=/opt/hitflow/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HITFLOW_ENV=production \
    HITFLOW_DATA_DIR=/var/lib/hitflow
RUN groupadd --system --gid 10001 hitflow \
 && useradd --system --uid 10001 --gid hitflow --home-dir /var/lib/hitflow --create-home \
      --shell /usr/sbin/nologin hitflow
COPY --from=build /opt/hitflow /opt/hitflow
USER hitflow
WORKDIR /var/lib/hitflow
EXPOSE 8000
# /healthz answers while the process is alive (no curl in a slim image: Python it is).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
CMD ["hitflow", "api", "--host", "0.0.0.0"]
