"""The Slack process and the CLI start fast: importing them loads no ML or vector-store library."""

from __future__ import annotations

import subprocess
import sys

HEAVY = [
    "torch",
    "transformers",
    "sentence_transformers",
    "langchain",
    "langchain_core",
    "lancedb",
    "weaviate",
]


def loaded_after(statement: str) -> list[str]:
    probe = f"import sys; {statement}; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    output = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return [name for name in output.strip().split(",") if name]


def test_bot_imports_nothing_heavy():
    statement = (
        "import bot, bot.app, bot.server, bot.inbox, bot.listeners, bot.feedback, "
        "bot.questions, bot.admin.subcommands, gunicorn.app.base"
    )
    assert loaded_after(statement) == []


def test_cli_and_shared_package_import_nothing_heavy():
    assert loaded_after("import cli, faqbot.settings") == []


def test_what_the_bot_uses_to_send_tasks_and_log_imports_nothing_heavy():
    statement = (
        "import faqbot.dispatch, faqbot.queue, faqbot.contracts, faqbot.shared_state, "
        "faqbot.db.interactions, faqbot.db.sources, faqbot.db.audit, faqbot.db.migrate"
    )
    assert loaded_after(statement) == []
