# veille: brand-mention listening. Configuration and secrets are mounted, never baked in.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VEILLE_CONFIG=/config/veille.toml
WORKDIR /app
COPY pyproject.toml README.md LICENSE alembic.ini ./
COPY veille ./veille
COPY migrations ./migrations
RUN pip install --no-cache-dir '.[postgres]' \
    && useradd --system --uid 999 --home /data veille \
    && mkdir -p /data /config && chown veille /data
USER veille
VOLUME ["/data"]
ENTRYPOINT ["veille"]
CMD ["--help"]
