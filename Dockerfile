# One image for every process: web (gunicorn), worker and beat (Celery), and the migrate job.
# docker-compose.yml picks the command; the default below is the Procfile's web line.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint loads Pango and HarfBuzz at run time (it warns without harfbuzz-subset) and needs at
# least one font to lay out PDFs. tzdata because TIME_ZONE is checked against the system database.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz0b \
        libharfbuzz-subset0 \
        fonts-dejavu-core \
        tzdata \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system app \
    && useradd --system --gid app --create-home --home-dir /home/app --shell /usr/sbin/nologin app

WORKDIR /app

# Requirements first, so a code change does not reinstall them.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Production runs with DEBUG off, which selects WhiteNoise's manifest storage, so the manifest must
# be built the same way. These values exist only for this step; the real ones come at run time.
# var/ is the only place the app writes (static, media uploads, the beat schedule); it belongs to
# the app user so that a named volume mounted on var/media starts out writable by it.
RUN DEBUG=false SECRET_KEY=collectstatic-only-not-a-secret ALLOWED_HOSTS=localhost \
        python manage.py collectstatic --noinput \
    && mkdir -p var/media var/metrics \
    && chown -R app:app var

USER app

# Inside a container gunicorn must listen on all interfaces; the Procfile's default is loopback.
ENV BIND=0.0.0.0:8000
EXPOSE 8000

# No HEALTHCHECK here: worker and beat run this image too and serve no HTTP; compose checks web.
CMD ["sh", "-c", "exec gunicorn escalation.wsgi --bind ${BIND:-127.0.0.1:8000} --workers ${WEB_CONCURRENCY:-2} --access-logfile -"]
