"""The schema comes from Alembic migrations, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from typer.testing import CliRunner

from cli import app
from faqbot.db.engine import DatabaseUnavailable, engine_of
from faqbot.db.migrate import current_revision, ensure_schema, head_revision, upgrade
from faqbot.db.models import Base
from faqbot.settings import Settings


def test_upgrade_creates_every_table_and_matches_the_models(db_settings):
    assert upgrade(db_settings) == head_revision()
    engine = engine_of(db_settings)
    tables = set(inspect(engine).get_table_names())
    assert {"interactions", "knowledge_sources", "audit_log", "alembic_version"} <= tables
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_upgrading_twice_changes_nothing(db_settings):
    upgrade(db_settings)
    assert upgrade(db_settings) == current_revision(db_settings) == head_revision()


def test_workers_starting_together_all_find_the_schema_in_place(db_settings):
    with ThreadPoolExecutor(4) as pool:
        revisions = list(pool.map(lambda _: upgrade(db_settings), range(4)))
    assert revisions == [head_revision()] * 4


def test_without_auto_migration_an_old_schema_is_one_clear_error(settings, monkeypatch):
    monkeypatch.setenv("FAQBOT_DATABASE_AUTO_MIGRATE", "false")
    with pytest.raises(DatabaseUnavailable, match=r"schema none.*run `faqbot db upgrade`"):
        ensure_schema(Settings(_env_file=None))


def test_an_unreachable_database_is_one_line_naming_it(settings, monkeypatch):
    monkeypatch.setenv("FAQBOT_DATABASE_URL", "postgresql+psycopg://faqbot:secret@127.0.0.1:1/x")
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2
    line = result.output.strip()
    assert "\n" not in line and "127.0.0.1:1/x is unreachable" in line
    assert "secret" not in line  # the password is never printed


def test_answers_and_corrections_from_before_0005_are_kept_private_and_unreviewed(db_settings):
    """Which passages an old answer used was not recorded: a DM's or /ask's answer stays the
    asker's, a channel's stays in that channel, and old corrections wait for review."""
    from alembic import command
    from sqlalchemy import text

    from faqbot.db.migrate import alembic_config

    config = alembic_config(db_settings.database_url_resolved)
    with engine_of(db_settings).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
    rows = [
        (1, "C0GENERAL", '{"private": true}'),  # /ask typed in #general
        (2, "D0DM", None),  # a DM, asked before requests were recorded
        (3, "C0HELP", '{"private": false}'),
        (4, None, None),  # the CLI
    ]
    with engine_of(db_settings).begin() as connection:
        for row_id, channel, request in rows:
            connection.execute(
                text(
                    "INSERT INTO interactions (id, request_id, question, channel, status, "
                    "citations, retrieved, context, timings_ms, tokens, attempts, created_at, "
                    "request) VALUES (:id, :rid, 'q', :channel, 'answered', '[]', '[]', '{}', "
                    "'{}', '{}', 1, CURRENT_TIMESTAMP, :request)"
                ),
                {"id": row_id, "rid": f"r{row_id}", "channel": channel, "request": request},
            )
        connection.execute(
            text(
                "INSERT INTO corrections (interaction_id, user_id, text, created_at) "
                "VALUES (3, 'U1', 'Use the portal.', CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO votes (interaction_id, user_id, value, via, created_at, updated_at) "
                "VALUES (3, 'U2', 1, 'button', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )

    upgrade(db_settings)

    with engine_of(db_settings).connect() as connection:
        found = connection.execute(
            text("SELECT id, private, visibility FROM interactions ORDER BY id")
        ).all()
        status = connection.execute(text("SELECT status FROM corrections")).scalar_one()
        votes = connection.execute(text("SELECT count(*) FROM votes")).scalar_one()
    decoded = [(i, bool(p), v if isinstance(v, list) else json.loads(v)) for i, p, v in found]
    assert decoded == [(1, True, []), (2, True, []), (3, False, ["C0HELP"]), (4, False, ["public"])]
    assert status == "pending" and votes == 1  # nothing already stored is lost
