# The one image of the platform: web (gunicorn, the default command), Celery workers and beat
# (deploy/docker-compose.yml and deploy/k8s/ give each its command). Build from the repository root:
#   docker build -t mttq-platform .
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
# Exactly the pinned, hash-checked run-time dependencies (requirements.lock, `make lock`), then the
# platform itself without letting pip resolve anything again.
COPY requirements.lock .
RUN pip install --upgrade pip && pip install --require-hashes --no-deps -r requirements.lock
COPY . .
RUN pip install --no-deps .

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_ENV=production \
    STATIC_ROOT=/srv/mttq/static \
    MEDIA_ROOT=/srv/mttq/media \
    PRIVATE_MEDIA_ROOT=/srv/mttq/private \
    MTTQ_DATA_DIR=/var/lib/mttq \
    PORT=8000
# pg_dump/pg_restore for `manage.py backup` / `restore`.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 mttq \
    && useradd --system --uid 10001 --gid mttq --home-dir /var/lib/mttq --no-create-home mttq \
    && mkdir -p /srv/mttq/static /srv/mttq/media /srv/mttq/private /var/lib/mttq /app/.data \
    && chown -R mttq:mttq /srv/mttq/media /srv/mttq/private /var/lib/mttq /app/.data
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app
# Static files are part of the image (hashed and compressed: WhiteNoise serves them, or nginx from
# a copy). The settings need these variables in production; nothing is connected to here.
RUN SECRET_KEY=collectstatic-only-not-used-at-run-time-0123456789abcdefghijklmnopqrstuvwxyz \
    DATABASE_URL=postgres://unused@localhost/unused CELERY_BROKER_URL=redis://localhost:6379/0 \
    ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput --verbosity 0
# Numeric, so Kubernetes can check runAsNonRoot (deploy/k8s/).
USER 10001:10001
EXPOSE 8000
CMD ["gunicorn", "--config", "/app/deploy/gunicorn.conf.py"]
