# taskbot in a container: the bot (webhooks, scheduler, web chat, dashboard) on :8080.
# PostgreSQL comes from outside (compose.yaml, or the city's own server): TASKBOT_DB.
FROM python:3.11-slim-bookworm

# LibreOffice reads .doc/.wps plans; the CJK font draws the report charts.
# No recommends: they would add Java and more for nothing taskbot uses.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libreoffice-writer-nogui fonts-wqy-microhei postgresql-client \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/taskbot
COPY pyproject.toml README.md ./
COPY parser ./parser
COPY bot ./bot
COPY templates ./templates
COPY examples ./examples
COPY scripts ./scripts
# The OCR extra reads scanned PDFs; its models ship inside the wheel.
RUN pip install --no-cache-dir '.[ocr]'

RUN useradd --system --home-dir /var/lib/taskbot --create-home taskbot
USER taskbot
WORKDIR /var/lib/taskbot
ENV TASKBOT_SERVER_HOST=0.0.0.0 TASKBOT_SERVER_PORT=8080 PYTHONUNBUFFERED=1
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"
CMD ["taskbot", "serve"]
