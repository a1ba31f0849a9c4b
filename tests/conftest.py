"""Shared fixtures: isolated settings per test, and one real embedder per test session."""

from __future__ import annotations

import os

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
    return Settings(_env_file=None)


@pytest.fixture(scope="session")
def embedder():
    from workers.embedder import get_embedder

    return get_embedder("bundled:all-MiniLM-L6-v2", 32)
