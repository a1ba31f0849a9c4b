"""The schema comes from Alembic migrations, on SQLite and on PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from typer.testing import CliRunner

from faqbot.cli import app
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
