# The Slack bot image: slim, with the `bot` extra only (no torch, no model, no vector store).
# Build from the repository root:
#   docker build -f deploy/docker/bot.Dockerfile -t faqbot-bot .
# Runs `faqbot bot`: the HTTP Events API on port 3000 (/slack/events, /healthz), or Socket Mode
# when FAQBOT_SLACK_APP_TOKEN is set. Settings come from FAQBOT_* environment variables.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FAQBOT_DATA_DIR=/data \
    FAQBOT_SLACK_HOST=0.0.0.0 \
    FAQBOT_SLACK_PORT=3000

RUN groupadd --system --gid 10001 faqbot \
    && useradd --system --uid 10001 --gid faqbot --create-home --home-dir /home/faqbot \
       --shell /usr/sbin/nologin faqbot \
    && mkdir -p /data \
    && chown faqbot:faqbot /data

COPY pyproject.toml README.md /src/
COPY faqbot /src/faqbot
COPY cli /src/cli
COPY bot /src/bot
COPY workers /src/workers
COPY pipelines /src/pipelines
RUN pip install "/src[bot]" \
    && rm -rf /src

COPY deploy/docker/healthcheck.py /usr/local/bin/faqbot-healthcheck
RUN chmod 0755 /usr/local/bin/faqbot-healthcheck

USER 10001:10001
WORKDIR /home/faqbot
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["faqbot-healthcheck", "bot"]
CMD ["faqbot", "bot"]
