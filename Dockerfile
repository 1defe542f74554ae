# The bot in a container: `docker build -t recordings-bot .`, then
#   docker run --env-file .env -v recordings:/data -p 3000:3000 recordings-bot
# SQLite lives on the /data volume; set DATABASE_URL to use PostgreSQL instead
# (docker-compose.yml). The image runs as a user without privileges.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /data recordings \
    && mkdir -p /data && chown recordings /data

USER recordings
ENV RECORDINGS_DB=/data/recordings.db \
    PORT=3000
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"3000\")}/healthz', timeout=4)" || exit 1
CMD ["recordings-bot", "run"]
