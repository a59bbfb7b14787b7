# The portal's image: one image for web, worker and beat (docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PORTAL_VAR_DIR=/var/lib/portal
WORKDIR /app
# The service certificate's PDF embeds Debian's TrueType CJK font (CERTIFICATE_FONT_PATH,
# docs/points.md "Service certificates"); poppler-utils to check a certificate by hand.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        fonts-wqy-microhei poppler-utils \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml ./
COPY config ./config
COPY core ./core
COPY accounts ./accounts
COPY practice ./practice
COPY volunteers ./volunteers
COPY orders ./orders
COPY points ./points
RUN pip install --no-cache-dir .
COPY . .
RUN mkdir -p /var/lib/portal && python manage.py collectstatic --noinput
RUN useradd --system portal && chown -R portal /var/lib/portal
USER portal
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
