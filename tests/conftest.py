"""Shared fixtures: isolated settings per test, one real embedder per test session, and Redis
databases of each test module's own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from faqbot.settings import Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory):
    """One converted copy of the bundled model for the whole session (conversion takes ~30 s)."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture
def settings(tmp_path, monkeypatch, model_cache) -> Settings:
    """Settings with a private data dir; no FAQBOT_* variable of the developer leaks in."""
    for name in list(os.environ):
        if name.startswith("FAQBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("FAQBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FAQBOT_MODEL_CACHE", str(model_cache))
    from workers.worker_process import process_settings

    process_settings.cache_clear()  # tasks run in this process read this test's settings
    return Settings(_env_file=None)


@pytest.fixture(scope="session")
def embedder():
    from workers.embedder import get_embedder

    return get_embedder("bundled:all-MiniLM-L6-v2", 32)


POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def postgres_reason() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when the server on 127.0.0.1 answers."""
    from sqlalchemy import create_engine, text

    try:
        with create_engine(POSTGRES_ADMIN_URL).connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means: skip, with the reason
        return f"PostgreSQL on 127.0.0.1:5432 did not answer: {str(exc).splitlines()[0]}"
    return None


@pytest.fixture
def postgres_url():
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    import uuid

    from sqlalchemy import create_engine, text

    reason = postgres_reason()
    if reason:
        pytest.skip(reason)
    name = f"faqbot_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    from faqbot.db.engine import engine_for

    engine_for.cache_clear()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_settings(request, settings, monkeypatch) -> Settings:
    """Settings whose app database is an SQLite file, or a fresh PostgreSQL database."""
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
        monkeypatch.setenv("FAQBOT_DATABASE_URL", url)
        return Settings(_env_file=None)
    return settings


def worker_env(data_dir: Path, model_cache: Path, database_url: str, redis_url: str, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAQBOT_")}
    env.update(
        HF_HUB_OFFLINE="1",
        FAQBOT_DATA_DIR=str(data_dir),
        FAQBOT_MODEL_CACHE=str(model_cache),
        FAQBOT_DATABASE_URL=database_url,
        FAQBOT_REDIS_URL=redis_url,
        FAQBOT_LLM_MAX_NEW_TOKENS="24",
        **{f"FAQBOT_{k.upper()}": str(v) for k, v in extra.items()},
    )
    return env


def settings_from(env: dict) -> Settings:
    return Settings(
        _env_file=None, **{k[7:].lower(): v for k, v in env.items() if k.startswith("FAQBOT_")}
    )


REDIS_SERVER = "redis://127.0.0.1:6379"
REDIS_TEST_DATABASES = range(1, 16)  # database 0 is left to whatever else uses this Redis


class RedisDatabases:
    """Hands out one test module's Redis databases, each flushed as it is handed out."""

    def __init__(self):
        self.urls: list[str] = []

    def new(self) -> str:
        if len(self.urls) == len(REDIS_TEST_DATABASES):
            raise RuntimeError(f"a test module may use {len(REDIS_TEST_DATABASES)} databases")
        url = f"{REDIS_SERVER}/{REDIS_TEST_DATABASES[len(self.urls)]}"
        self.urls.append(url)
        _flush(url)
        return url


def _flush(url: str) -> None:
    import redis

    with redis.Redis.from_url(url) as client:
        client.flushdb()


@pytest.fixture(scope="module")
def redis_databases():
    """Fresh Redis databases for this test module, flushed when handed out and when the module
    ends, so no module sees another's keys whatever order they run in. Skips the module's tests,
    saying why, when no Redis answers (`.ci/run` starts one)."""
    import redis

    try:
        with redis.Redis.from_url(REDIS_SERVER, socket_connect_timeout=1) as client:
            client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis answers at {REDIS_SERVER} ({exc}): start redis-server")
    databases = RedisDatabases()
    yield databases
    for url in databases.urls:
        _flush(url)


@pytest.fixture(scope="module")
def redis_url(redis_databases) -> str:
    """This test module's own Redis database."""
    return redis_databases.new()
