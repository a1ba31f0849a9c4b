"""Schema migrations with Alembic, runnable from any process: `faqbot db upgrade`, or at start-up
when `FAQBOT_DATABASE_AUTO_MIGRATE` is on. Concurrent starts take turns, so the bot, workers and
beat booting together never race on the DDL: on PostgreSQL on an advisory lock, on an SQLite file
on a file lock next to it (pysqlite runs each DDL statement outside any transaction)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from faqbot.db.engine import DatabaseUnavailable, engine_of
from faqbot.settings import Settings

MIGRATION_LOCK = 7_310_452_118  # any constant, shared by every faqbot process
_in_process = threading.Lock()  # Alembic's context is module-global: one migration per process


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", "faqbot.db:migrations")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return script.get_current_head()


def upgrade(settings: Settings) -> str:
    """Upgrades to the newest schema; returns the revision now in place."""
    engine = engine_of(settings)
    try:
        with _in_process, _sqlite_file_lock(settings), engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                )
            config = alembic_config(settings.database_url_resolved)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            return MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(_unreachable(settings, exc)) from exc


@contextmanager
def _sqlite_file_lock(settings: Settings) -> Iterator[None]:
    """Holds an exclusive flock on `<database>-migrate.lock` while the block runs; the kernel
    drops it when its holder exits, so a killed process never leaves a stale lock."""
    path = _sqlite_lock_path(settings.database_url_resolved)
    if path is None:
        yield
        return
    import fcntl

    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise DatabaseUnavailable(_unreachable(settings, exc)) from exc
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def _sqlite_lock_path(url: str) -> Path | None:
    """The migration lock file of an SQLite database file; None for other databases and for
    in-memory SQLite, which no other process can see."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = (parsed.database or "").removeprefix("file:")
    if database in ("", ":memory:") or parsed.query.get("mode") == "memory":
        return None
    return Path(database + "-migrate.lock")


def current_revision(settings: Settings) -> str | None:
    try:
        with engine_of(settings).connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(_unreachable(settings, exc)) from exc


_checked: set[str] = set()


def ensure_schema(settings: Settings) -> None:
    """Once per process and database: upgrade, or check that someone did."""
    if settings.database_url_resolved in _checked:
        return
    _ensure(settings)
    _checked.add(settings.database_url_resolved)


def _ensure(settings: Settings) -> None:
    if settings.database_auto_migrate:
        upgrade(settings)
        return
    current, head = current_revision(settings), head_revision()
    if current != head:
        raise DatabaseUnavailable(
            f"the database {redacted_url(settings)} is at schema {current or 'none'}, this "
            f"version needs {head}: run `faqbot db upgrade`"
        )


def redacted_url(settings: Settings) -> str:
    return make_url(settings.database_url_resolved).render_as_string(hide_password=True)


def _unreachable(settings: Settings, exc: Exception) -> str:
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return f"the database {redacted_url(settings)} is unreachable: {reason}"
