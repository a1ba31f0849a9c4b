"""The `faqbot` command. Each subcommand imports its heavy parts only when it runs."""

from __future__ import annotations

import typer

from cli.adapters import adapters_app, evaluate
from cli.answers import ask
from cli.bench import bench_app
from cli.config import config_app
from cli.datasets import dataset_app
from cli.failures import failures_app
from cli.insights import gaps, stats
from cli.knowledge import ingest, search, sources_app
from cli.model_files import models_app
from cli.reranker import reranker_app
from cli.servers import beat, bot, db_app, model_server, worker
from cli.training import retrain, train

app = typer.Typer(
    help="faqbot: a self-hosted Slack FAQ bot that answers from your company's documents.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command()(ingest)
app.command()(search)
app.command()(ask)
app.add_typer(sources_app, name="sources")
app.command()(bot)
app.command()(worker)
app.command()(beat)
app.command("model-server")(model_server)
app.add_typer(db_app, name="db")
app.add_typer(dataset_app, name="dataset")
app.command()(train)
app.command()(retrain)
app.command("eval")(evaluate)
app.add_typer(adapters_app, name="adapters")
app.add_typer(failures_app, name="failures")
app.command()(stats)
app.command()(gaps)
app.add_typer(bench_app, name="bench")
app.add_typer(reranker_app, name="reranker")
app.add_typer(models_app, name="models")
app.add_typer(config_app, name="config")
