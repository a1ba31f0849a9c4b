"""Service commands: the Slack bot, the worker, beat, the model server and the database
schema."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.console import err, fail, out
from faqbot.contracts import ANSWERS_QUEUE, INGEST_QUEUE, QUEUES
from faqbot.errors import first_line, masked_url
from faqbot.settings import load_settings

db_app = typer.Typer(help="The app database's schema.", no_args_is_help=True)


def worker(
    queues: Annotated[
        str,
        typer.Option(help="Comma-separated queues to take tasks from: answers, ingest, training."),
    ] = f"{ANSWERS_QUEUE},{INGEST_QUEUE}",
    concurrency: Annotated[
        int, typer.Option(min=1, help="Worker processes, each with its own model in memory.")
    ] = 1,
    loglevel: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Run a Celery worker: take questions and ingestion jobs from Redis and run them.

    Give latency-sensitive answers their own workers (--queues answers) so a long ingestion
    never delays a question. The model and embedder load once per worker process, at start;
    if they cannot, the worker exits with status 1 and the reason.
    """
    settings = _queue_settings()
    chosen = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = sorted(set(chosen) - set(QUEUES))
    if unknown or not chosen:
        fail(
            f"--queues {queues!r}: unknown queue {', '.join(unknown)}; choose from {', '.join(QUEUES)}"
        )
    _check_services(settings)
    from workers.app import run_worker

    failure = run_worker(settings, chosen, concurrency=concurrency, loglevel=loglevel)
    if failure:
        fail(f"worker could not start: {failure}", code=1)


def beat(
    loglevel: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Run the scheduler for periodic tasks: the sweep every FAQBOT_SWEEP_INTERVAL_S (questions
    no worker took are sent again, those no worker will finish get an apology, old ones are
    deleted) and the retraining loop on FAQBOT_RETRAIN_SCHEDULE, sent to the training queue.

    Run exactly one beat per deployment.
    """
    settings = _queue_settings()
    _check_services(settings)
    from workers.app import run_beat

    run_beat(settings, loglevel=loglevel)


def bot(
    loglevel: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Run the Slack bot: Socket Mode if FAQBOT_SLACK_APP_TOKEN is set, else the HTTP Events API
    on FAQBOT_SLACK_PORT (/slack/events, and /healthz for probes).

    The bot only acknowledges, dedupes and enqueues; answers come from `faqbot worker`.
    Without FAQBOT_REDIS_URL it answers inside this process (for trying faqbot out).
    """
    import logging

    from bot.processes import LOG_FORMAT
    from faqbot.dispatch import running_without_workers

    logging.basicConfig(level=loglevel.upper(), format=LOG_FORMAT)
    settings = load_settings()
    warning = running_without_workers(settings)
    if warning:
        err.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    if settings.redis_url:
        _check_services(settings)
    else:
        from faqbot.db.migrate import ensure_schema

        _on_database(ensure_schema, settings)
    from bot.app import SlackSetupError, build_app
    from bot.server import serve
    from bot.services import bot_services

    try:
        build_app(bot_services(settings))  # fail here, in one line, not in every process
    except SlackSetupError as exc:
        fail(str(exc))
    raise typer.Exit(serve(settings))


def model_server(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 in a container).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8080,
) -> None:
    """Run llama.cpp's OpenAI-compatible server, for installations without a GPU: the GGUF
    of FAQBOT_LLM_MODEL by its name, and every adapter trained for it by its id (converted to
    a LoRA GGUF), which is what workers with FAQBOT_LLM_ENGINE=openai ask for. One server then
    holds the model for every worker.

    llama.cpp's server reads its models at start: restart it after training an adapter and
    before promoting it (promotion checks that the server serves it). On a GPU, vLLM loads
    adapters at run time instead (deploy/docker-compose.yml, profile vllm). Threads and
    context: FAQBOT_LLM_THREADS and FAQBOT_LLM_CONTEXT_TOKENS.
    """
    import os

    from cli.console import database_ready
    from workers.generation.llama_server import models_to_serve, run_server
    from workers.generation.loading import ModelUnavailable

    settings = database_ready()  # the adapters it serves are in the registry
    try:
        models = models_to_serve(settings)
    except ModelUnavailable as exc:
        fail(str(exc))
    for served in models:
        err.print(f"serving {served.alias}" + (" (LoRA)" if served.lora else ""), markup=False)
    threads = settings.llm_threads or os.cpu_count() or 1
    raise typer.Exit(
        run_server(
            models, host=host, port=port, threads=threads, context=settings.llm_context_tokens
        )
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema up to date (safe to run from several processes at once)."""
    from faqbot.db.migrate import redacted_url, upgrade

    settings = load_settings()
    revision = _on_database(upgrade, settings)
    out.print(f"database {redacted_url(settings)} is at schema {revision}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's schema revision and the one this version needs."""
    from faqbot.db.migrate import current_revision, head_revision

    current = _on_database(current_revision, load_settings())
    out.print(f"current: {current or 'none'}  needed: {head_revision()}")


def _on_database(action, settings):
    """Runs a schema action; an unreachable database is one line."""
    from faqbot.db.engine import DatabaseUnavailable

    try:
        return action(settings)
    except DatabaseUnavailable as exc:
        fail(str(exc))


def _queue_settings():
    settings = load_settings()
    if not settings.redis_url:
        fail(
            "FAQBOT_REDIS_URL is not set: without it tasks run inside the process that sends "
            "them and no worker is needed. Set it (e.g. redis://127.0.0.1:6379/0) to run workers."
        )
    return settings


def _check_services(settings) -> None:
    """Redis and the database must answer before anything starts: one line if not."""
    from faqbot.db.migrate import ensure_schema
    from faqbot.shared_state import redis_client

    try:
        redis_client(settings.redis_url).ping()
    except Exception as exc:  # noqa: BLE001 - any connection failure is one line
        fail(f"Redis at {masked_url(settings.redis_url)} is unreachable: {first_line(exc)}")
    _on_database(ensure_schema, settings)
